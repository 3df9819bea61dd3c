-- Benchmark only: put the day's delivered actions back in the outbox for another round.
update collections.action_log set status = 'planned', reason = null, sent_at = null
where status in ('sent', 'failed', 'deferred');
