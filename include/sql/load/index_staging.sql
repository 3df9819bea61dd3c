-- After COPY, the lookups validation makes into staging by key (a customer or account repeated
-- with other content, a reversal of a payment in the same drop), and fresh statistics so that
-- its joins are planned as hash joins. Built once over the full tables: cheaper than indexes
-- kept up row by row while they fill.
do $$
begin
    create index on pg_temp.stg_customers (customer_id);
    create index on pg_temp.stg_accounts (account_id);
    create index on pg_temp.stg_repayments (payment_id);
    analyze pg_temp.stg_customers, pg_temp.stg_accounts, pg_temp.stg_installments, pg_temp.stg_repayments,
        pg_temp.stg_events;
end
$$;
