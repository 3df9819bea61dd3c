-- Per evaluated day: open and on-hold cases by bucket, and what happened to the cases of the day
-- before: rolled one bucket up (from each bucket), cured, and promises decided (kept or broken);
-- with the overdue amount the day before's cases had then, in all and of those that rolled (the flow rate).
with days as (
    select unnest(%(days)s::date[]) as as_of, unnest(%(prev_days)s::date[]) as prev_as_of
),

pairs as (
    select d.as_of, t.bucket, t.status, t.promise_status,
           p.bucket as prev_bucket, p.status as prev_status, p.promise_status as prev_promise,
           p.overdue_amount as prev_overdue
    from days d
    join collections.case_state t on t.as_of = d.as_of
    left join collections.case_state p
        on p.case_id = t.case_id and p.as_of = d.prev_as_of and p.portfolio = t.portfolio
    where %(portfolio)s::text is null or t.portfolio = %(portfolio)s
),

ranked as (
    select *,
           array_position(array['M0', 'M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M7+'], bucket) as b,
           array_position(array['M0', 'M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M7+'], prev_bucket) as pb
    from pairs
)

select
    as_of,
    coalesce(prev_bucket, '') as from_bucket,
    bucket,
    count(*) filter (where status in ('open', 'on_hold')) as cases,
    count(*) filter (where prev_status in ('open', 'on_hold')) as from_cases,
    count(*) filter (where prev_status in ('open', 'on_hold') and b = pb + 1) as rolled,
    coalesce(sum(prev_overdue) filter (where prev_status in ('open', 'on_hold')), 0) as from_amount,
    coalesce(sum(prev_overdue) filter (where prev_status in ('open', 'on_hold') and b = pb + 1), 0) as rolled_amount,
    count(*) filter (where prev_status in ('open', 'on_hold') and status = 'cured') as cured,
    count(*) filter (where prev_status is not null and promise_status = 'kept'
                     and prev_promise is distinct from 'kept') as kept,
    count(*) filter (where prev_status is not null and promise_status = 'broken'
                     and prev_promise is distinct from 'broken') as broken
from ranked
group by as_of, prev_bucket, bucket
order by as_of, from_bucket, bucket;
