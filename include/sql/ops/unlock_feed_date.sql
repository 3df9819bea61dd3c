select pg_advisory_unlock(hashtext('collections-load'), hashtext(%(feed_date)s::date::text));
