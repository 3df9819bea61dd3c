-- Rows in the drop that this run covers, and how many of them are invalid, per entity, with the
-- source each came from (entities[k] from sources[k]).
with checked as (
    select 'customers' as entity, scope, reason from pg_temp.chk_customers
    union all
    select 'accounts', scope, reason from pg_temp.chk_accounts
    union all
    select 'installments', scope, reason from pg_temp.chk_installments
    union all
    select 'repayments', scope, reason from pg_temp.chk_repayments
    union all
    select 'events', scope, reason from pg_temp.chk_events
)

select c.entity, min(s.source) as source, count(*)::int as rows_in, count(c.reason)::int as quarantined
from checked c
join unnest(%(entities)s::text[], %(sources)s::text[]) as s (entity, source) using (entity)
where %(portfolios)s::text[] is null or c.scope is null or c.scope = any(%(portfolios)s::text[])
group by c.entity
order by c.entity;
