-- The dialer's own count, read back from its receipts (SPEC section 5): how many times it
-- dialled an entry and whether a call connected, and the attempts the entry was allowed.
alter table collections.action_log add column dial_attempts smallint;  -- from the receipt
alter table collections.action_log add column connected boolean;       -- from the receipt
alter table collections.action_log add column dial_budget smallint;    -- what the dialer was allowed
create index customer_phone_idx on collections.customer (phone);
