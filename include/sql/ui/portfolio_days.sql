-- The day's figures of every portfolio, as the report task wrote them.
select portfolio, as_of, dag_id, run_id, dry_run, figures
from collections.portfolio_day
where as_of = %(as_of)s
order by portfolio
