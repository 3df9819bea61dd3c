-- Benchmark only (Airflow metadata database): what each task of a run returned.
select task_id, map_index, value
from xcom
where dag_id = %(dag_id)s and run_id = %(run_id)s and key = 'return_value';
