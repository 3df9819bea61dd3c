-- The currency of the Trends page's money (the money recovered): the accounts' currency in the
-- portfolio, or in the whole book (portfolio null); several are joined by '/', none is null.
select string_agg(distinct currency, '/' order by currency) as currency
from collections.account
where %(portfolio)s::text is null or portfolio = %(portfolio)s;
