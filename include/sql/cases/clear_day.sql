-- Forget the portfolio's case evaluation for the day, so that a rerun recomputes it.
delete from collections.case_state where portfolio = %(portfolio)s and as_of = %(as_of)s;
