-- What may go out now for one portfolio, day and kind, with what the partner needs.
-- An order deferred for capacity (no slot on the roster: actions/plan.sql) never goes out:
-- it has no assignee, and its case is due again the next day.
-- Only the customer's own contact details are used: nobody else is ever contacted.
-- next_debit_date: for an account that pays by auto-debit (its latest repayment came
-- that way, in the drops up to the day), the next installment's due date after the day,
-- when the debit is tried.
select
    al.idempotency_key, al.as_of, al.kind, al.channel, al.template, al.assignee, al.priority,
    al.account_id, al.case_id, al.due_date, al.amount_due::text as amount_due, cs.dpd, cs.overdue_amount::text as overdue_amount,
    cu.phone, cu.full_name, cu.address, cu.region, cu.language, acc.vin, acc.currency,
    %(max_dial_attempts)s::int as max_dial_attempts, %(max_connected_calls)s::int as max_connected_calls,
    coalesce(al.dial_budget, %(attempts_per_entry)s)::int as attempts_per_entry,
    next_due.due_date as next_debit_date
from collections.action_log al
join collections.customer cu using (customer_id)
join collections.account acc on acc.account_id = al.account_id
-- the case's row of the day by its key, one lookup an action: the day's rows are newer than the
-- table's statistics, so a plain join was planned as a scan of the portfolio's day per action
left join lateral (
    select cs.dpd, cs.overdue_amount from collections.case_state cs
    where cs.portfolio = al.portfolio and cs.as_of = al.as_of and cs.case_id = al.case_id
    limit 1
) cs on true
left join lateral (
    select r.channel from collections.repayment r
    where r.account_id = al.account_id and r.amount > 0 and r.feed_date <= al.as_of
    order by r.paid_at desc limit 1
) last_paid on true
left join lateral (
    select min(i.due_date) as due_date from collections.installment i
    where last_paid.channel = 'auto_debit' and i.account_id = al.account_id and i.due_date > al.as_of
) next_due on true
where al.portfolio = %(portfolio)s and al.as_of = %(as_of)s and al.kind = %(kind)s
  and not al.dry_run
  and (al.status = 'planned' or (al.status = 'deferred' and al.reason is distinct from 'contact_window'
                                 and al.reason is distinct from 'capacity'))
  and (al.window_opens_at is null or %(now)s::timestamptz >= al.window_opens_at)
  and (al.window_closes_at is null or %(now)s::timestamptz < al.window_closes_at)
order by al.idempotency_key;
