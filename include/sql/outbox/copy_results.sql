copy delivery_result (idempotency_key, status, reason, partner_message_id, attempts, sent_at) from stdin
