-- Airflow metadata: the scheduler's run of one DAG for one cron tick (its logical date), if it made one.
select run_id, state from dag_run
where dag_id = %(dag_id)s and logical_date = %(logical_date)s and run_type = 'scheduled';
