-- Benchmark only (Airflow metadata database): each task instance of one DAG run, with its
-- portfolio (the rendered map index), times and the host/pid that ran it.
select task_id, map_index, rendered_map_index, state, start_date, end_date,
       extract(epoch from end_date - start_date)::float8 as seconds, hostname, pid
from task_instance
where dag_id = %(dag_id)s and run_id = %(run_id)s
order by start_date nulls last, task_id, map_index;
