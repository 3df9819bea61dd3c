-- Rows in the drop that this run covers, and how many of them are invalid, per entity.
with staged as (
    select 'customers' as entity, source, scope, reason from collections.stg_customers where load_id = %(load_id)s
    union all
    select 'accounts', source, scope, reason from collections.stg_accounts where load_id = %(load_id)s
    union all
    select 'installments', source, scope, reason from collections.stg_installments where load_id = %(load_id)s
    union all
    select 'repayments', source, scope, reason from collections.stg_repayments where load_id = %(load_id)s
    union all
    select 'events', source, scope, reason from collections.stg_events where load_id = %(load_id)s
)
select entity, min(source) as source, count(*)::int as rows_in, count(reason)::int as quarantined
from staged
where %(portfolios)s::text[] is null or scope is null or scope = any(%(portfolios)s::text[])
group by entity
order by entity;
