-- The latest day with figures in the report table (the Today page's default).
select max(as_of) as as_of
from collections.portfolio_day
