-- The calls already with the dialer, sent in the last two days (outbox/apply_send_rules.sql,
-- "dialled": the dial attempts and connected calls a number and a debtor used today) were
-- found by a scan of the whole action log on every delivery of calls, a scan that grows with
-- the log's history. This index finds them by sent_at.
create index action_log_dialer_sent_idx on collections.action_log (sent_at)
    where channel = 'dialer' and not dry_run and sent_at is not null;
