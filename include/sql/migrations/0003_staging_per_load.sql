-- Staging rows belong to one load (load_id), not to a feed date: two runs of the
-- same day for different portfolios stage, validate and upsert side by side,
-- and only the (portfolio, as_of) locks of their upserts can make one wait.
do $$
declare
    t text;
begin
    foreach t in array array['stg_customers', 'stg_accounts', 'stg_installments', 'stg_repayments', 'stg_events'] loop
        execute format('truncate collections.%I', t);
        execute format('alter table collections.%I drop constraint %I', t, t || '_pkey');
        execute format('alter table collections.%I add column load_id uuid not null', t);
        execute format('alter table collections.%I add column staged_at timestamptz not null default now()', t);
        execute format('alter table collections.%I add primary key (load_id, position)', t);
    end loop;
end
$$;

drop index collections.stg_customers_key;
drop index collections.stg_accounts_key;
drop index collections.stg_installments_key;
drop index collections.stg_repayments_key;
drop index collections.stg_events_key;
create index stg_customers_key on collections.stg_customers (load_id, customer_id);
create index stg_accounts_key on collections.stg_accounts (load_id, account_id);
create index stg_installments_key on collections.stg_installments (load_id, account_id);
create index stg_repayments_key on collections.stg_repayments (load_id, payment_id);
create index stg_events_key on collections.stg_events (load_id, event_id);
