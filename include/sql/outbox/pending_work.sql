-- (portfolio, day, kind) that still have actions waiting to go out: planned, or
-- deferred to the customers' contact window (not deferred for capacity: those never go
-- out), and approved actions (SPEC 11) of any day: a decision may come days after the plan.
-- Mapped over by the outbox DAG.
select distinct portfolio, as_of::text as as_of, kind
from collections.action_log
where status in ('planned', 'deferred') and reason is distinct from 'capacity' and not dry_run
  and (as_of >= %(since)s or (status = 'planned' and approved_by is not null))
order by as_of, portfolio, kind;
