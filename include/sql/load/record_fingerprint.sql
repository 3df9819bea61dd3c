insert into collections.feed_fingerprint (feed_date, fingerprint, rows_in)
values (%(feed_date)s, %(fingerprint)s, %(rows_in)s)
on conflict (feed_date) do update set fingerprint = excluded.fingerprint, rows_in = excluded.rows_in;
