-- An operator's resend: failed actions of the day go back to the outbox (same key:
-- a partner that did receive one answers with its first result).
update collections.action_log
set status = 'planned', reason = null
where portfolio = %(portfolio)s and as_of = %(as_of)s and kind = %(kind)s and status = 'failed' and not dry_run;
