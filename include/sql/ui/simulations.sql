-- The latest simulations the collections_simulate DAG kept (SPEC 10), newest first, for the Simulations page.
select
    id, run_id, started_at, finished_at,
    params ->> 'candidate' as candidate,
    coalesce(params ->> 'baseline', '') as baseline,
    result ->> 'from' as from_day,
    result ->> 'to' as to_day,
    result -> 'portfolios' as portfolios,
    (result ->> 'baseline_matches_history')::boolean as matches_history,
    coalesce((result ->> 'differences_total')::int, 0) as differences_total,
    (result -> 'baseline' -> 'totals' ->> 'rule_violations')::int as baseline_violations,
    (result -> 'candidate' -> 'totals' ->> 'rule_violations')::int as candidate_violations
from collections.simulation
order by id desc
limit %(limit)s;
