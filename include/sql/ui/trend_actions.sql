-- Per day: actions by status (contact results), outside dry runs.
select as_of, status, count(*) as n
from collections.action_log
where as_of = any(%(days)s::date[]) and not dry_run
  and (%(portfolio)s::text is null or portfolio = %(portfolio)s)
group by as_of, status
order by as_of, status;
