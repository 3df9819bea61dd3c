-- Delivery receipts: partners report later whether what they accepted reached
-- its addressee. Each channel's receipts are read from a cursor kept here, and
-- each receipt turns its action `delivered`, or `failed` with the partner's reason.
create table collections.receipt_cursor (
    channel  text primary key,
    cursor   text not null,
    read_at  timestamptz not null
);
alter table collections.action_log add column receipt_at timestamptz;
