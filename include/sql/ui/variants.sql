-- Champion and challengers side by side (SPEC 9) over the evaluated days from_day .. to_day, for
-- the book or one portfolio: the cases each variant had (and how many cured), the contacts a
-- partner took (sent or delivered, never a dry run), the money recovered (SPEC 8, by the case's
-- variant), and what the actions cost by the policy's cost key (summed from the days' reports,
-- which priced them with the policy of the day).
with cases as (
    select variant, case_id, bool_or(status = 'cured') as cured
    from collections.case_state
    where as_of between %(from_day)s and %(to_day)s
      and (%(portfolio)s::text is null or portfolio = %(portfolio)s)
    group by variant, case_id
),

contacts as (
    select variant, count(*) as contacts
    from collections.action_log
    where as_of between %(from_day)s and %(to_day)s and not dry_run and status in ('sent', 'delivered')
      and (%(portfolio)s::text is null or portfolio = %(portfolio)s)
    group by variant
),

-- a day either side of the bounds covers every portfolio's timezone; paid_on picks the days
recovered as (
    select variant, sum(amount) as recovered
    from collections.recoveries(
        %(from_day)s::date::timestamp at time zone 'UTC' - interval '1 day',
        %(to_day)s::date::timestamp at time zone 'UTC' + interval '2 days'
    )
    where paid_on between %(from_day)s and %(to_day)s
      and (%(portfolio)s::text is null or portfolio = %(portfolio)s)
    group by variant
),

costs as (
    select v.key as variant, sum((v.value ->> 'cost')::numeric) as cost
    from collections.portfolio_day p
    cross join lateral jsonb_each(p.figures -> 'by_variant') v
    where p.as_of between %(from_day)s and %(to_day)s
      and (%(portfolio)s::text is null or p.portfolio = %(portfolio)s)
    group by 1
)

select
    c.variant,
    count(*) as cases,
    count(*) filter (where c.cured) as cured,
    coalesce(max(ct.contacts), 0) as contacts,
    coalesce(max(r.recovered), 0) as recovered,
    max(k.cost) as cost
from cases c
left join contacts ct using (variant)
left join recovered r using (variant)
left join costs k using (variant)
group by c.variant
order by c.variant;
