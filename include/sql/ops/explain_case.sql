-- One account's evaluation on a day, with the day before, and its actions: for `collections explain`.
select
    cs.as_of, cs.portfolio, cs.case_id, cs.dpd, cs.bucket, cs.overdue_amount, cs.stage, cs.stage_since,
    cs.status, cs.hold_reason, cs.action_due, cs.cease_contact, cs.suppress_reason, cs.promise_status,
    cs.plan_status, cs.variant, acc.product, acc.risk_grade,
    -- promises to pay made during the overdue episode that ended short (as in cases/evaluate.sql)
    (select count(*)::int from collections.event e
     where e.account_id = cs.account_id and e.kind = 'promise_to_pay'
       and (e.at at time zone %(tz)s)::date >= least(cs.opened_on, cs.as_of - cs.dpd) and e.until < cs.as_of
       and (select coalesce(sum(r.amount), 0) from collections.repayment r
            where r.account_id = e.account_id and r.paid_at >= e.at
              and (r.paid_at at time zone %(tz)s)::date <= e.until) < e.amount) as broken_promises,
    (select p.stage from collections.case_state p
     where p.case_id = cs.case_id and p.as_of < cs.as_of order by p.as_of desc limit 1) as previous_stage,
    coalesce((select json_agg(json_build_object('kind', a.kind, 'status', a.status, 'reason', a.reason,
                                                'channel', a.channel, 'template', a.template) order by a.kind)
              from collections.action_log a where a.case_id = cs.case_id and a.as_of = cs.as_of), '[]') as actions
from collections.case_state cs
join collections.account acc using (account_id)
where cs.account_id = %(account_id)s and cs.as_of = %(as_of)s;
