"""The plan of the day, written once: the DAG and ``collections run-day`` walk the same steps, write the same rows."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pendulum
import pytest

from debt_collections import plan
from debt_collections.domain.params import RunParams
from debt_collections.generator.book import BookSpec, generate_book
from debt_collections.store.db import connect
from tests.scenario import STANDARD, d, dag_run_state, task_failures

COLLECTIONS = str(Path(sys.executable).with_name("collections"))
DAYS = ("2026-11-26", "2026-11-27", "2026-11-28")


def _rows(db: str) -> tuple[list[dict], list[dict]]:
    with connect(db) as conn:
        cases = conn.execute("select * from collections.case_day order by as_of, case_id").fetchall()
        actions = conn.execute("select * from collections.action order by as_of, case_id, kind, account_id").fetchall()
    return cases, actions


@pytest.mark.airflow
def test_dags_test_and_run_day_write_the_same_case_day_and_action_rows(airflow_home, db, fresh_db, tmp_path):
    from tests.test_airflow import NOW, _dags_test, _env

    book = tmp_path / "book"
    generate_book(book, BookSpec(accounts=600, start=d(DAYS[0]), end=d(DAYS[-1]), seed=5))
    env = _env(db, book)  # the clock pinned at NOW for both
    for day in DAYS:
        out = _dags_test(env, d(day).add(days=1).to_date_string(), {"as_of": day})
        assert dag_run_state(out) == "success" and not task_failures(out), out.stdout[-3000:] + out.stderr[-3000:]
    # run-day on an empty database: its first step applies the migrations, as the DAG's does
    for day in DAYS:
        cli = subprocess.run(
            [COLLECTIONS, "run-day", "--db", fresh_db, "--policy", str(STANDARD), "--feed", str(book), "--as-of", day],
            env={**env, "COLLECTIONS_NOW": NOW},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert cli.returncode == 0, cli.stderr[-3000:]
    dag_cases, dag_actions = _rows(db)
    cli_cases, cli_actions = _rows(fresh_db)
    assert len(dag_cases) > 100 and len(dag_actions) > 50
    # the past days' notices and calls were deferred to the customers' window by both
    assert {(a["status"], a["reason"]) for a in dag_actions if a["kind"] in ("notice", "call")} >= {
        ("deferred", "contact_window")
    }
    assert cli_cases == dag_cases
    assert cli_actions == dag_actions


def test_every_step_result_crosses_xcom_through_airflows_serializer():
    from airflow.sdk import serde

    import debt_collections.airflow.factory  # noqa: F401  (allows the classes, as parsing the DAG does)

    samples = [
        RunParams(pendulum.date(2026, 11, 28), ("P1",), ("notice", "call"), False, resend_failed=True),
        plan.Loaded("2026-11-28", {"accounts": 3}, {"accounts": 0}, "0.0000", ("P1", "P2")),
        plan.Evaluated("P1", 4, 5, 6, True, 0.1, 0.2),
        plan.Planned("notice", "P1", 7),
        plan.Delivered("call", "P1", "call", sent=3, deferred=1),
        plan.Reported("P1", {"cases": 3, "overdue": "12.50"}),
        plan.Waiting("P1", pendulum.date(2026, 11, 28), "notice"),
    ]
    for sample in samples:
        stored = json.loads(json.dumps(serde.serialize(sample)))  # as the XCom table holds it
        assert serde.deserialize(stored) == sample, type(sample).__name__
        assert type(serde.deserialize(stored)) is type(sample)


def test_the_scope_is_worked_out_in_one_place():
    from debt_collections.policy.loader import load_policy

    policy = load_policy(STANDARD)  # every portfolio but SUB-* and OPL-*
    known = ["AUTO-EAST", "SUB-CENTRAL", "OPL-METRO", "AUTO-NORTH", "bad name"]
    everything = plan.scope_of(policy, RunParams(d("2026-11-28"), None, policy.stages, False), known)
    assert everything == plan.Scope(d("2026-11-28"), None, ("AUTO-EAST", "AUTO-NORTH"))
    one = plan.scope_of(policy, RunParams(d("2026-11-28"), ("AUTO-NORTH",), policy.stages, False), known)
    assert (one.requested, one.effective) == (("AUTO-NORTH",), ("AUTO-NORTH",))


def test_a_walked_day_returns_each_steps_result(db, tmp_path):
    from debt_collections.feeds.csv_source import CsvSource
    from debt_collections.policy.loader import load_policy

    policy = load_policy(STANDARD)
    generate_book(tmp_path, BookSpec(accounts=200, start=d("2026-11-28"), end=d("2026-11-28"), seed=2))
    day = d("2026-11-28")
    out = plan.run_day(
        db,
        policy,
        CsvSource(tmp_path, day),
        RunParams(day, None, policy.stages, True),
        now=pendulum.datetime(2026, 11, 29, 2, tz="Asia/Shanghai"),
    )
    portfolios = out.load.portfolios
    assert portfolios and {e.portfolio for e in out.evaluated} == set(portfolios)
    assert [(p.stage, p.portfolio) for p in out.planned] == [(s, p) for s in out.chosen.stages for p in portfolios]
    assert all(x.dry_run and x.sent == 0 for x in out.delivered)  # a dry run sends nothing
    assert [r.portfolio for r in out.reported] == list(portfolios)
    assert sum(e.cases for e in out.evaluated) == sum(r.figures["cases"] for r in out.reported) > 0
    assert Decimal(out.load.reject_ratio) < Decimal("0.01")
    assert dataclasses.asdict(out)["params"]["dry_run"] is True
