-- Keep a simulation the collections_simulate DAG ran (migration 0024), for the UI to show.
insert into collections.simulation (run_id, params, started_at, finished_at, result)
values (%(run_id)s, %(params)s, %(started_at)s, %(finished_at)s, %(result)s)
returning id;
