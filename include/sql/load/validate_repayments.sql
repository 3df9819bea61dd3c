-- Check each staged repayment row once, into pg_temp.chk_repayments: the first reason it cannot be
-- loaded (null = valid), the portfolio of its account as scope, its values typed; the raw text kept
-- for a rejected row only. Staging is read, never rewritten. Repayments are append-only by
-- payment_id: the same row again is a no-op (valid, skipped at insert), the same id with other
-- content is a conflict.
with valid_accounts as (
    select distinct on (account_id) account_id, portfolio
    from pg_temp.chk_accounts
    where reason is null
    order by account_id, position
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
    when not collections.is_timestamptz(s.paid_at) then 'bad timestamp in paid_at (ISO 8601 with a UTC offset): ' || left(s.paid_at, 40)
    when not collections.is_decimal(s.amount) then 'amount is not a finite decimal with at most 2 places: ' || left(s.amount, 32)
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
    when exists (
        select 1 from collections.repayment r
        where r.payment_id = s.payment_id
          and (r.account_id, r.paid_at, r.amount, r.reverses, r.channel)
              is distinct from (s.account_id, s.paid_at::timestamptz, s.amount::numeric, s.reverses, s.channel)
    ) then 'conflicting re-delivery: payment_id ' || left(s.payment_id, 64) || ' was loaded before with other content'
    when s.conflicts then 'conflicting re-delivery: payment_id ' || left(s.payment_id, 64) || ' repeated in this drop with other content'
end as reason
from (
    select
        st.*,
        coalesce(sa.portfolio, a.portfolio) as portfolio,
        -- a later row of the same id whose content differs from the first one
        (st.account_id, st.paid_at, st.amount, st.reverses, st.channel) is distinct from (
            first_value(st.account_id) over same_key, first_value(st.paid_at) over same_key,
            first_value(st.amount) over same_key, first_value(st.reverses) over same_key,
            first_value(st.channel) over same_key) as conflicts
    from pg_temp.stg_repayments st
    left join valid_accounts sa using (account_id)
    left join collections.account a on a.account_id = st.account_id
    window same_key as (partition by st.payment_id, st.parse_error is null order by st.position)
) s
-- offset 0: the reason is computed once a row (pulled up, it would be computed again for each use below)
offset 0
) v;
