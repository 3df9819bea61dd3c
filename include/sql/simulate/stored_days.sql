-- The days between from and to that history evaluated for the portfolios.
select as_of
from collections.arrears_day
where portfolio = any(%(portfolios)s::text[]) and as_of between %(from)s and %(to)s
group by as_of
order by as_of;
