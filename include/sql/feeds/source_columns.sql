-- The columns of a source table or view (the sql feed source reads those it knows).
select a.attname as column_name
from pg_attribute a
where a.attrelid = to_regclass(%(relation)s) and a.attnum > 0 and not a.attisdropped
order by a.attnum;
