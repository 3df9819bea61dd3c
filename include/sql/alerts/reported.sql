-- The portfolios whose figures for as_of were reported by a run (not a dry run) of the DAG.
select portfolio from collections.portfolio_day
where as_of = %(as_of)s and dag_id = %(dag_id)s and not dry_run;
