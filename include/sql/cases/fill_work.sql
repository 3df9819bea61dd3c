-- Fill the work tables of cases/evaluate.sql: the portfolio's open and on-hold cases of
-- the previous evaluated day, and its arrears of as_of.
with prev_day as (
    select max(as_of) as as_of
    from collections.case_state
    where portfolio = %(portfolio)s and as_of < %(as_of)s
),

prev as (
    insert into case_prev (case_id, account_id, customer_id, opened_on, stage, stage_since, variant)
    select cs.case_id, cs.account_id, cs.customer_id, cs.opened_on, cs.stage, cs.stage_since, cs.variant
    from collections.case_state cs
    join prev_day on cs.as_of = prev_day.as_of
    where cs.portfolio = %(portfolio)s and cs.status in ('open', 'on_hold')
)

insert into case_arrears (account_id, dpd, overdue_amount)
select account_id, dpd, overdue_amount
from collections.account_day
where portfolio = %(portfolio)s and as_of = %(as_of)s;
