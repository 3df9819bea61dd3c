-- Keep every invalid row of the drop that this run covers, with its source,
-- position, raw text and reason. Keyed by (feed_date, entity, position): a rerun
-- of the same drop rewrites the same rows. The source of each entity is bound
-- (entities[k] came from sources[k]).
with checked as (
    select 'customers' as entity, position, scope, raw, reason from pg_temp.chk_customers where reason is not null
    union all
    select 'accounts', position, scope, raw, reason from pg_temp.chk_accounts where reason is not null
    union all
    select 'installments', position, scope, raw, reason from pg_temp.chk_installments where reason is not null
    union all
    select 'repayments', position, scope, raw, reason from pg_temp.chk_repayments where reason is not null
    union all
    select 'events', position, scope, raw, reason from pg_temp.chk_events where reason is not null
)

insert into collections.quarantine as q (feed_date, entity, source, position, portfolio, raw, reason)
select %(feed_date)s, c.entity, s.source, c.position, c.scope, c.raw, c.reason
from checked c
join unnest(%(entities)s::text[], %(sources)s::text[]) as s (entity, source) using (entity)
where %(portfolios)s::text[] is null or c.scope is null or c.scope = any(%(portfolios)s::text[])
on conflict (feed_date, entity, position) do update
set source = excluded.source, portfolio = excluded.portfolio, raw = excluded.raw, reason = excluded.reason;
