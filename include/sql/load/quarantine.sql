-- Keep every invalid row of the drop that this run covers, with its source,
-- position, raw text and reason. Keyed by (feed_date, entity, position): a rerun
-- of the same drop rewrites the same rows.
with staged as (
    select 'customers' as entity, feed_date, source, position, scope, raw, reason from collections.stg_customers where load_id = %(load_id)s
    union all
    select 'accounts', feed_date, source, position, scope, raw, reason from collections.stg_accounts where load_id = %(load_id)s
    union all
    select 'installments', feed_date, source, position, scope, raw, reason from collections.stg_installments where load_id = %(load_id)s
    union all
    select 'repayments', feed_date, source, position, scope, raw, reason from collections.stg_repayments where load_id = %(load_id)s
    union all
    select 'events', feed_date, source, position, scope, raw, reason from collections.stg_events where load_id = %(load_id)s
)
insert into collections.quarantine as q (feed_date, entity, source, position, portfolio, raw, reason)
select feed_date, entity, source, position, scope, raw, reason
from staged
where reason is not null
  and (%(portfolios)s::text[] is null or scope is null or scope = any(%(portfolios)s::text[]))
on conflict (feed_date, entity, position) do update
set source = excluded.source, portfolio = excluded.portfolio, raw = excluded.raw, reason = excluded.reason;
