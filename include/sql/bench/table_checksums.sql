-- An md5 of every table of collections (its rows as text, in order) and of every sequence's position:
-- what bench/simulate.py compares before and after a simulation, which must change none of them.
select 'table ' || tablename as object,
       md5(query_to_xml(format('select t::text as r from collections.%%I t order by 1', tablename), false, false, '')::text)
           as checksum
from pg_tables
where schemaname = 'collections'
union all
select 'sequence ' || sequencename, coalesce(last_value::text, 'unused')
from pg_sequences
where schemaname = 'collections'
order by 1;
