-- Actions of one portfolio waiting for a decision (SPEC 11) whose case no longer takes them, as of
-- its latest evaluation: cured or closed (case_cured, case_closed), on hold (the hold's reason), or,
-- for the kinds those stop (promise_kinds, cease_kinds), under a promise, a payment plan or
-- cease_contact. They become suppressed with that reason, rather than wait for ever unlisted
-- (approvals/awaiting.sql leaves such cases out) and unsent (outbox/apply_send_rules.sql checks the
-- same at send time). A suppressed action is not the case's one (cases/evaluate.sql): when the
-- hold lifts or the promise breaks, that day's plan asks again, with that day's figures.
-- The number of actions withdrawn.
with stale as (
    select al.idempotency_key,
           case
               when lc.status in ('cured', 'closed') then 'case_' || lc.status
               when lc.hold_reason is not null then lc.hold_reason
               when lc.cease_contact and al.kind = any(%(cease_kinds)s::text[]) then 'cease_contact'
               when lc.suppress_reason is not null and al.kind = any(%(promise_kinds)s::text[]) then lc.suppress_reason
           end as rule
    from collections.action_log al
    join lateral (
        select cs.status, cs.hold_reason, cs.cease_contact, cs.suppress_reason
        from collections.case_state cs
        where cs.case_id = al.case_id
        order by cs.as_of desc
        limit 1
    ) lc on true
    where al.portfolio = %(portfolio)s and al.kind = any(%(kinds)s::text[]) and al.status = 'awaiting_approval'
      and not al.dry_run
),

withdrawn as (
    update collections.action_log al
    set status = 'suppressed', reason = s.rule
    from stale s
    where al.idempotency_key = s.idempotency_key and s.rule is not null and al.status = 'awaiting_approval'
    returning al.idempotency_key
)

select count(*) as withdrawn from withdrawn;
