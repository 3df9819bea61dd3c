-- Benchmark floor: scratch tables shaped like the day's inputs and outputs (temporary: nothing stays).
create temporary table floor_drop (line text);
create temporary table floor_account_day (like collections.account_day);
create temporary table floor_case_state (like collections.case_state);
create temporary table floor_action_log (like collections.action_log);
