-- The installments rows are checked (pg_temp.chk_installments): their staged copy goes, and the checked rows get
-- statistics (temporary tables are never analysed by autovacuum), which the next entity's checks,
-- the gates and the upserts are planned from.
do $$
begin
    drop table pg_temp.stg_installments;
    analyze pg_temp.chk_installments;
end
$$;
