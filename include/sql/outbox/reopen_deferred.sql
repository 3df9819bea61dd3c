-- Deferred actions whose window is open again go back to the outbox.
update collections.action_log
set status = 'planned', reason = null
where portfolio = %(portfolio)s and as_of = %(as_of)s and kind = %(kind)s and not dry_run
  and status = 'deferred'
  and (window_opens_at is null or %(now)s::timestamptz >= window_opens_at)
  and (window_closes_at is null or %(now)s::timestamptz < window_closes_at);
