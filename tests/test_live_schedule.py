"""A run the scheduler creates on the DAG's schedule, with no conf at all (SPEC 7; #15).

`airflow dags test` and every other test pass a conf; a DAG whose schedule was
replaced (``schedule=None``) or whose start date lay in the future would pass them
all. Here the live scheduler, with scheduled runs on, creates the latest run of the
cron (catchup off) as soon as the DAG is unpaused; the run must succeed and evaluate
the day before its logical date in the policy's timezone, and record its run id.
The scheduler reads the real clock, so each of the last three days has a drop that
is a whole snapshot of the same book, and the expected day is derived from the
run's own logical date.
"""

from __future__ import annotations

import time

import pendulum
import pytest

from debt_collections.domain.params import default_as_of
from debt_collections.generator.book import BookSpec, generate_book
from debt_collections.policy.loader import load_policy
from debt_collections.store.db import connect
from tests.live_airflow import REPO, live_airflow, metadata_database
from tests.test_airflow import _env

pytestmark = pytest.mark.airflow

DAG_ID = "collections_standard"


def _scheduled_run(live, timeout: float = 180) -> dict:
    """The first run the scheduler created for the DAG (run type scheduled)."""
    deadline = time.monotonic() + timeout
    while True:
        runs = [r for r in live.runs(DAG_ID) if r["run_type"] == "scheduled"]
        if runs:
            return runs[0]
        live.check_alive()
        assert time.monotonic() < deadline, f"no scheduled run of {DAG_ID} after {timeout} s\n{live.report()}"
        time.sleep(2)


def test_the_scheduler_creates_a_run_without_conf_that_evaluates_the_day_before_its_logical_date(
    airflow_metadata_template, pg_admin, db, tmp_path
):
    policy = load_policy(REPO / "dags" / "policies" / "standard.yaml")
    today = pendulum.now(policy.timezone).date()
    drops = tmp_path / "drops"
    for back in range(3):  # a first drop (the whole book up to that day) for each day the run may evaluate
        day = today.subtract(days=back)
        generate_book(drops, BookSpec(accounts=300, start=day, end=day, seed=9))
    env = _env(db, drops)
    env.pop("COLLECTIONS_NOW")  # the product's clock is the scheduler's: the real one
    with (
        metadata_database(pg_admin, tmp_path / "airflow", template=airflow_metadata_template) as meta,
        live_airflow({**env, **meta}, tmp_path / "logs", scheduled_runs=True) as live,
    ):
        live.unpause(DAG_ID)
        created = _scheduled_run(live)
        run = live.wait_for_run(DAG_ID, created["dag_run_id"])
        assert run["state"] == "success", live.report(DAG_ID, created["dag_run_id"])
    assert not run["conf"]
    as_of = default_as_of(pendulum.parse(run["logical_date"]), policy.timezone)
    assert today.subtract(days=2) <= as_of < today
    with connect(db) as conn:
        days = conn.execute("select distinct as_of, run_id from collections.portfolio_day").fetchall()
        cases = conn.execute("select count(*) as n from collections.case_day where as_of = %(d)s", {"d": as_of})
        assert days == [{"as_of": as_of, "run_id": created["dag_run_id"]}]
        assert cases.fetchone()["n"] > 0
