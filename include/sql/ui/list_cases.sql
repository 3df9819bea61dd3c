-- The cases behind a figure of the Today page (issue #13: every count opens the accounts behind it):
-- one portfolio's cases on a day, narrowed by stage ('-': none), bucket, status ('active': open or on
-- hold) and variant (null: any), sorted by a column of a fixed list and paged; total counts them all.
-- No name or phone: the account page shows them to those who open it.
select
    cs.account_id, cs.case_id, cs.dpd, cs.bucket, cs.overdue_amount, coalesce(cs.stage, '-') as stage,
    cs.status, cs.hold_reason, cs.suppress_reason, cs.variant, cs.opened_on, cs.stage_since,
    count(*) over () as total
from collections.case_state cs
where cs.portfolio = %(portfolio)s
  and cs.as_of = %(as_of)s
  and (%(stage)s::text is null or coalesce(cs.stage, '-') = %(stage)s)
  and (%(bucket)s::text is null or cs.bucket = %(bucket)s)
  and (%(case_status)s::text is null or cs.status = %(case_status)s
       or (%(case_status)s = 'active' and cs.status in ('open', 'on_hold')))
  and (%(variant)s::text is null or cs.variant = %(variant)s)
order by
    case when %(sort)s = 'dpd' and %(descending)s then cs.dpd end desc nulls last,
    case when %(sort)s = 'dpd' and not %(descending)s then cs.dpd end,
    case when %(sort)s = 'overdue_amount' and %(descending)s then cs.overdue_amount end desc nulls last,
    case when %(sort)s = 'overdue_amount' and not %(descending)s then cs.overdue_amount end,
    case when %(sort)s = 'account_id' and %(descending)s then cs.account_id end desc,
    cs.account_id
limit %(limit)s offset %(offset)s;
