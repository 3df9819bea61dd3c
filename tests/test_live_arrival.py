"""Starting when the data arrives (#14 item 5): the drop's ready marker starts the daily run, the cron stays.

A live Airflow with a triggerer and scheduled runs on, and ``collections_standard`` built from a copy of
``standard.yaml`` that names a ready marker (``{date}/_READY``, polled every 2 s). First no marker comes:
the cron's latest run is created as before and evaluates the day before its logical date (the fallback).
Then the test writes the marker of another day: the triggerer's watcher takes it (the file is gone), the
scheduler creates an asset-triggered run with no logical date, and that run evaluates the marker's day,
not the day before it ran. The scheduler reads the real clock, so the book has a drop for each of the
last three days.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pendulum
import pytest

from debt_collections.domain.params import default_as_of
from debt_collections.generator.book import BookSpec, generate_book
from debt_collections.policy.loader import load_policy
from debt_collections.simulator.server import SimulatorServer
from debt_collections.store.db import connect
from tests.live_airflow import REPO, LiveAirflow, live_airflow, metadata_database
from tests.test_airflow import _env, requests_get

pytestmark = pytest.mark.airflow

DAG_ID = "collections_standard"
MARKER = "{date}/_READY"


def _dags_with_a_marker(folder: Path, fired: pendulum.DateTime) -> Path:
    """A DAGs folder with collections_standard alone, its policy naming the ready marker.

    Its cron fires daily at ``fired``'s time (in the past), and its deadline is a minute later: the
    cron's latest run is past its deadline from the start, so Airflow's deadline alert fires for it.
    """
    shutil.copytree(REPO / "dags" / "policies", folder / "policies")
    shutil.copy(REPO / "dags" / "collections_standard.py", folder)
    policy = folder / "policies" / "standard.yaml"
    text = policy.read_text()
    assert '\nschedule: "0 2 * * *"' in text and "\nfeed:" not in text and "\nalerts:" not in text
    policy.write_text(
        text.replace('\nschedule: "0 2 * * *"', f'\nschedule: "{fired.minute} {fired.hour} * * *"').replace(
            "\ntimezone: Asia/Shanghai\n",
            "\ntimezone: Asia/Shanghai\n"
            f'feed: {{ready_marker: "{MARKER}", ready_poll_seconds: 2}}\n'
            f'alerts: {{deadline_alert: true, deadline: "{fired.add(minutes=1):%H:%M}"}}\n',
        )
    )
    assert load_policy(policy).feed.ready_marker == MARKER
    return folder


def _until(live: LiveAirflow, what: str, found: Callable[[], object], timeout: float) -> object:
    """What ``found`` returns once it is truthy; fails naming ``what`` when a component died or time ran out."""
    deadline = time.monotonic() + timeout
    while True:
        value = found()
        if value:
            return value
        live.check_alive()
        assert time.monotonic() < deadline, f"{what} after {timeout:.0f} s\n{live.report()}"
        time.sleep(2)


def _runs_of(live: LiveAirflow, run_type: str) -> list[dict]:
    return [r for r in live.runs(DAG_ID) if r["run_type"] == run_type]


def _alerts(receiver, kind: str) -> list[dict]:
    """The alerts of ``kind`` the webhook took."""
    return [
        a["body"]
        for a in requests_get(receiver.url + "/_accepted")
        if a["path"] == "/v1/alerts" and a["body"]["kind"] == kind
    ]


def _evaluated(db: str) -> dict:
    with connect(db) as conn:
        rows = conn.execute("select as_of, run_id from collections.portfolio_day group by as_of, run_id").fetchall()
    return {r["run_id"]: r["as_of"] for r in rows}


def test_the_cron_runs_without_a_marker_and_a_marker_starts_a_run_of_its_day(
    airflow_metadata_template, pg_admin, db, tmp_path
):
    policy = load_policy(REPO / "dags" / "policies" / "standard.yaml")
    today = pendulum.now(policy.timezone).date()
    drops = tmp_path / "drops"
    for back in range(3):  # a first drop (the whole book up to that day) for each day a run may evaluate
        day = today.subtract(days=back)
        generate_book(drops, BookSpec(accounts=300, start=day, end=day, seed=9))
    env = _env(db, drops)
    env.pop("COLLECTIONS_NOW")  # the product's clock is the scheduler's: the real one
    fired = pendulum.now(policy.timezone).subtract(minutes=30).start_of("minute")
    receiver = SimulatorServer().start()  # the team's alert webhook
    env["AIRFLOW_CONN_COLLECTIONS_ALERTS"] = json.dumps(
        {"conn_type": "http", "host": "127.0.0.1", "port": receiver.server_address[1], "schema": "http"}
    )
    dags = {"AIRFLOW__CORE__DAGS_FOLDER": str(_dags_with_a_marker(tmp_path / "dags", fired))}
    try:
        with (
            metadata_database(pg_admin, tmp_path / "airflow", template=airflow_metadata_template) as meta,
            live_airflow({**env, **meta, **dags}, tmp_path / "logs", scheduled_runs=True, triggerer=True) as live,
        ):
            live.unpause(DAG_ID)
            # no marker anywhere: the cron still creates its run (the fallback), which evaluates the day before
            cron = _until(live, f"no scheduled run of {DAG_ID}", lambda: _runs_of(live, "scheduled"), 180)[0]
            cron = live.wait_for_run(DAG_ID, cron["dag_run_id"])
            assert cron["state"] == "success", live.report(DAG_ID, cron["dag_run_id"])
            assert not _runs_of(live, "asset_triggered"), "a run was started with no marker written"
            cron_day = default_as_of(pendulum.parse(cron["logical_date"]), policy.timezone)
            assert cron_day == fired.date().subtract(days=1)
            # its deadline (a minute after the cron's time) had passed when it was created: Airflow's deadline alert
            late = _until(live, "no run_late alert", lambda: _alerts(receiver, "run_late"), 120)
            assert [(a["dag_id"], a["run_id"], a["deadline"]) for a in late] == [
                (DAG_ID, cron["dag_run_id"], f"{fired.add(minutes=1):%H:%M}")
            ]

            # the sender finishes today's drop with its marker: a run of today starts
            marker = drops / today.to_date_string() / "_READY"
            marker.write_text("")
            started = _until(live, "no run started by the ready marker", lambda: _runs_of(live, "asset_triggered"), 180)
            assert len(started) == 1, started
            run = live.wait_for_run(DAG_ID, started[0]["dag_run_id"])
            assert run["state"] == "success", live.report(DAG_ID, run["dag_run_id"])
            assert run["logical_date"] is None and not run["conf"]
            assert not marker.exists(), "the watcher takes the marker it fired on"
            assert len(_alerts(receiver, "run_late")) == 1, "a run the marker started has no deadline of its own"
    finally:
        receiver.shutdown()
        receiver.server_close()
    evaluated = _evaluated(db)
    assert evaluated == {cron["dag_run_id"]: cron_day, run["dag_run_id"]: today}, evaluated
