-- One account's evaluation on a day, with the day before, and its actions: for `collections explain`.
select
    cs.as_of, cs.portfolio, cs.case_id, cs.dpd, cs.bucket, cs.overdue_amount, cs.stage, cs.stage_since,
    cs.status, cs.hold_reason, cs.action_due, cs.cease_contact, cs.suppress_reason, cs.promise_status,
    cs.plan_status,
    (select p.stage from collections.case_state p
     where p.case_id = cs.case_id and p.as_of < cs.as_of order by p.as_of desc limit 1) as previous_stage,
    coalesce((select json_agg(json_build_object('kind', a.kind, 'status', a.status, 'reason', a.reason,
                                                'channel', a.channel, 'template', a.template) order by a.kind)
              from collections.action_log a where a.case_id = cs.case_id and a.as_of = cs.as_of), '[]') as actions
from collections.case_state cs
where cs.account_id = %(account_id)s and cs.as_of = %(as_of)s;
