-- Remove a load's staging rows when it ends, and any left behind by a load that
-- died more than a day ago (found through collections.staging_load). Each delete
-- looks rows up by load_id on the staging index (= any of an array): after a first
-- load the staging tables hold millions of dead rows until autovacuum passes, and a
-- scan of them cost the next day's load 1.9 s at 100,000 accounts.
with done as (
    delete from collections.staging_load
    where load_id = %(load_id)s or started_at < now() - interval '1 day'
    returning load_id
),

ids as (
    select array(select load_id from done) as load_ids
),

c as (delete from collections.stg_customers where load_id = any((select load_ids from ids)::uuid[])),
a as (delete from collections.stg_accounts where load_id = any((select load_ids from ids)::uuid[])),
i as (delete from collections.stg_installments where load_id = any((select load_ids from ids)::uuid[])),
r as (delete from collections.stg_repayments where load_id = any((select load_ids from ids)::uuid[]))

delete from collections.stg_events where load_id = any((select load_ids from ids)::uuid[]);
