-- How many open cases are due an action today on each rung, over the run's portfolios.
select stage, count(*)::int as due
from collections.case_state
where portfolio = any(%(portfolios)s::text[]) and as_of = %(as_of)s and status = 'open' and action_due
group by stage;
