-- Check each staged repayment row once, into pg_temp.chk_repayments: the first reason it cannot be
-- loaded (null = valid), the portfolio of its account as scope, its values typed; the raw text kept
-- for a rejected row only. Staging is read, never rewritten. Repayments are append-only by
-- payment_id: the same row again is a no-op (valid, skipped at insert), the same id with other
-- content is a conflict. The timestamp and the amount are checked once a distinct value, not once a
-- row: a timestamp as its date and the rest (the rest after a date that is valid: is_timestamptz(v)
-- holds exactly when both do), as load/validate_installments.sql checks its dates and amounts.
with valid_accounts as (
    select distinct on (account_id) account_id, portfolio
    from pg_temp.chk_accounts
    where reason is null
    order by account_id, position
),

paid_dates as (
    select v, collections.is_date(v) as ok from (select distinct left(paid_at, 10) as v from pg_temp.stg_repayments) d
),

paid_times as (
    select v, collections.is_timestamptz('2000-01-01' || v) as ok
    from (select distinct substr(paid_at, 11) as v from pg_temp.stg_repayments) d
),

amounts as (
    select v, collections.is_decimal(v) as ok from (select distinct amount as v from pg_temp.stg_repayments) d
),

-- the payment ids delivered more than once (none or a handful): found by counting (hashed), not by sorting
-- every row of the drop
repeated as (
    select payment_id from pg_temp.stg_repayments
    where parse_error is null
    group by payment_id
    having count(*) > 1
),

-- the first row of each of those ids, its values typed where they can be (a row whose values cannot be is
-- refused before its repeats are looked at); the checks run on these few rows only
firsts as (
    select distinct on (st.payment_id) st.payment_id, st.account_id,
           case when collections.is_timestamptz(st.paid_at) then st.paid_at::timestamptz end as paid_at_v,
           case when collections.is_decimal(st.amount) then st.amount::numeric end as amount_v, st.reverses, st.channel
    from pg_temp.stg_repayments st
    join repeated using (payment_id)
    where st.parse_error is null
    order by st.payment_id, st.position
)

insert into pg_temp.chk_repayments (position, scope, reason, raw, payment_id, account_id, paid_at, amount, reverses, channel)
select v.position, v.portfolio, v.reason, case when v.reason is not null then v.raw end,
       v.payment_id, v.account_id, case when v.reason is null then v.paid_at::timestamptz end,
       case when v.reason is null then v.amount::numeric end, v.reverses, v.channel
from (select s.*, case
    when s.parse_error is not null then s.parse_error
    when s.payment_id is null then 'missing field: payment_id'
    when s.account_id is null then 'missing field: account_id'
    when s.paid_at is null then 'missing field: paid_at'
    when s.amount is null then 'missing field: amount'
    when not (s.paid_date_ok and s.paid_time_ok) then 'bad timestamp in paid_at (ISO 8601 with a UTC offset): ' || left(s.paid_at, 40)
    when not s.amount_ok then 'amount is not a finite decimal with at most 2 places: ' || left(s.amount, 32)
    -- a payment from the future (a mistyped year): the policy's feed.paid_at_days_ahead bounds it
    when s.paid_at::timestamptz >= %(paid_at_before)s::timestamptz
        then 'paid_at ' || left(s.paid_at, 40) || ' is later than the drop''s day allows (feed.paid_at_days_ahead)'
    when s.portfolio is null then 'unknown account_id: ' || left(s.account_id, 64)
    when s.reverses is null and s.amount::numeric <= 0 then 'amount must be positive (a reversal names the payment it reverses)'
    when s.reverses is not null and s.amount::numeric >= 0 then 'a reversal must have a negative amount'
    when s.reverses is not null
     and not exists (select 1 from collections.repayment r where r.payment_id = s.reverses and r.account_id = s.account_id)
     and not exists (select 1 from pg_temp.stg_repayments o
                     where o.payment_id = s.reverses and o.account_id = s.account_id
                       and o.reverses is null and o.parse_error is null)
        then 'reverses unknown payment_id: ' || left(s.reverses, 64)
    when s.stored_payment_id is not null
     and (s.stored_account_id, s.stored_paid_at, s.stored_amount, s.stored_reverses, s.stored_channel)
         is distinct from (s.account_id, s.paid_at::timestamptz, s.amount::numeric, s.reverses, s.channel) then 'conflicting re-delivery: payment_id ' || left(s.payment_id, 64) || ' was loaded before with other content'
    when s.conflicts then 'conflicting re-delivery: payment_id ' || left(s.payment_id, 64) || ' repeated in this drop with other content'
end as reason
from (
    select
        st.*,
        coalesce(sa.portfolio, a.portfolio) as portfolio,
        pd.ok as paid_date_ok,
        pt.ok as paid_time_ok,
        am.ok as amount_ok,
        -- the payment as stored, when its id was loaded before (a join, not a subquery run a row: the
        -- planner chooses how from the sizes of the drop and the book)
        r.payment_id as stored_payment_id, r.account_id as stored_account_id, r.paid_at as stored_paid_at,
        r.amount as stored_amount, r.reverses as stored_reverses, r.channel as stored_channel,
        -- a later row of the same id whose values differ from the first one's
        f.payment_id is not null
            and (st.account_id, case when pd.ok and pt.ok then st.paid_at::timestamptz end,
                 case when am.ok then st.amount::numeric end, st.reverses, st.channel)
                is distinct from (f.account_id, f.paid_at_v, f.amount_v, f.reverses, f.channel) as conflicts
    from pg_temp.stg_repayments st
    left join valid_accounts sa using (account_id)
    left join collections.account a on a.account_id = st.account_id
    left join collections.repayment r on r.payment_id = st.payment_id
    left join paid_dates pd on pd.v = left(st.paid_at, 10)
    left join paid_times pt on pt.v = substr(st.paid_at, 11)
    left join amounts am on am.v = st.amount
    left join firsts f on f.payment_id = st.payment_id and st.parse_error is null
) s
-- offset 0: the reason is computed once a row (pulled up, it would be computed again for each use below)
offset 0
) v;
