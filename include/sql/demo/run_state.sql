-- Airflow metadata: the state of one DAG run.
select state from dag_run where dag_id = %(dag_id)s and run_id = %(run_id)s;
