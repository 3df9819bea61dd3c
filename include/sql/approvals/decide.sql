-- Apply a person's decision to actions still waiting for one (SPEC 11), as one statement:
-- approved ones become planned with approved_by (the outbox sends them), rejected ones
-- rejected with the reason; each decision is added to the audit trail. An action decided
-- meanwhile (by another request, or in the Collections view) is left as it is: the first
-- decision stands. Returns the actions decided now.
with decided as (
    update collections.action_log al
    set status = case when %(decision)s = 'approved' then 'planned' else 'rejected' end,
        reason = case when %(decision)s = 'rejected' then %(reason)s end,
        approved_by = case when %(decision)s = 'approved' then %(decided_by)s end,
        decided_at = %(decided_at)s
    where al.idempotency_key = any(%(keys)s::text[]) and al.status = 'awaiting_approval' and not al.dry_run
      and al.portfolio = %(portfolio)s
    returning al.idempotency_key, al.portfolio, al.as_of, al.account_id, al.kind
),

kept as (
    insert into collections.approval_decision (
        idempotency_key, portfolio, as_of, account_id, kind, decision, reason, decided_by, decided_at, via, request
    )
    select d.idempotency_key, d.portfolio, d.as_of, d.account_id, d.kind, %(decision)s,
           case when %(decision)s = 'rejected' then %(reason)s end,
           %(decided_by)s, %(decided_at)s, %(via)s, %(request)s
    from decided d
    returning idempotency_key
)

select d.idempotency_key, d.as_of::text as as_of, d.account_id, d.kind
from decided d
order by d.as_of, d.account_id;
