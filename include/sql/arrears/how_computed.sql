-- How the portfolio's arrears of as_of were computed (for the task's summary).
select incremental, accounts_computed from collections.arrears_day where portfolio = %(portfolio)s and as_of = %(as_of)s;
