-- Every portfolio that has figures, for the Trends page's filter.
select distinct portfolio from collections.portfolio_day order by portfolio;
