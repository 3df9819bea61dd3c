-- The actions of one portfolio waiting for a person's decision (SPEC 11), of the given kinds,
-- whatever day they were planned on: an undecided one is asked about again every day until
-- someone decides. Only those whose case is still open as of its latest evaluation are listed
-- (a case cured, closed or put on hold since needs no referral), oldest first, with what the
-- approver weighs: days past due and the amount overdue on the day the action was planned.
select
    al.idempotency_key, al.portfolio, al.as_of::text as as_of, al.account_id, al.case_id, al.kind, al.stage,
    al.assignee, al.variant, cs.dpd, cs.overdue_amount::text as overdue_amount, acc.currency
from collections.action_log al
join collections.account acc on acc.account_id = al.account_id
left join collections.case_state cs on cs.case_id = al.case_id and cs.as_of = al.as_of and cs.portfolio = al.portfolio
where al.portfolio = %(portfolio)s and al.kind = any(%(kinds)s::text[]) and al.status = 'awaiting_approval'
  and not al.dry_run
  and (select latest.status from collections.case_state latest
       where latest.case_id = al.case_id order by latest.as_of desc limit 1) = 'open'
order by al.as_of, al.account_id, al.kind;
