-- Write a set of delivery results back in one statement: one array per column, bound as
-- parameters and unnested side by side (a row per action). A result never overwrites an
-- action that another run has already sent.
update collections.action_log al
set status = r.status,
    reason = r.reason,
    partner_message_id = coalesce(r.partner_message_id, al.partner_message_id),
    attempts = al.attempts + r.attempts,
    sent_at = coalesce(r.sent_at, al.sent_at),
    last_error = case when r.status in ('failed', 'deferred') then r.reason else al.last_error end
from unnest(
    %(keys)s::text[], %(statuses)s::text[], %(reasons)s::text[], %(message_ids)s::text[],
    %(attempts)s::int[], %(sent_at)s::timestamptz[]
) as r(idempotency_key, status, reason, partner_message_id, attempts, sent_at)
where al.idempotency_key = r.idempotency_key
  and al.status not in ('sent', 'delivered');
