-- Arrears of the chosen accounts of the portfolio on as_of (SPEC section 3); the
-- accounts are chosen by arrears/choose_work.sql (every account, or those that changed).
-- Money paid up to as_of (in the policy's timezone, reversals subtract) is
-- allocated to installments oldest due date first; an installment is past due
-- when its unpaid part exceeds the tolerance and it fell due before as_of.
-- Installments due on or after as_of cannot be past due, and the waterfall only
-- gives them what is left after the older ones, so they are not read at all.
with accounts as (
    select account_id from arrears_work
),

-- paid on or before as_of in the policy's timezone, written as a range on paid_at (the
-- local date's end as an instant) so that the (account_id, paid_at) index serves it and
-- the planner estimates it: as a date expression it guessed a third of the table and
-- hashed all 18 million repayments of a million-account book for 32,000 accounts.
paid as (
    select r.account_id, sum(r.amount) as paid_total
    from collections.repayment r
    join accounts using (account_id)
    where r.paid_at < (%(as_of)s::date + 1)::timestamp at time zone %(tz)s
    group by r.account_id
),

due as (
    select
        i.account_id,
        i.due_date,
        i.amount_due,
        sum(i.amount_due) over waterfall - i.amount_due as due_before
    from collections.installment i
    join accounts using (account_id)
    where i.due_date < %(as_of)s
    window waterfall as (partition by i.account_id order by i.due_date, i.seq rows unbounded preceding)
),

unpaid as (
    select
        d.account_id,
        d.due_date,
        d.amount_due - least(d.amount_due, greatest(coalesce(p.paid_total, 0) - d.due_before, 0)) as unpaid
    from due d
    left join paid p using (account_id)
),

past_due as (
    select account_id, min(due_date) as oldest_due, sum(unpaid) as overdue_amount
    from unpaid
    where unpaid > %(tolerance)s
    group by account_id
)

insert into collections.account_day (portfolio, as_of, account_id, dpd, overdue_amount)
select %(portfolio)s, %(as_of)s, account_id, %(as_of)s::date - oldest_due, overdue_amount
from past_due;
