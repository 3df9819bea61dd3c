-- One load of a given drop at a time (held for the session, released by unlock_feed_date.sql).
select pg_advisory_lock(hashtext('collections-load'), hashtext(%(feed_date)s::date::text));
