-- Free the customers' days whose claim is held by an SMS that did not go: failed (by the
-- gateway or its receipt), suppressed, or put back in the outbox by a resend. Run before
-- claiming (claim_sms.sql), in a statement of its own, for the customers of the SMS about
-- to go (keys), on the day of the delivery's clock in each customer's timezone. A claim
-- another delivery is freeing at the same moment is skipped, not waited for (it is being
-- freed; claim_sms.sql's insert waits for that delete to commit), so two deliveries freeing
-- the same claims never wait on each other in opposite orders.
delete from collections.sms_day_claim
where (customer_id, local_day) in (
    select c.customer_id, c.local_day
    from unnest(%(keys)s::text[]) as k(idempotency_key)
    join collections.action_log al using (idempotency_key)
    join collections.customer cu using (customer_id)
    join collections.sms_day_claim c
      on c.customer_id = al.customer_id
     and c.local_day = (%(now)s::timestamptz at time zone cu.timezone)::date
    where c.idempotency_key <> al.idempotency_key
      and not exists (
          select 1 from collections.action_log h
          where h.idempotency_key = c.idempotency_key and h.status in ('planned', 'deferred', 'sent', 'delivered')
      )
    for update of c skip locked
);
