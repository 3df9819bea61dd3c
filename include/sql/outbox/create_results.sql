create temporary table delivery_result (
    idempotency_key text primary key,
    status text not null,
    reason text,
    partner_message_id text,
    attempts integer not null,
    sent_at timestamptz
) on commit drop;
