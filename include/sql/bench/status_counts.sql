-- The day's actions by status, outside dry runs.
select status, count(*)::int as n from collections.action_log where not dry_run group by status order by status;
