-- The audit trail of approvals (SPEC 11), newest first: who decided what, when, how and why;
-- of one portfolio, or of all when none is given.
select ad.decision_id, ad.idempotency_key, ad.portfolio, ad.as_of::text as as_of, ad.account_id, ad.kind,
       ad.decision, ad.reason, ad.decided_by, ad.decided_at, ad.via, ad.request
from collections.approval_decision ad
where %(portfolio)s::text is null or ad.portfolio = %(portfolio)s
order by ad.decided_at desc, ad.decision_id desc
limit %(limit)s;
