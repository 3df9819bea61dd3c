-- The portfolios with actions waiting for a decision (SPEC 11), for the approvals DAG to map over.
select distinct portfolio
from collections.action_log
where status = 'awaiting_approval' and kind = any(%(kinds)s::text[]) and not dry_run
order by portfolio;
