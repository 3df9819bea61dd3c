-- Benchmark floor: write the day's outputs once (the rows the product wrote, one insert each).
-- Data-modifying CTEs always run to completion, read or not.
with account_days as (
    insert into floor_account_day select * from collections.account_day where as_of = %(as_of)s
),

cases as (
    insert into floor_case_state select * from collections.case_state where as_of = %(as_of)s
)

insert into floor_action_log
select * from collections.action_log where as_of = %(as_of)s;
