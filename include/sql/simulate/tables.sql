-- The tables of the live schema a scratch schema gets a copy of (empty, then filled): all but the
-- migration ledger, the first load's ledger (migration 0028) and the simulations themselves.
select c.relname as name
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'collections' and c.relkind in ('r', 'p')
  and c.relname not in ('schema_migration', 'bulk_load_pending', 'simulation')
order by c.oid;
