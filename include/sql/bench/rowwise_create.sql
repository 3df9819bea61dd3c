-- Benchmark reference "row by row": scratch tables for a first attempt's outputs (temporary).
create temporary table rowwise_account_day (like collections.account_day);
create temporary table rowwise_case (account_id text primary key, dpd integer, overdue_amount numeric(17, 2),
                                     stage text);
create temporary table rowwise_action (account_id text, kind text);
