-- Drop a load's staging and checked rows when it ends (a session that dies takes its temporary
-- tables with it).
drop table if exists pg_temp.stg_customers, pg_temp.stg_accounts, pg_temp.stg_installments, pg_temp.stg_repayments,
    pg_temp.stg_events, pg_temp.chk_customers, pg_temp.chk_accounts, pg_temp.chk_installments, pg_temp.chk_repayments,
    pg_temp.chk_events;
