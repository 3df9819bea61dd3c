-- A simulated day's figures (SPEC 10), read in the scratch schema (run under store.sql.in_schema):
-- open and on-hold cases per stage, actions per kind and status, suppressions per reason, the
-- most contacts one customer got on the day, and the money overdue.
with days as (
    select d::date as as_of from generate_series(%(from)s::date, %(to)s::date, interval '1 day') d
),

cases as (
    select as_of, coalesce(stage, '-') as stage, count(*)::int as n, sum(overdue_amount) as overdue
    from collections.case_state
    where portfolio = any(%(portfolios)s::text[]) and as_of between %(from)s and %(to)s
      and status in ('open', 'on_hold')
    group by as_of, coalesce(stage, '-')
),

actions as (
    select as_of, kind, status, reason, customer_id
    from collections.action_log
    where portfolio = any(%(portfolios)s::text[]) and as_of between %(from)s and %(to)s
),

contacts as (
    select as_of, customer_id, count(*)::int as n
    from actions
    where kind = any(%(contact_kinds)s::text[]) and status in ('planned', 'sent', 'delivered', 'deferred')
    group by as_of, customer_id
)

select
    d.as_of,
    coalesce((select jsonb_object_agg(c.stage, c.n) from cases c where c.as_of = d.as_of), '{}'::jsonb)
        as cases_by_stage,
    coalesce((select jsonb_object_agg(k.key, k.n) from (
        select a.kind || ':' || a.status as key, count(*)::int as n from actions a where a.as_of = d.as_of group by 1
    ) k), '{}'::jsonb) as actions_by_kind_status,
    coalesce((select jsonb_object_agg(s.reason, s.n) from (
        select coalesce(a.reason, '-') as reason, count(*)::int as n from actions a
        where a.as_of = d.as_of and a.status = 'suppressed' group by 1
    ) s), '{}'::jsonb) as suppressed_by_reason,
    coalesce((select max(n) from contacts ct where ct.as_of = d.as_of), 0) as contacts_max_per_customer_day,
    coalesce((select sum(c.overdue) from cases c where c.as_of = d.as_of), 0)::numeric(17, 2) as overdue_amount
from days d
order by d.as_of;
