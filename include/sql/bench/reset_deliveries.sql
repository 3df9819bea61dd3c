-- Benchmark only: put the day's delivered actions back in the outbox for another round
-- against a new simulator (whose receipts start again from the first). Turning a sent
-- action back is what the guard of migration 0016 forbids every role: the benchmark,
-- connected as the superuser, switches triggers off for its own transaction.
set local session_replication_role = replica;
update collections.action_log
set status = 'planned', reason = null, sent_at = null, partner_message_id = null, receipt_at = null
where status in ('sent', 'delivered', 'failed', 'deferred');
delete from collections.receipt_cursor;
delete from collections.sms_day_claim;  -- the SMS days claimed by the round before (migration 0030)
-- fresh statistics for the outbox statements, as autovacuum gives a day's actions soon after
-- they are planned (a round that starts on stale ones measures the planner's guess instead)
analyze collections.action_log;
