-- The (day, kind) of one portfolio with approved actions still to go out (SPEC 11): planned
-- with approved_by, whatever day they were planned on.
select distinct as_of::text as as_of, kind
from collections.action_log
where portfolio = %(portfolio)s and kind = any(%(kinds)s::text[]) and status = 'planned'
  and approved_by is not null and not dry_run
order by as_of, kind;
