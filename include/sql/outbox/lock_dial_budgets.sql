-- Dial budgets are granted one delivery at a time (every portfolio, day and kind that calls), so
-- that each delivery's rules count the budgets the others granted (migration 0031). Held by the
-- transaction of the send-time rules only: released when their budgets are committed, before
-- anything goes to the dialer.
select pg_advisory_xact_lock(hashtext('collections-dial-budgets'), 0);
