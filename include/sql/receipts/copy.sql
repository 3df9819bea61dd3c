copy receipt (reference, message_id, status, reason, at, attempts, connected) from stdin
