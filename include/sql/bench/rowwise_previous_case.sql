-- Benchmark reference: one account's case on the day before (its stage and since when).
select stage, stage_since, status from collections.case_state
where account_id = %(account_id)s and as_of = %(as_of)s::date - 1;
