-- Once every entity is checked (pg_temp.chk_*), the staged rows are no longer needed: the checked
-- tables hold what the upserts, the gates and the quarantine read.
drop table pg_temp.stg_customers, pg_temp.stg_accounts, pg_temp.stg_installments, pg_temp.stg_repayments,
    pg_temp.stg_events;
