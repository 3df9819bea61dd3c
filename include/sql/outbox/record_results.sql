-- Write a batch of delivery results back in one statement. A result never
-- overwrites an action that another run has already sent.
update collections.action_log al
set status = r.status,
    reason = r.reason,
    partner_message_id = coalesce(r.partner_message_id, al.partner_message_id),
    attempts = al.attempts + r.attempts,
    sent_at = coalesce(r.sent_at, al.sent_at),
    last_error = case when r.status in ('failed', 'deferred') then r.reason else al.last_error end
from delivery_result r
where al.idempotency_key = r.idempotency_key
  and al.status not in ('sent', 'delivered');
