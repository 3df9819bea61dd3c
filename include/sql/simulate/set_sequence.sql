-- The scratch sequence at the live one's value, read without advancing it (pg_sequences).
select setval(format('%%I.%%I', %(schema)s::text, s.sequencename)::regclass,
              coalesce(s.last_value, s.start_value), s.last_value is not null) as value
from pg_sequences s
where s.schemaname = 'collections' and s.sequencename = %(name)s;
