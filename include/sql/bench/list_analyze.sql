-- bench/ui_lists.py: fresh statistics on the tables the list pages read before they are timed.
analyze collections.case_state, collections.action_log;
