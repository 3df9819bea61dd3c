-- A page of one channel's receipts, in one statement: each turns the action it
-- names (its idempotency key is the receipt's reference) `delivered`, or
-- `failed` with the partner's reason. An action the partner took but whose
-- answer was lost (still planned or deferred here, or failed after the retries
-- ran out) is settled the same way: the receipt is the partner's own word.
-- Receipts of unknown references, of other channels or of dry runs change nothing.
-- The dialer's receipts also bring its count of dials and whether a call connected,
-- which the send-time rules of later calls read (outbox/apply_send_rules.sql).
with latest as (
    select distinct on (reference) reference, message_id, status, reason, at, attempts, connected
    from receipt
    where status in ('delivered', 'failed')
    order by reference, at desc
)
update collections.action_log al
set status = r.status,
    reason = case when r.status = 'failed' then left(coalesce(r.reason, 'failed: no reason given'), 300) end,
    partner_message_id = coalesce(al.partner_message_id, r.message_id),
    sent_at = coalesce(al.sent_at, r.at),
    receipt_at = r.at,
    dial_attempts = coalesce(r.attempts, al.dial_attempts),
    connected = coalesce(r.connected, al.connected)
from latest r
where al.idempotency_key = r.reference
  and al.channel = any(%(channels)s::text[])
  and al.status in ('planned', 'deferred', 'sent', 'failed')
  and not al.dry_run;
