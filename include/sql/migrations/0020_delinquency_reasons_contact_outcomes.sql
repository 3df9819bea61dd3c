-- Delinquency reasons and contact outcomes (SPEC section 2): two event kinds with a reason
-- code, and where an event came from (its source: feed, dialer, field_app, ui).
alter table collections.event drop constraint event_kind_check;
alter table collections.event add constraint event_kind_check check (kind in (
    'dispute', 'dispute_resolved', 'bankruptcy', 'bankruptcy_dismissed', 'deceased', 'cease_contact',
    'contact_allowed', 'promise_to_pay', 'payment_plan', 'conversation', 'delinquency_reason', 'contact_outcome'
));
alter table collections.event add column reason text;
alter table collections.event add column source text not null default 'feed'
    check (source in ('feed', 'dialer', 'field_app', 'ui'));
alter table collections.event add constraint event_reason_check check (
    (kind = 'delinquency_reason' and reason in ('illness', 'unemployment', 'income_drop', 'dispute', 'forgot', 'fraud', 'other'))
    or (kind = 'contact_outcome' and reason in ('right_party', 'no_answer', 'wrong_number', 'refused', 'third_party'))
    or (kind not in ('delinquency_reason', 'contact_outcome') and reason is null)
);
-- staging: the feed's `reason` and `source` (the staging table's own reason and source
-- columns are the validation's reason and the file a row came from)
alter table collections.stg_events add column reason_code text;
alter table collections.stg_events add column event_source text;

-- what the case knows on the day: the latest delinquency reason and contact outcome
alter table collections.case_state add column delinquency_reason text;
alter table collections.case_state add column contact_outcome text;
