-- Supersede the portfolio's case evaluation of the day, so that a rerun recomputes it:
-- the rows leave case_state and are kept, whole, in collections.superseded with the run
-- that wrote them and the run that replaces them (SPEC section 12; the function,
-- migration 0016, is the app role's only way to remove an evaluation).
select collections.supersede_cases(%(portfolio)s, %(as_of)s, %(run_id)s);
