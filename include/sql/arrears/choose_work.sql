-- Choose the accounts of the portfolio whose arrears of as_of arrears/compute.sql computes.
--
-- Incremental: when the day before was evaluated (same timezone and tolerance),
-- only the accounts whose arrears may differ from it are computed; every other
-- account was not overdue the day before and cannot be today. Those that may
-- differ: overdue the day before; an installment fell due the day before (so is
-- past due today); a row of the account, its installments or its repayments was
-- written by a load the day before's evaluation did not see; money dated today
-- (a reversal dated today may have been loaded earlier). Without a day before,
-- or with incremental false, every account of the portfolio is computed.
with prior as (
    select load_seq
    from collections.arrears_day
    where portfolio = %(portfolio)s and as_of = %(as_of)s::date - 1
      and timezone = %(tz)s and tolerance = %(tolerance)s and %(incremental)s
),

changed as (
    select account_id from collections.account_day
    where portfolio = %(portfolio)s and as_of = %(as_of)s::date - 1
    union
    select account_id from collections.installment where due_date = %(as_of)s::date - 1
    union
    select account_id from collections.installment where load_seq > (select load_seq from prior)
    union
    select account_id from collections.repayment where load_seq > (select load_seq from prior)
    union
    select account_id from collections.account where load_seq > (select load_seq from prior)
    union
    select account_id from collections.repayment
    where paid_at >= (%(as_of)s::date)::timestamp at time zone %(tz)s
      and paid_at < (%(as_of)s::date + 1)::timestamp at time zone %(tz)s
),

chosen as (
    insert into arrears_work (account_id)
    select a.account_id
    from collections.account a
    where a.portfolio = %(portfolio)s and not exists (select 1 from prior)
    union all
    select a.account_id
    from changed c
    join collections.account a using (account_id)
    where a.portfolio = %(portfolio)s and exists (select 1 from prior)
    returning 1
)

-- how this day was computed, and the last load it saw (read under the portfolio's
-- data lock: no load of its accounts is in flight)
insert into collections.arrears_day as d
    (portfolio, as_of, timezone, tolerance, load_seq, incremental, accounts_computed)
select %(portfolio)s, %(as_of)s, %(tz)s, %(tolerance)s,
       (select case when s.is_called then s.last_value else 0 end from collections.load_seq s),
       exists (select 1 from prior), (select count(*) from chosen)
on conflict (portfolio, as_of) do update
set timezone = excluded.timezone, tolerance = excluded.tolerance, load_seq = excluded.load_seq,
    incremental = excluded.incremental, accounts_computed = excluded.accounts_computed;
