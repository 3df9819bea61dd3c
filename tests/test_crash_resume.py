"""A day's run killed (SIGKILL) at points all through it, then rerun, ends as one uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import psycopg
import pytest
import requests

from debt_collections.generator.book import BookSpec, generate_book
from debt_collections.simulator.server import SimulatorServer
from tests.airflow_cli import run_airflow
from tests.pg import migrated_databases
from tests.scenario import d

RUN = """
import sys, pendulum, requests
from debt_collections.delivery.http import PartnerClient
from debt_collections.domain.params import RunParams
from debt_collections.feeds.csv_source import CsvSource
from debt_collections.plan import run_day
from debt_collections.policy.loader import load_policy
db, drops, url, day, policy_file = sys.argv[1:6]
policy = load_policy(policy_file)
partners = {c: PartnerClient(url, requests.Session()) for c in ("sms", "letter", "dialer", "field_app", "legal_portal")}
as_of = pendulum.parse(day).date()
run_day(db, policy, CsvSource(drops, as_of), RunParams(as_of, None, policy.stages, False), partners=partners,
        now=pendulum.parse("2026-11-28T10:00:00+08:00"))
"""
POLICY = os.path.join(os.path.dirname(__file__), "..", "dags", "policies", "standard.yaml")

# Where a day's run is killed, in the order a run passes them (debt_collections.faults): between the
# load's transactions, inside an evaluation's open transaction and after it commits, after a rung's
# plan, after a partner accepted a batch whose results are not written yet, after they are, after
# the report. ``#N`` is the N-th pass: the second portfolio, the second stage.
CRASH_POINTS = (
    "load.staged",
    "load.validated",
    "load.upserted",
    "evaluate.arrears",
    "evaluate.done",
    "evaluate.done#3",
    "plan.done",
    "plan.done#6",
    "deliver.sent",
    "deliver.recorded",
    "deliver.sent#2",
    "report.done",
    "report.done#2",
)


def _run(db: str, drops, url: str, day: str, crash_at: str | None = None) -> None:
    """Run a day in a child process of its own group; with ``crash_at``, check that it died there."""
    env = {k: v for k, v in os.environ.items() if k != "COLLECTIONS_CRASH_AT"}
    if crash_at:
        env["COLLECTIONS_CRASH_AT"] = crash_at
    proc = subprocess.run(
        [sys.executable, "-c", RUN, db, str(drops), url, day, POLICY],
        env=env,
        start_new_session=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    expected = -signal.SIGKILL if crash_at else 0
    assert proc.returncode == expected, (
        f"day {day}, crash point {crash_at or 'none'}: exit {proc.returncode}, expected {expected} "
        f"({'the run never passed the point' if proc.returncode == 0 else 'the run failed'})\n{proc.stderr[-3000:]}"
    )


def _views(db: str) -> tuple[list, list]:
    with psycopg.connect(db) as conn:
        return (
            conn.execute("select * from collections.case_day order by as_of, case_id").fetchall(),
            conn.execute(
                "select as_of, account_id, case_id, kind, status, reason, channel, assignee, template "
                "from collections.action order by as_of, case_id, kind"
            ).fetchall(),
        )


@pytest.fixture
def two_dbs(pg_admin):
    yield from migrated_databases(pg_admin, 2, "coll_crash")


def test_killed_at_any_point_then_rerun_equals_an_uninterrupted_run(two_dbs, tmp_path):
    clean, crashed = two_dbs
    drops = tmp_path / "drops"
    generate_book(drops, BookSpec(accounts=1500, start=d("2026-11-26"), end=d("2026-11-27"), seed=3))
    sims = [SimulatorServer().start(), SimulatorServer().start()]
    try:
        for day in ("2026-11-26", "2026-11-27"):
            _run(clean, drops, sims[0].url, day)
        kills = []
        for day, points in (("2026-11-26", CRASH_POINTS[::2]), ("2026-11-27", CRASH_POINTS[1::2])):
            for point in points:  # each run dies at its point (checked), the next starts over
                _run(crashed, drops, sims[1].url, day, crash_at=point)
                kills.append(f"{day}/{point}")
            _run(crashed, drops, sims[1].url, day)
        assert len(kills) == len(CRASH_POINTS)
        assert _views(crashed) == _views(clean)
        accepted = requests.get(sims[1].url + "/_accepted", timeout=10).json()
        keys = [a["key"] for a in accepted]
        assert len(keys) == len(set(keys))  # no action reached a partner twice
        with psycopg.connect(crashed) as conn:
            sent = {
                r[0] for r in conn.execute("select idempotency_key from collections.action_log where status = 'sent'")
            }
            left = conn.execute("select count(*) from collections.action_log where status = 'planned'").fetchone()[0]
        assert sent == set(keys) and left == 0
        print(
            f"\nFIGURES crash-resume: kills={len(kills)} sent={len(sent)} keys_accepted_twice=0 planned_left={left} "
            f"case_day_rows={len(_views(clean)[0])} action_rows={len(_views(clean)[1])}"
        )
    finally:
        for sim in sims:
            sim.shutdown()
            sim.server_close()


# -- the same under a real Airflow: SIGKILL inside each task of a DAG run in turn ----------------------

# The crash points ``step:<point>`` the runs die at, in order: each task's end (its work done, Airflow not yet
# told), and inside a rung's task (named after its stage) the end of its plan as well as of its delivery.
KILLED_AT = (
    "prepare",
    "load_feed",
    "evaluate",
    "choose_stages",
    "notice.plan",
    "notice.deliver",
    "call.plan",
    "call.deliver",
    "visit.plan",
    "visit.deliver",
    "legal.plan",
    "legal.deliver",
    "report",
)


def _dags_test_killed_in(point: str | None, env: dict, logical: str) -> None:
    """Run a day through ``airflow dags test``; with ``point``, check that it died there (the crash point
    ``step:<point>``, before Airflow recorded the task's success)."""
    env = {**env, "COLLECTIONS_CRASH_AT": f"step:{point}"} if point else env
    proc = run_airflow(["dags", "test", "collections_standard", logical, "-c", '{"as_of": "2026-11-28"}'], env=env)
    expected = -signal.SIGKILL if point else 0
    assert proc.returncode == expected, (
        f"{logical}, crash at {point or 'none'}: exit {proc.returncode}, expected {expected}\n"
        f"{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
    )


@pytest.mark.airflow
def test_a_dag_run_killed_inside_each_task_in_turn_then_rerun_equals_one_run(airflow_home, two_dbs, tmp_path, pg_admin):
    from tests.test_airflow import _env

    clean, crashed = two_dbs
    # the metadata database the airflow_home fixture migrated (conftest sets Airflow's connection)
    meta_db = os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].rsplit("/", 1)[1].split("?")[0]
    meta = psycopg.conninfo.make_conninfo(pg_admin, dbname=meta_db)
    drops = tmp_path / "drops"
    generate_book(drops, BookSpec(accounts=600, start=d("2026-11-28"), end=d("2026-11-28"), seed=21))
    sim = SimulatorServer().start()
    try:
        partner = json.dumps(
            {"conn_type": "http", "host": "127.0.0.1", "port": sim.server_address[1], "schema": "http"}
        )
        envs = {}
        for db in (clean, crashed):
            envs[db] = _env(db, drops)
            # field visits and legal referrals go out at any hour; customer contact has no partner here,
            # so what it does cannot depend on the clock
            envs[db]["AIRFLOW_CONN_COLLECTIONS_FIELD"] = partner
            envs[db]["AIRFLOW_CONN_COLLECTIONS_LEGAL"] = partner
        _dags_test_killed_in(None, envs[clean], "2026-11-29T00:00:00+00:00")
        reference = _views(clean)
        requests.post(sim.url + "/_reset", timeout=5)

        # every task of the day has work on this book, so each run dies at its point (checked)
        for minute, point in enumerate(KILLED_AT, start=1):
            _dags_test_killed_in(point, envs[crashed], f"2026-11-29T01:{minute:02d}:00+00:00")
        _dags_test_killed_in(None, envs[crashed], "2026-11-29T02:00:00+00:00")
        accepted = requests.get(sim.url + "/_accepted", timeout=10).json()
    finally:
        sim.shutdown()
        sim.server_close()

    assert _views(crashed) == reference
    keys = [a["key"] for a in accepted]
    assert keys and len(keys) == len(set(keys))  # no referral or visit reached its partner twice
    with psycopg.connect(crashed) as conn:
        sent = {r[0] for r in conn.execute("select idempotency_key from collections.action_log where status = 'sent'")}
    assert sent == set(keys)
    # no personal data in what the runs handed between tasks
    with psycopg.connect(meta) as conn:
        xcoms = [r[0] for r in conn.execute("select value::text from xcom where dag_id = 'collections_standard'")]
    with psycopg.connect(crashed) as conn:
        personal = [
            r[0]
            for r in conn.execute(
                "select phone from collections.customer where phone is not null "
                "union all select full_name from collections.customer"
            )
        ]
    assert xcoms and not [p for p in personal for x in xcoms if p in x]
    print(
        f"\nFIGURES airflow-crash-resume: runs_killed={len(KILLED_AT)} ({', '.join(KILLED_AT)}) "
        f"sent={len(sent)} keys_accepted_twice=0 xcoms_checked={len(xcoms)}"
    )
