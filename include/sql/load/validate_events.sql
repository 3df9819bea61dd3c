-- Check each staged event row once, into pg_temp.chk_events: the first reason it cannot be loaded
-- (null = valid), the portfolio of its account as scope, its values typed; the raw text kept for
-- a rejected row only. Staging is read, never rewritten. Events are append-only by event_id, like
-- repayments: the same event again is a no-op, the same id with other values is a conflict (values, not
-- spellings: one instant at two offsets, 100 and 100.00, are the same).
with valid_accounts as (
    select distinct on (account_id) account_id, portfolio
    from pg_temp.chk_accounts
    where reason is null
    order by account_id, position
),

-- the event ids delivered more than once (none or a handful): found by counting, not by sorting every row
repeated as (
    select event_id from pg_temp.stg_events
    where parse_error is null
    group by event_id
    having count(*) > 1
),

-- the first row of each of those ids, its values typed where they can be (a row whose values cannot be is
-- refused before its repeats are looked at)
firsts as (
    select distinct on (st.event_id) st.event_id, st.account_id, st.kind, st.reason_code, st.event_source,
           case when collections.is_timestamptz(st.at) then st.at::timestamptz end as at_v,
           case when collections.is_decimal(st.amount) then st.amount::numeric end as amount_v,
           case when collections.is_date(st.until) then st.until::date end as until_v
    from pg_temp.stg_events st
    join repeated using (event_id)
    where st.parse_error is null
    order by st.event_id, st.position
)

insert into pg_temp.chk_events (position, scope, reason, raw, event_id, account_id, at, kind, amount, until, reason_code, event_source)
select v.position, v.portfolio, v.reason, case when v.reason is not null then v.raw end,
       v.event_id, v.account_id, case when v.reason is null then v.at::timestamptz end, v.kind,
       case when v.reason is null then v.amount::numeric end,
       case when v.reason is null then v.until::date end, v.reason_code, v.event_source
from (select s.*, case
    when s.parse_error is not null then s.parse_error
    when s.event_id is null then 'missing field: event_id'
    when s.account_id is null then 'missing field: account_id'
    when s.at is null then 'missing field: at'
    when s.kind is null then 'missing field: kind'
    when s.kind not in ('dispute', 'dispute_resolved', 'bankruptcy', 'bankruptcy_dismissed', 'deceased', 'cease_contact',
                        'contact_allowed', 'promise_to_pay', 'payment_plan', 'conversation', 'delinquency_reason',
                        'contact_outcome')
        then 'bad kind: ' || left(s.kind, 32) || ' (allowed: dispute, dispute_resolved, bankruptcy, bankruptcy_dismissed, '
             || 'deceased, cease_contact, contact_allowed, promise_to_pay, payment_plan, conversation, '
             || 'delinquency_reason, contact_outcome)'
    when s.kind = 'delinquency_reason' and s.reason_code is null then 'missing field: reason (required for delinquency_reason)'
    when s.kind = 'delinquency_reason'
         and s.reason_code not in ('illness', 'unemployment', 'income_drop', 'dispute', 'forgot', 'fraud', 'other')
        then 'bad reason for delinquency_reason: ' || left(s.reason_code, 32)
             || ' (allowed: illness, unemployment, income_drop, dispute, forgot, fraud, other)'
    when s.kind = 'contact_outcome' and s.reason_code is null then 'missing field: reason (required for contact_outcome)'
    when s.kind = 'contact_outcome'
         and s.reason_code not in ('right_party', 'no_answer', 'wrong_number', 'refused', 'third_party')
        then 'bad reason for contact_outcome: ' || left(s.reason_code, 32)
             || ' (allowed: right_party, no_answer, wrong_number, refused, third_party)'
    when s.kind not in ('delinquency_reason', 'contact_outcome') and s.reason_code is not null
        then 'reason is only for delinquency_reason and contact_outcome, not ' || s.kind
    when s.event_source is not null and s.event_source not in ('feed', 'dialer', 'field_app', 'ui')
        then 'bad source: ' || left(s.event_source, 32) || ' (allowed: feed, dialer, field_app, ui)'
    when not collections.is_timestamptz(s.at) then 'bad timestamp in at (ISO 8601 with a UTC offset): ' || left(s.at, 40)
    when s.amount is not null and not collections.is_decimal(s.amount) then 'amount is not a finite decimal with at most 2 places: ' || left(s.amount, 32)
    when s.until is not null and not collections.is_date(s.until) then 'bad date in until: ' || left(s.until, 32)
    when s.kind in ('promise_to_pay', 'payment_plan') and s.amount is null then 'missing field: amount (required for ' || s.kind || ')'
    when s.kind in ('promise_to_pay', 'payment_plan') and s.until is null then 'missing field: until (required for ' || s.kind || ')'
    when s.kind in ('promise_to_pay', 'payment_plan') and s.amount::numeric <= 0 then 'amount must be positive for ' || s.kind
    when s.portfolio is null then 'unknown account_id: ' || left(s.account_id, 64)
    when exists (
        select 1 from collections.event e
        where e.event_id = s.event_id
          and (e.account_id, e.at, e.kind, e.amount, e.until, e.reason, e.source)
              is distinct from (s.account_id, s.at::timestamptz, s.kind, s.amount::numeric, s.until::date,
                                s.reason_code, coalesce(s.event_source, 'feed'))
    ) then 'conflicting re-delivery: event_id ' || left(s.event_id, 64) || ' was loaded before with other content'
    when s.conflicts then 'conflicting re-delivery: event_id ' || left(s.event_id, 64) || ' repeated in this drop with other content'
end as reason
from (
    select
        st.*,
        coalesce(sa.portfolio, a.portfolio) as portfolio,
        -- a later row of the same id whose values differ from the first one's (typed only for the rows of
        -- a repeated id; the row's own values are valid where this is looked at)
        case when f.event_id is null then false
             else (st.account_id, case when collections.is_timestamptz(st.at) then st.at::timestamptz end, st.kind,
                   case when collections.is_decimal(st.amount) then st.amount::numeric end,
                   case when collections.is_date(st.until) then st.until::date end, st.reason_code, st.event_source)
                  is distinct from (f.account_id, f.at_v, f.kind, f.amount_v, f.until_v, f.reason_code, f.event_source)
        end as conflicts
    from pg_temp.stg_events st
    left join valid_accounts sa using (account_id)
    left join collections.account a on a.account_id = st.account_id
    left join firsts f on f.event_id = st.event_id and st.parse_error is null
) s
-- offset 0: the reason is computed once a row (pulled up, it would be computed again for each use below)
offset 0
) v;
