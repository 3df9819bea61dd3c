-- The tables of the live schema a scratch schema gets a copy of (empty, then filled): all but the
-- migration ledger, the feed's staging tables and the simulations themselves.
select c.relname as name
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'collections' and c.relkind in ('r', 'p')
  and c.relname not in ('schema_migration', 'staging_load', 'simulation') and c.relname not like 'stg\_%%'
order by c.oid;
