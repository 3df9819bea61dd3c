-- The baseline's replay against the recorded history (SPEC 10): each column of a case_day row
-- (SPEC 6 and variant) or of an action that differs, and each row only one side has (column
-- 'row'). An action handed to a partner (sent, delivered, failed) or deferred to the window in
-- history counts as planned: the replay sends nothing (an order deferred for capacity is
-- deferred on both sides: actions/plan.sql). {scratch} is the replay's schema.
with hist_cases as (
    select * from collections.case_day
    where portfolio = any(%(portfolios)s::text[]) and as_of between %(from)s and %(to)s
),

sim_cases as (
    select * from {scratch}.case_day
    where portfolio = any(%(portfolios)s::text[]) and as_of between %(from)s and %(to)s
),

case_diffs as (
    select coalesce(h.as_of, s.as_of) as as_of, coalesce(h.account_id, s.account_id) as account_id,
           coalesce(h.case_id, s.case_id) as case_id, 'case' as kind, v.col, v.hv, v.sv
    from hist_cases h
    full join sim_cases s on s.portfolio = h.portfolio and s.as_of = h.as_of and s.case_id = h.case_id
    cross join lateral (values
        ('row', case when h.case_id is not null then 'present' end, case when s.case_id is not null then 'present' end),
        ('dpd', h.dpd::text, s.dpd::text),
        ('bucket', h.bucket, s.bucket),
        ('overdue_amount', h.overdue_amount::text, s.overdue_amount::text),
        ('stage', h.stage, s.stage),
        ('status', h.status, s.status),
        ('hold_reason', h.hold_reason, s.hold_reason),
        ('variant', h.variant, s.variant)
    ) v(col, hv, sv)
    where v.hv is distinct from v.sv and (v.col = 'row' or (h.case_id is not null and s.case_id is not null))
),

hist_actions as (
    select idempotency_key, as_of, account_id, case_id, kind,
           case when status in ('sent', 'delivered', 'failed')
                  or (status = 'deferred' and reason is distinct from 'capacity') then 'planned'
                else status end as status,
           reason, channel, assignee, template, variant
    from collections.action_log
    where portfolio = any(%(portfolios)s::text[]) and as_of between %(from)s and %(to)s
),

sim_actions as (
    select idempotency_key, as_of, account_id, case_id, kind, status, reason, channel, assignee, template, variant
    from {scratch}.action_log
    where portfolio = any(%(portfolios)s::text[]) and as_of between %(from)s and %(to)s
),

action_diffs as (
    select coalesce(h.as_of, s.as_of) as as_of, coalesce(h.account_id, s.account_id) as account_id,
           coalesce(h.case_id, s.case_id) as case_id, coalesce(h.kind, s.kind) as kind, v.col, v.hv, v.sv
    from hist_actions h
    full join sim_actions s on s.idempotency_key = h.idempotency_key
    cross join lateral (values
        ('row', case when h.kind is not null then 'present' end, case when s.kind is not null then 'present' end),
        ('status', h.status, s.status),
        ('reason', h.reason, s.reason),
        ('channel', h.channel, s.channel),
        ('assignee', h.assignee, s.assignee),
        ('template', h.template, s.template),
        ('variant', h.variant, s.variant)
    ) v(col, hv, sv)
    where v.hv is distinct from v.sv and (v.col = 'row' or (h.kind is not null and s.kind is not null))
),

diffs as (
    select * from case_diffs
    union all
    select * from action_diffs
)

select as_of, account_id, case_id, kind, col as column, hv as history, sv as replay, count(*) over () as total
from diffs
order by as_of, account_id, case_id nulls first, kind, col
limit %(cap)s;
