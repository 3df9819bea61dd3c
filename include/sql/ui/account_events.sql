-- The account's events and repayments as one list, newest first.
with events as (
    select at, 'event' as source, event_id as id, kind, amount, until, null::text as reverses,
        reason, source || coalesce(': ' || recorded_by, '') as origin
    from collections.event
    where account_id = %(account_id)s
),

repayments as (
    select paid_at as at, 'repayment' as source, payment_id as id, coalesce(channel, '') as kind,
        amount, null::date as until, reverses, null::text as reason, null::text as origin
    from collections.repayment
    where account_id = %(account_id)s
)

select at, source, id, kind, amount, until, reverses, reason, origin
from (
    select * from events
    union all
    select * from repayments
) as x
order by at desc, id
