-- One simulation the collections_simulate DAG kept, whole (SPEC 10): its params, times and result.
select id, run_id, params, started_at, finished_at, result
from collections.simulation
where id = %(id)s;
