create temporary table receipt (
    reference  text not null,
    message_id text,
    status     text not null,
    reason     text,
    at         timestamptz not null
) on commit drop;
