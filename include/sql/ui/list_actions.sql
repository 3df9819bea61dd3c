-- The actions behind a figure of the Today page (issue #13): one portfolio's actions of a day, narrowed
-- by kind, status, reason (of a suppression or a failure; its rule name before any ':') and variant (null:
-- any), with the case they act on, sorted by a column of a fixed list and paged; total counts them all.
select
    al.account_id, al.case_id, al.kind, al.status, al.reason, al.channel, al.assignee, al.template,
    al.variant, cs.dpd, cs.bucket, cs.overdue_amount, coalesce(cs.stage, al.stage, '-') as stage,
    count(*) over () as total
from collections.action_log al
left join collections.case_state cs
    on cs.portfolio = al.portfolio and cs.as_of = al.as_of and cs.case_id = al.case_id
where al.portfolio = %(portfolio)s
  and al.as_of = %(as_of)s
  and (%(stage)s::text is null or coalesce(cs.stage, al.stage, '-') = %(stage)s)
  and (%(kind)s::text is null or al.kind = %(kind)s)
  and (%(status)s::text is null or al.status = %(status)s)
  and (%(reason)s::text is null or split_part(al.reason, ':', 1) = %(reason)s)
  and (%(variant)s::text is null or al.variant = %(variant)s)
order by
    case when %(sort)s = 'dpd' and %(descending)s then cs.dpd end desc nulls last,
    case when %(sort)s = 'dpd' and not %(descending)s then cs.dpd end,
    case when %(sort)s = 'overdue_amount' and %(descending)s then cs.overdue_amount end desc nulls last,
    case when %(sort)s = 'overdue_amount' and not %(descending)s then cs.overdue_amount end,
    case when %(sort)s = 'account_id' and %(descending)s then al.account_id end desc,
    al.account_id, al.kind
limit %(limit)s offset %(offset)s;
