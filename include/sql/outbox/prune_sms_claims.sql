-- Drop the claims of days that are over everywhere (before the day before the delivery's UTC date:
-- no timezone is that far behind), so that the claims table holds a few days, not the history; the
-- action log keeps what was sent. Rows another delivery is pruning at the same moment are skipped
-- rather than waited for, so two deliveries never wait on each other here.
delete from collections.sms_day_claim c
where (c.customer_id, c.local_day) in (
    select customer_id, local_day from collections.sms_day_claim
    where local_day < (%(now)s::timestamptz at time zone 'UTC')::date - 1
    for update skip locked
);
