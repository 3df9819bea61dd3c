select pg_advisory_unlock(hashtext('collections-sms'), 0);
