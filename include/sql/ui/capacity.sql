-- The Capacity page: each kind and region of the deployed rosters (their entries as parallel
-- arrays: kind, region, assignee, daily capacity), with the day's orders of the kind by the
-- customer's region: due (every order not stopped by a rule), assigned (planned or handed to a
-- partner) and deferred for capacity (docs/OPERATIONS.md "Capacity"). A region with orders of a
-- listed kind but no roster entry shows with capacity 0. Real runs only (no dry run).
with roster as (
    select kind, region, count(*)::int as assignees, sum(daily)::int as capacity
    from unnest(%(kinds)s::text[], %(regions)s::text[], %(assignees)s::text[], %(daily)s::int[])
        as r(kind, region, assignee, daily)
    group by kind, region
),

load as (
    select
        al.kind,
        coalesce(cu.region, '') as region,
        count(*) filter (where al.status <> 'suppressed')::int as due,
        count(*) filter (where al.status in ('planned', 'sent', 'delivered', 'failed'))::int as assigned,
        count(*) filter (where al.status = 'deferred' and al.reason = 'capacity')::int as deferred_capacity
    from collections.action_log al
    join collections.customer cu using (customer_id)
    where al.as_of = %(as_of)s and not al.dry_run and al.kind = any(%(kinds)s::text[])
    group by al.kind, coalesce(cu.region, '')
)

select
    kind,
    region,
    coalesce(r.assignees, 0) as assignees,
    coalesce(r.capacity, 0) as capacity,
    coalesce(l.due, 0) as due,
    coalesce(l.assigned, 0) as assigned,
    coalesce(l.deferred_capacity, 0) as deferred_capacity
from roster r
full join load l using (kind, region)
order by kind, region;
