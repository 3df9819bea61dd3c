-- The customers rows are checked (pg_temp.chk_customers): their staged copy goes, and the checked rows get
-- statistics (temporary tables are never analysed by autovacuum), which the next entity's checks,
-- the gates and the upserts are planned from.
do $$
begin
    drop table pg_temp.stg_customers;
    analyze pg_temp.chk_customers;
end
$$;
