-- The last evaluated days (newest last), each with the evaluated day before it, for the Trends page.
-- portfolio null = the whole book.
select as_of, lag(as_of) over (order by as_of) as prev_as_of
from (
    select distinct as_of
    from collections.case_state
    where %(portfolio)s::text is null or portfolio = %(portfolio)s
    order by as_of desc
    limit %(days)s + 1
) d
order by as_of;
