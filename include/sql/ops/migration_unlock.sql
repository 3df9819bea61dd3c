select pg_advisory_unlock(hashtext('collections'), 0);
