-- What a rerun of the days from_day .. to_day for the portfolios would leave and redo: per day, the
-- actions already handed to a partner (sent, delivered or failed: never recalled, never sent again)
-- and those not handed over yet (superseded and planned again on the fixed data).
select as_of,
       count(*) filter (where status in ('sent', 'delivered', 'failed')) as handed_over,
       count(*) filter (where status not in ('sent', 'delivered', 'failed')) as not_handed_over
from collections.action_log
where portfolio = any(%(portfolios)s::text[]) and as_of between %(from_day)s and %(to_day)s and not dry_run
group by as_of
order by as_of;
