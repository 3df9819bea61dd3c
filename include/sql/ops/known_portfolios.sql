-- Portfolios with stored accounts, for runs that cover "all" portfolios.
select distinct portfolio from collections.account order by portfolio;
