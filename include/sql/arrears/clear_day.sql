-- Forget the portfolio's arrears for the day, so that a rerun recomputes them.
delete from collections.account_day where portfolio = %(portfolio)s and as_of = %(as_of)s;
