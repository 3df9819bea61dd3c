-- What one entity of the drop brought in, and how much of it was kept out.
insert into collections.feed_load (feed_date, entity, source, rows_in, quarantined)
values (%(feed_date)s, %(entity)s, %(source)s, %(rows_in)s, %(quarantined)s)
on conflict (feed_date, entity) do update
set source = excluded.source, rows_in = excluded.rows_in, quarantined = excluded.quarantined;
