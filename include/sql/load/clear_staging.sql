-- Remove a load's staging rows when it ends, and any left behind by a load that
-- died more than a day ago (found through collections.staging_load, by load_id).
with done as (
    delete from collections.staging_load
    where load_id = %(load_id)s or started_at < now() - interval '1 day'
    returning load_id
),

c as (delete from collections.stg_customers where load_id in (select load_id from done)),
a as (delete from collections.stg_accounts where load_id in (select load_id from done)),
i as (delete from collections.stg_installments where load_id in (select load_id from done)),
r as (delete from collections.stg_repayments where load_id in (select load_id from done))

delete from collections.stg_events where load_id in (select load_id from done);
