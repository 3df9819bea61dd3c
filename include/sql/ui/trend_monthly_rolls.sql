-- Per day: the month-over-month roll rate's counts (SPEC 8; what collections teams read):
-- the cases open or on hold in each bucket a month before the day (same day of the month)
-- and those of them one bucket up on the day. A case that cured or closed in between has
-- no row on the day: it did not roll. A day whose month-before was not evaluated has none.
-- The flow rate's amounts: the overdue amount those cases had a month before, in all and of
-- those that rolled.
with days as (
    select unnest(%(days)s::date[]) as as_of
),

pairs as (
    select d.as_of, p.bucket as from_bucket, p.overdue_amount,
           array_position(array['M0', 'M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M7+'], p.bucket) as pb,
           array_position(array['M0', 'M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M7+'], t.bucket) as b
    from days d
    join collections.case_state p
        on p.as_of = (d.as_of - interval '1 month')::date and p.status in ('open', 'on_hold')
    left join collections.case_state t
        on t.case_id = p.case_id and t.as_of = d.as_of and t.portfolio = p.portfolio
    where %(portfolio)s::text is null or p.portfolio = %(portfolio)s
)

select as_of, from_bucket, count(*) as from_cases, count(*) filter (where b = pb + 1) as rolled,
       sum(overdue_amount) as from_amount, coalesce(sum(overdue_amount) filter (where b = pb + 1), 0) as rolled_amount
from pairs
where from_bucket <> 'M7+'
group by as_of, from_bucket
order by as_of, from_bucket;
