-- Forget the day's actions of the chosen kinds that were not handed to a partner:
-- a rerun plans them again. Sent, delivered and failed ones are facts and stay.
-- A dry run forgets only dry-run actions: the real ones still waiting in the
-- outbox (deferred to the customers' window) must still go out.
delete from collections.action_log
where portfolio = %(portfolio)s and as_of = %(as_of)s and kind = any(%(kinds)s::text[])
  and status in ('planned', 'suppressed', 'deferred')
  and (not %(dry_run)s or dry_run);
