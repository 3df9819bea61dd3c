-- The live schema's free-standing sequences (not those of identity or serial columns).
select c.relname as name
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'collections' and c.relkind = 'S'
  and not exists (select 1 from pg_depend d where d.objid = c.oid and d.classid = 'pg_class'::regclass
                                          and d.deptype in ('a', 'i'))
order by c.oid;
