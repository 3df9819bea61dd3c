-- One collection SMS a customer a day (SPEC 5), held by a unique key instead of one lock.
--
-- Until now every delivery that could text a customer ran under one advisory lock for the
-- whole server (outbox/lock_sms.sql), held while its messages were with the gateway, so that
-- the check "no SMS sent to this customer today" could not race with another delivery: the
-- portfolios' SMS deliveries went one at a time, and a slow gateway held all of them.
--
-- Now a delivery claims each customer's day before it sends (outbox/claim_sms.sql): one row
-- a customer and local day, inserted in one short statement that commits before anything goes
-- out. A second delivery to the same customer that day finds the key taken and suppresses its
-- SMS (max_sms_per_customer_per_day), whether the first is still with the gateway or done;
-- deliveries to other customers do not wait at all. A claim whose SMS failed or was suppressed
-- frees the day again (outbox/free_sms_claims.sql); one whose SMS is still planned (a delivery
-- killed mid-way) is its own action's on the rerun. Only the last days' claims are kept: the
-- action log is the record of what was sent.
create table collections.sms_day_claim (
    customer_id     text not null,
    local_day       date not null,          -- the customer's calendar day, in their timezone
    idempotency_key text not null,          -- the action that holds it (collections.action_log)
    claimed_at      timestamptz not null,
    primary key (customer_id, local_day)
);

-- Claims of past days are pruned as deliveries go (outbox/prune_sms_claims.sql): by this index.
create index sms_day_claim_day_idx on collections.sms_day_claim (local_day);
