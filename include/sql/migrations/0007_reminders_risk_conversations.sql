-- Policy language, second round:
-- * accounts may carry a risk grade (optional feed field accounts.risk_grade),
--   which ladder rungs can test (enter.risk_grades);
-- * the call centre can report a conversation (event kind `conversation`), which
--   the US preset's "no call within 7 days after a conversation" rule reads;
-- * a pre-due courtesy reminder belongs to an account, not to a case: its
--   action has no case_id, and is keyed by its idempotency key alone.
alter table collections.account add column risk_grade text;
alter table collections.stg_accounts add column risk_grade text;

alter table collections.event drop constraint event_kind_check;
alter table collections.event add constraint event_kind_check check (kind in (
    'dispute', 'dispute_resolved', 'bankruptcy', 'deceased', 'cease_contact', 'promise_to_pay',
    'payment_plan', 'conversation'));

alter table collections.action_log alter column case_id drop not null;
alter table collections.action_log add column due_date date;               -- reminders: the installment's
alter table collections.action_log add column amount_due numeric(17, 2);   -- reminders: its unpaid part
create index action_log_account_kind_idx on collections.action_log (account_id, kind, as_of);
