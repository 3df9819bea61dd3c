-- Actions of the day still waiting to be sent (planned or deferred), outside dry runs.
select count(*)::int as n from collections.action_log where status in ('planned', 'deferred') and not dry_run;
