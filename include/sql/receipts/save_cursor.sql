insert into collections.receipt_cursor (channel, cursor, read_at)
values (%(channel)s, %(cursor)s, now())
on conflict (channel) do update set cursor = excluded.cursor, read_at = excluded.read_at;
