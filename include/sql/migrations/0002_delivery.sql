-- Delivery results on each action, and the timestamps the send-time rules need.
alter table collections.action_log
    add column partner_message_id text,
    add column sent_at timestamptz,
    add column attempts integer not null default 0,
    add column last_error text;

create index action_log_outbox_idx on collections.action_log (portfolio, as_of, kind)
    where status in ('planned', 'deferred') and not dry_run;
create index action_log_customer_sms_idx on collections.action_log (customer_id, sent_at)
    where channel = 'sms' and status in ('sent', 'delivered');
