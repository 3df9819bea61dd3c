copy receipt (reference, message_id, status, reason, at) from stdin
