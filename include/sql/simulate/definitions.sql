-- The definitions of the live schema's functions (but trigger functions and the owner's
-- maintenance functions) and views, in the order they were made, which their dependencies
-- follow. debt_collections.store.sql.retarget points them at a scratch schema.
select ddl
from (
    select 1 as part, p.oid, pg_get_functiondef(p.oid) as ddl
    from pg_proc p
    join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'collections' and p.prokind = 'f' and p.prorettype <> 'trigger'::regtype
      and p.proname not in ('analyze_after_load', 'begin_bulk_load', 'end_bulk_load', 'create_scratch_schema',
                            'drop_scratch_schema')
    union all
    select 2, c.oid, format('create view collections.%%I as %%s', c.relname, pg_get_viewdef(c.oid))
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'collections' and c.relkind = 'v'
) d
order by part, oid;
