create temporary table receipt (
    reference  text not null,
    message_id text,
    status     text not null,
    reason     text,
    at         timestamptz not null,
    attempts   smallint,  -- the dialer's: dials made on the entry
    connected  boolean    -- the dialer's: whether a call connected
) on commit drop;
