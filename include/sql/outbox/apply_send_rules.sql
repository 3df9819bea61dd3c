-- Send-time contact rules (SPEC section 5) for one portfolio, day and kind, as one statement:
-- outside the customer's window a notice or call waits (deferred, moved to the next
-- opening when today's has passed); an SMS to a customer who already had one today
-- (any account, any portfolio, in the customer's timezone) is suppressed.
with outbox as (
    select al.idempotency_key, al.customer_id, al.channel, al.window_opens_at, al.window_closes_at, cu.timezone
    from collections.action_log al
    join collections.customer cu using (customer_id)
    where al.portfolio = %(portfolio)s and al.as_of = %(as_of)s and al.kind = %(kind)s
      and al.status in ('planned', 'deferred') and not al.dry_run
),

ruled as (
    select
        o.idempotency_key,
        case
            when o.channel = 'sms' and exists (
                select 1 from collections.action_log s
                where s.customer_id = o.customer_id and s.channel = 'sms' and s.status in ('sent', 'delivered')
                  and s.idempotency_key <> o.idempotency_key
                  and (s.sent_at at time zone o.timezone)::date = (%(now)s::timestamptz at time zone o.timezone)::date
            ) then 'max_sms_per_customer_per_day'
            when o.window_opens_at is not null and %(now)s::timestamptz < o.window_opens_at then 'contact_window'
            when o.window_closes_at is not null and %(now)s::timestamptz >= o.window_closes_at then 'contact_window'
        end as rule,
        -- the next opening of the window, in whole days after the planned one
        case when o.window_closes_at is not null and %(now)s::timestamptz >= o.window_closes_at
            then ceil(extract(epoch from (%(now)s::timestamptz - o.window_closes_at)) / 86400.0 + 1e-9)::int
            else 0
        end as days_late
    from outbox o
)

update collections.action_log al
set status = case when r.rule = 'max_sms_per_customer_per_day' then 'suppressed' else 'deferred' end,
    reason = r.rule,
    window_opens_at = al.window_opens_at + make_interval(days => r.days_late),
    window_closes_at = al.window_closes_at + make_interval(days => r.days_late)
from ruled r
where al.idempotency_key = r.idempotency_key and r.rule is not null;
