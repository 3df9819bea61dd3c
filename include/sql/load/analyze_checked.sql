-- Statistics of the checked rows so far (temporary tables are never analysed by autovacuum): the
-- next entity's checks and the upserts join them, and plan those joins from these figures.
analyze pg_temp.chk_customers, pg_temp.chk_accounts, pg_temp.chk_installments, pg_temp.chk_repayments,
    pg_temp.chk_events;
