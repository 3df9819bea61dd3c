-- The money recovered (SPEC 8) over the days from_day .. to_day, for the book or one portfolio,
-- broken down by the case's stage and bucket of the day before, the action it is credited to
-- (kind and channel; none: a self-cure) and the case's variant: one row per breakdown and key.
-- A day either side of the bounds covers every portfolio's timezone; paid_on picks the days.
with recovered as (
    select *
    from collections.recoveries(
        %(from_day)s::date::timestamp at time zone 'UTC' - interval '1 day',
        %(to_day)s::date::timestamp at time zone 'UTC' + interval '2 days'
    )
    where paid_on between %(from_day)s and %(to_day)s
      and (%(portfolio)s::text is null or portfolio = %(portfolio)s)
)

select 'stage' as breakdown, coalesce(stage, '-') as key, count(*) as payments, sum(amount) as amount
from recovered group by 2
union all
select 'action', coalesce(action_kind || ' ' || action_channel, 'self-cure'), count(*), sum(amount)
from recovered group by 2
union all
select 'bucket', bucket, count(*), sum(amount)
from recovered group by 2
union all
select 'variant', variant, count(*), sum(amount)
from recovered group by 2
order by 1, 4 desc, 2;
