-- Claim the customer's day for each SMS about to go (keys: what sendable.sql chose), in one
-- statement that commits before anything is sent: the first delivery to claim a customer's day
-- sends; an SMS whose customer's day another action holds is suppressed now, as at the check
-- of apply_send_rules.sql (max_sms_per_customer_per_day). An action that already holds the day
-- (its delivery was killed after claiming) keeps it. Claims are inserted in customer order, so
-- two deliveries that share customers wait on each other in one order and never deadlock.
-- Returns the keys suppressed.
with due as (
    select al.idempotency_key, al.customer_id, (%(now)s::timestamptz at time zone cu.timezone)::date as local_day
    from unnest(%(keys)s::text[]) as k(idempotency_key)
    join collections.action_log al using (idempotency_key)
    join collections.customer cu using (customer_id)
    where al.channel = 'sms' and not al.dry_run
),

claimed as (
    insert into collections.sms_day_claim (customer_id, local_day, idempotency_key, claimed_at)
    select distinct on (customer_id, local_day) customer_id, local_day, idempotency_key, %(now)s::timestamptz
    from due
    order by customer_id, local_day, idempotency_key
    on conflict (customer_id, local_day) do nothing
    returning idempotency_key
),

held_already as (
    select d.idempotency_key
    from due d
    join collections.sms_day_claim c
      on c.customer_id = d.customer_id and c.local_day = d.local_day and c.idempotency_key = d.idempotency_key
)

update collections.action_log al
set status = 'suppressed', reason = 'max_sms_per_customer_per_day'
from due d
where al.idempotency_key = d.idempotency_key
  and al.status in ('planned', 'deferred')
  and d.idempotency_key not in (select idempotency_key from claimed)
  and d.idempotency_key not in (select idempotency_key from held_already)
returning al.idempotency_key;
