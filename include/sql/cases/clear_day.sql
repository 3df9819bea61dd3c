-- Supersede the portfolio's case evaluation of the day, so that a rerun recomputes it:
-- the rows leave case_state and are kept, whole, in superseded with the run that wrote
-- them and the run that replaces them (SPEC section 12).
with gone as (
    delete from collections.case_state
    where portfolio = %(portfolio)s and as_of = %(as_of)s
    returning *
)
insert into collections.superseded (entity, portfolio, as_of, account_id, case_id, run_id, superseded_by, row_data)
select 'case_state', g.portfolio, g.as_of, g.account_id, g.case_id, g.run_id, %(run_id)s, to_jsonb(g)
from gone g;
