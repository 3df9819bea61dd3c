-- The most recent days with figures, newest first (navigation on the Today page).
select distinct as_of
from collections.portfolio_day
order by as_of desc
limit %(limit)s
