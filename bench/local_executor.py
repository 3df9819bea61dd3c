"""Airflow's own cost per task instance: one day of a book under the LocalExecutor, against ``dags test``.

    .venv/bin/python bench/local_executor.py [--accounts 20000] [--db 'host=127.0.0.1 user=postgres dbname=postgres']

Generates a book, runs its first day (the first load) with ``airflow dags test``, copies the
database, then runs the next day of ``collections_standard`` twice, once on each copy: with
``airflow dags test`` (every task instance in one process, one after another), and under the
live components (``airflow api-server``, ``scheduler`` and ``dag-processor``, the
LocalExecutor, ``[core] parallelism`` 4, as ``tests/live_airflow.py`` starts them), triggered
through the REST API. For each: the wall time, the task instances and the sum of their
durations, the time no task instance ran (``idle``: the wall time less the union of the task
instances' start-to-end spans), and, under the LocalExecutor, the wait from queued to
started of each task instance (a worker process started, the DAG file parsed). Prints JSON.

A script that reports figures, not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import psycopg

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from benchdb import drop_database  # noqa: E402
from book import BIN, DAG_ID, FIRST_DAY, NEXT_DAY, airflow_env, dag_run  # noqa: E402
from debt_collections.simulator.server import SimulatorServer  # noqa: E402
from debt_collections.store.migrate import migrate  # noqa: E402
from tests.live_airflow import live_airflow, metadata_database  # noqa: E402


def spans_union(spans: list[tuple[float, float]]) -> float:
    """Seconds covered by at least one of the (start, end) spans."""
    covered, reach = 0.0, float("-inf")
    for start, end in sorted(spans):
        if end > reach:
            covered += end - max(start, reach)
            reach = end
    return covered


def summary(wall: float, tis: list[dict]) -> dict:
    """The figures of one run from its task instances (start, end, queued as unix times; None if not set)."""
    spans = [(t["start"], t["end"]) for t in tis if t["start"] and t["end"]]
    waits = [t["start"] - t["queued"] for t in tis if t.get("queued") and t["start"]]
    task_seconds = sum(end - start for start, end in spans)
    out = {
        "wall_seconds": round(wall, 2),
        "task_instances": len(tis),
        "states": sorted({t["state"] for t in tis}),
        "task_seconds": round(task_seconds, 2),
        "busy_seconds": round(spans_union(spans), 2),
        "idle_seconds": round(wall - spans_union(spans), 2),
        "median_task_seconds": round(statistics.median(end - start for start, end in spans), 2),
        "shortest_task_seconds": round(min(end - start for start, end in spans), 2),
    }
    if waits:
        out |= {
            "queued_to_started_median": round(statistics.median(waits), 2),
            "queued_to_started_max": round(max(waits), 2),
            "queued_to_started_sum": round(sum(waits), 2),
        }
    return out


@contextlib.contextmanager
def _serving(server: SimulatorServer) -> Iterator[SimulatorServer]:
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _unix(value: str | None) -> float | None:
    """Unix time of the REST API's ISO string (None: not set)."""
    return datetime.fromisoformat(value).timestamp() if value else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--db", default="host=127.0.0.1 user=postgres dbname=postgres", help="maintenance conninfo")
    args = parser.parse_args()
    tag = uuid.uuid4().hex[:6]
    names = {"dags_test": f"bench_le_a_{tag}", "local_executor": f"bench_le_b_{tag}"}
    result: dict = {"accounts": args.accounts, "load_average_before": [round(x, 2) for x in os.getloadavg()]}
    try:
        with contextlib.ExitStack() as servers, tempfile.TemporaryDirectory(prefix="bench-le-") as tmp:
            server = servers.enter_context(_serving(SimulatorServer().start()))
            work = Path(tmp)
            drops, logs = work / "book", work / "logs"
            logs.mkdir()
            with psycopg.connect(args.db, autocommit=True) as conn:
                conn.execute(f'create database "{names["dags_test"]}"')
            first = psycopg.conninfo.make_conninfo(args.db, dbname=names["dags_test"])
            migrate(first)
            subprocess.run(
                [str(BIN / "python"), "-m", "debt_collections.generator", "--accounts", str(args.accounts)]
                + ["--start", str(FIRST_DAY), "--end", str(NEXT_DAY), "--out", str(drops), "--seed", "11"],
                check=True,
                capture_output=True,
            )
            with metadata_database(args.db, work / "airflow") as meta_env:
                meta_db = re.search(r"@/(\w+)\?", meta_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]).group(1)
                meta = psycopg.conninfo.make_conninfo(args.db, dbname=meta_db)
                env = airflow_env(args.db, work / "airflow", meta_db, first, drops, server.url)
                print("first day (the first load), dags test", flush=True)
                loaded = dag_run(env, meta, FIRST_DAY, f"{FIRST_DAY.add(days=1)}T00:00:00+00:00", logs / "first.log")
                result["first_day_state"] = loaded["state"]
                with psycopg.connect(args.db, autocommit=True) as conn:  # the same book for both runs
                    conn.execute(f'create database "{names["local_executor"]}" template "{names["dags_test"]}"')

                print("next day, dags test", flush=True)
                run_ = dag_run(env, meta, NEXT_DAY, f"{NEXT_DAY.add(days=1)}T00:00:00+00:00", logs / "next.log")
                tis = run_["tasks"]  # each with its state, start and end, as dag_run read them
                # a `dags test` run's start_date is its logical date: its span is its task instances'
                wall = max(t["end"] for t in tis) - min(t["start"] for t in tis)
                result["dags_test"] = summary(wall, tis) | {
                    "state": run_["state"],
                    "process_seconds": run_["seconds"],  # with the CLI's start and the DAG file's parse
                }

                second = psycopg.conninfo.make_conninfo(args.db, dbname=names["local_executor"])
                # partners of its own: the first run's keys would come back as duplicates
                partners = servers.enter_context(_serving(SimulatorServer().start()))
                live_env = {
                    **airflow_env(args.db, work / "airflow", meta_db, second, drops, partners.url),
                    **{k: v for k, v in meta_env.items() if k.startswith("LIVE_")},
                }
                print("next day, LocalExecutor", flush=True)
                with live_airflow(live_env, logs / "live") as live:
                    live.unpause(DAG_ID)
                    began = time.time()
                    run_id = live.trigger(DAG_ID, {"as_of": str(NEXT_DAY)})
                    finished = live.wait_for_run(DAG_ID, run_id, timeout=1800)
                    ended = time.time()
                    listed = live.task_instances(DAG_ID, run_id)
                tis = [
                    {
                        "state": t["state"],
                        "start": _unix(t.get("start_date")),
                        "end": _unix(t.get("end_date")),
                        "queued": _unix(t.get("queued_when")),
                    }
                    for t in listed
                ]
                run_wall = _unix(finished["end_date"]) - _unix(finished["start_date"])
                result["local_executor"] = summary(run_wall, tis) | {
                    "state": finished["state"],
                    "trigger_to_finished_seconds": round(ended - began, 2),
                }
    finally:
        drop_database(args.db, *names.values())
    le, dt = result["local_executor"], result["dags_test"]
    result["local_executor_cost_per_task_instance_seconds"] = round(
        (le["wall_seconds"] - dt["wall_seconds"]) / le["task_instances"], 2
    )
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
