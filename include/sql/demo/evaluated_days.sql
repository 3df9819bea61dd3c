select distinct as_of from collections.portfolio_day;
