-- Benchmark only: put the day's delivered actions back in the outbox for another round
-- against a new simulator (whose receipts start again from the first).
update collections.action_log
set status = 'planned', reason = null, sent_at = null, partner_message_id = null, receipt_at = null
where status in ('sent', 'delivered', 'failed', 'deferred');
delete from collections.receipt_cursor;
