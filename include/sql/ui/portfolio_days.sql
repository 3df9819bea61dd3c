-- The day's figures of every portfolio, as the report task wrote them, with the portfolio's currency
-- (its accounts'; several are listed together).
select pd.portfolio, pd.as_of, pd.dag_id, pd.run_id, pd.dry_run, pd.figures,
       (select string_agg(distinct a.currency, '/') from collections.account a where a.portfolio = pd.portfolio)
           as currency
from collections.portfolio_day pd
where pd.as_of = %(as_of)s
order by pd.portfolio
