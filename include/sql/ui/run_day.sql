-- The business day a run of a DAG reported (for a scheduled run, whose conf names none).
select as_of from collections.portfolio_day
where dag_id = %(dag_id)s and run_id = %(run_id)s
order by as_of desc
limit 1;
