-- After COPY of the accounts rows: the index validation looks staged rows up by (an account repeated with other content),
-- built once over the full table instead of kept up row by row while it filled, and statistics,
-- so that validation's joins are planned from the real row count.
do $$
begin
    create index on pg_temp.stg_accounts (account_id);
    analyze pg_temp.stg_accounts;
end
$$;
