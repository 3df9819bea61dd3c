select pg_advisory_lock(hashtext('collections'), 0);
