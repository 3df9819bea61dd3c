-- The actions of one portfolio waiting for a person's decision (SPEC 11), of the given kinds,
-- whatever day they were planned on: an undecided one is asked about again every day until
-- someone decides. Only those whose case is still open as of its latest evaluation are listed
-- (a case cured, closed or put on hold since needs no referral), and not those a promise to pay
-- or a payment plan stops while it runs (promise_kinds: the kinds it stops, SPEC 4), nor, under
-- cease_contact, the kinds that stops (cease_kinds), oldest first, with what the approver weighs:
-- days past due and the amount overdue on the day the action was planned. (An approval given
-- to an older list is checked again at send time: outbox/apply_send_rules.sql.)
select
    al.idempotency_key, al.portfolio, al.as_of::text as as_of, al.account_id, al.case_id, al.kind, al.stage,
    al.assignee, al.variant, cs.dpd, cs.overdue_amount::text as overdue_amount, acc.currency
from collections.action_log al
join collections.account acc on acc.account_id = al.account_id
left join collections.case_state cs on cs.case_id = al.case_id and cs.as_of = al.as_of and cs.portfolio = al.portfolio
join lateral (
    select latest.status, latest.suppress_reason, latest.cease_contact from collections.case_state latest
    where latest.case_id = al.case_id order by latest.as_of desc limit 1
) lc on true
where al.portfolio = %(portfolio)s and al.kind = any(%(kinds)s::text[]) and al.status = 'awaiting_approval'
  and not al.dry_run
  and lc.status = 'open'
  and not (lc.suppress_reason is not null and al.kind = any(%(promise_kinds)s::text[]))
  and not (lc.cease_contact and al.kind = any(%(cease_kinds)s::text[]))
order by al.as_of, al.account_id, al.kind;
