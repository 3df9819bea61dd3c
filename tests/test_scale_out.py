"""Scale out: collections_standard under the CeleryExecutor with two workers equals a LocalExecutor run.

The same day of the same book is run twice into two databases: A by ``airflow
dags test`` (the reference, every task in one process), B by a DAG run triggered
through the REST API of a live Airflow (API server, scheduler, DAG processor) whose
CeleryExecutor sends the tasks through Redis to two workers of concurrency 1. The
mapped tasks (one per portfolio) must have run on both workers, and the outputs of
A and B must be identical. See docs/SCALE-OUT.md.
"""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest

from debt_collections.generator.book import BookSpec, generate_book
from debt_collections.store.db import connect
from tests.airflow_cli import run_airflow
from tests.live_airflow import live_airflow, metadata_database, redis_answers
from tests.scenario import d, dag_run_state
from tests.test_airflow import _env

pytestmark = pytest.mark.airflow

AS_OF = "2026-11-20"  # long past: every notice and call waits for its window the same way in both runs
# Redis database 11 and, in live_airflow, a queue and a key prefix of the run's own
BROKER = "redis://127.0.0.1:6379/11"
WORKERS = ("scaleout-a", "scaleout-b")
PORTFOLIOS = {"AUTO-EAST", "AUTO-NORTH", "AUTO-SOUTH", "LEASE-WEST"}

# What a run writes, minus what legitimately differs between two runs of one day:
# - collections.case_day and collections.action (SPEC 6) have no timestamps and no
#   ids of a run (case_id is derived from the account and the day it opened): whole rows;
# - collections.action_log whole, except the window a deferred notice or call waits
#   for, which delivery moves to the next opening after its own clock (days apart
#   for two runs on either side of midnight), and the audit columns of which run
#   planned the action and when (run_id, planned_at);
# - collections.portfolio_day whole, except run_id (each run has its own).
OUTPUTS = {
    "case_day": "select t::text as row from collections.case_day t order by 1",
    "action": "select t::text as row from collections.action t order by 1",
    "action_log": "select (to_jsonb(t) - 'window_opens_at' - 'window_closes_at' - 'run_id' - 'planned_at')::text "
    "as row from collections.action_log t order by 1",
    "portfolio_day": "select (to_jsonb(t) - 'run_id')::text as row from collections.portfolio_day t order by 1",
}


def outputs(db: str) -> dict[str, list[str]]:
    with connect(db) as conn:
        return {name: [r["row"] for r in conn.execute(sql)] for name, sql in OUTPUTS.items()}


@pytest.fixture
def book(tmp_path):
    root = tmp_path / "drops"
    generate_book(root, BookSpec(accounts=2000, start=d(AS_OF), end=d(AS_OF), seed=21))
    return root


def test_celery_with_two_workers_writes_what_a_local_run_writes(
    airflow_metadata_template, pg_admin, db, fresh_db, book, tmp_path
):
    why = redis_answers("127.0.0.1", 6379)
    if why:
        pytest.skip(f"no Redis at 127.0.0.1:6379: {why}")
    conf = {"as_of": AS_OF}
    # A's collections database is a copy of the migrated template, B's is empty (its first task migrates it).
    # A: the reference, every task in one process, on the session's Airflow metadata database (as in
    # tests/test_airflow.py)
    local = run_airflow(["dags", "test", "collections_standard", "-c", json.dumps(conf)], env=_env(db, book))
    assert dag_run_state(local) == "success", local.stdout[-3000:] + local.stderr[-3000:]
    # B: a run triggered on live Airflow, its tasks sent through Redis to two Celery workers
    with (
        metadata_database(pg_admin, tmp_path / "airflow", template=airflow_metadata_template) as meta,
        live_airflow(
            {**_env(fresh_db, book), **meta},
            tmp_path / "logs",
            executor="CeleryExecutor",
            workers=WORKERS,
            broker_url=BROKER,
        ) as live,
    ):
        live.unpause("collections_standard")
        began = time.monotonic()
        run_id = live.trigger("collections_standard", conf)
        queue = live.env["AIRFLOW__OPERATORS__DEFAULT_QUEUE"]
        # the run's tasks go to the queue its workers serve (not that of an older DAG version)
        assert {t["queue"] for t in live.task_instances("collections_standard", run_id)} == {queue}
        run = live.wait_for_run("collections_standard", run_id)
        took = time.monotonic() - began
        assert run["state"] == "success", live.report("collections_standard", run_id)
        tis = live.task_instances("collections_standard", run_id)
    per_worker = Counter(t["hostname"] for t in tis if t["state"] == "success")
    print(f"celery run of {AS_OF}: {took:.0f} s from trigger to success; tasks per worker {dict(per_worker)}")

    ran = [t for t in tis if t["state"] == "success"]
    assert {t["queue"] for t in ran} == {queue}  # sent through the run's own Celery queue
    assert {t["hostname"] for t in ran} <= set(WORKERS), {t["hostname"] for t in ran}
    mapped = [t for t in ran if t["map_index"] >= 0]
    assert {t["rendered_map_index"] for t in mapped if t["task_id"] == "evaluate"} == PORTFOLIOS
    # portfolios spread over both workers
    assert {t["hostname"] for t in mapped} == set(WORKERS), [
        (t["task_id"], t["rendered_map_index"], t["hostname"]) for t in mapped
    ]

    a, b = outputs(db), outputs(fresh_db)
    assert len(a["case_day"]) > 100 and len(a["action"]) > 100
    assert {json.loads(r)["portfolio"] for r in a["portfolio_day"]} == PORTFOLIOS
    for name in OUTPUTS:
        assert a[name] == b[name], name
