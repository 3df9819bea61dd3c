select pg_advisory_unlock(hashtext('collections-sms'), hashtext(%(as_of)s::date::text));
