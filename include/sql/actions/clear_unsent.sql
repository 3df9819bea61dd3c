-- Supersede the day's actions of the chosen kinds that were not handed to a partner:
-- a rerun plans them again, and the old rows are kept in superseded with the run that
-- wrote them (SPEC section 12). Sent, delivered and failed ones are facts and stay.
-- A dry run supersedes only dry-run actions: the real ones still waiting in the
-- outbox (deferred to the customers' window) must still go out.
with gone as (
    delete from collections.action_log
    where portfolio = %(portfolio)s and as_of = %(as_of)s and kind = any(%(kinds)s::text[])
      and status in ('planned', 'suppressed', 'deferred')
      and (not %(dry_run)s or dry_run)
    returning *
)
insert into collections.superseded (entity, portfolio, as_of, account_id, case_id, run_id, superseded_by, row_data)
select 'action_log', g.portfolio, g.as_of, g.account_id, g.case_id, g.run_id, %(run_id)s, to_jsonb(g)
from gone g;
