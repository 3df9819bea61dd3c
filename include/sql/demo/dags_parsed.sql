-- Airflow metadata: how many of the demo's DAGs the dag processor has stored.
select count(*) as n from dag where dag_id = any(%(dag_ids)s);
