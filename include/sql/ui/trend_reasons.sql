-- Per evaluated day: the open and on-hold cases by the customer's latest delinquency reason (SPEC 2),
-- "unknown" where none was learnt, for the Trends page's "why customers are late".
select cs.as_of, coalesce(cs.delinquency_reason, 'unknown') as reason, count(*) as cases
from collections.case_state cs
where cs.as_of = any(%(days)s::date[])
  and cs.status in ('open', 'on_hold')
  and (%(portfolio)s::text is null or cs.portfolio = %(portfolio)s)
group by 1, 2
order by 1, 2;
