-- Deferred actions whose window is open again go back to the outbox (not those deferred for
-- capacity: they have no assignee, and their case is planned again the next day).
update collections.action_log
set status = 'planned', reason = null
where portfolio = %(portfolio)s and as_of = %(as_of)s and kind = %(kind)s and not dry_run
  and status = 'deferred' and reason is distinct from 'capacity'
  and (window_opens_at is null or %(now)s::timestamptz >= window_opens_at)
  and (window_closes_at is null or %(now)s::timestamptz < window_closes_at);
