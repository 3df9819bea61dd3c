-- Rows of a day's drop quarantined before a portfolio could be named (a parse error, an unknown
-- account or customer): no portfolio's report counts them, so the Today page shows them apart.
select split_part(reason, ':', 1) as reason, count(*) as n
from collections.quarantine
where feed_date = %(as_of)s and portfolio is null
group by 1
order by 2 desc, 1
