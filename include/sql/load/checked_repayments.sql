-- The repayments rows are checked (pg_temp.chk_repayments): their staged copy goes, and the checked rows get
-- statistics (temporary tables are never analysed by autovacuum), which the next entity's checks,
-- the gates and the upserts are planned from.
do $$
begin
    drop table pg_temp.stg_repayments;
    analyze pg_temp.chk_repayments;
end
$$;
