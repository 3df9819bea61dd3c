-- Remove a load's staging rows when it ends, and any left behind by a load that
-- died more than a day ago.
with c as (delete from collections.stg_customers where load_id = %(load_id)s or staged_at < now() - interval '1 day'),
     a as (delete from collections.stg_accounts where load_id = %(load_id)s or staged_at < now() - interval '1 day'),
     i as (delete from collections.stg_installments where load_id = %(load_id)s or staged_at < now() - interval '1 day'),
     r as (delete from collections.stg_repayments where load_id = %(load_id)s or staged_at < now() - interval '1 day')
delete from collections.stg_events where load_id = %(load_id)s or staged_at < now() - interval '1 day';
