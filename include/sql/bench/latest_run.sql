-- Benchmark only (Airflow metadata database): the newest run of a DAG, its state and span.
select run_id, state, start_date, end_date
from dag_run
where dag_id = %(dag_id)s
order by id desc
limit 1;
