-- Free the customers' days whose claim is held by an SMS that did not go: failed (by the
-- gateway or its receipt), suppressed, or put back in the outbox by a resend. Run before
-- claiming (claim_sms.sql), in a statement of its own, for the customers of the SMS about
-- to go (keys), on the day of the delivery's clock in each customer's timezone.
delete from collections.sms_day_claim c
using unnest(%(keys)s::text[]) as k(idempotency_key)
join collections.action_log al using (idempotency_key)
join collections.customer cu using (customer_id)
where c.customer_id = al.customer_id
  and c.local_day = (%(now)s::timestamptz at time zone cu.timezone)::date
  and c.idempotency_key <> al.idempotency_key
  and not exists (
      select 1 from collections.action_log h
      where h.idempotency_key = c.idempotency_key and h.status in ('planned', 'deferred', 'sent', 'delivered')
  );
