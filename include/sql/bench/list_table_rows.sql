-- bench/ui_lists.py: the rows the list pages read from, all days and portfolios.
select (select count(*) from collections.case_state) as case_state,
       (select count(*) from collections.action_log) as action_log;
