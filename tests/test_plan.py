"""The plan of the day, written once: the DAG and ``collections run-day`` walk the same steps, write the same rows."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pendulum
import psycopg
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
        plan.Acted("call", "P1", "call", 7, sent=3, deferred=1),
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


def test_a_walked_day_returns_each_steps_result(db, tmp_path, caplog):
    from debt_collections.feeds.csv_source import CsvSource
    from debt_collections.policy.loader import load_policy

    policy = load_policy(STANDARD)
    caplog.set_level("INFO", logger="debt_collections.plan")
    generate_book(tmp_path, BookSpec(accounts=200, start=d("2026-11-28"), end=d("2026-11-28"), seed=2))
    day = d("2026-11-28")
    out = plan.run_day(
        db,
        policy,
        CsvSource(tmp_path, day),
        RunParams(day, None, policy.stages, True),
        now=pendulum.datetime(2026, 11, 29, 2, tz="Asia/Shanghai"),
        run_id="walk-1",
    )
    portfolios = out.load.portfolios
    assert portfolios and {e.portfolio for e in out.evaluated} == set(portfolios)
    assert [(a.stage, a.portfolio) for a in out.acted] == [(s, p) for s in out.chosen.stages for p in portfolios]
    # each plan step says how many actions it wrote, and the rows name the walk that wrote them (each rung of
    # standard.yaml is named for its kind)
    with psycopg.connect(db) as conn:
        written = dict(
            conn.execute(
                "select kind || ':' || portfolio, count(*) from collections.action_log "
                "where as_of = %s and run_id = 'walk-1' group by 1",
                [day],
            ).fetchall()
        )
    assert {f"{a.stage}:{a.portfolio}": a.planned for a in out.acted if a.planned} == written
    assert sum(a.planned for a in out.acted) > 0
    # and the task log of each says what it did
    logged = {r.getMessage() for r in caplog.records if r.name == "debt_collections.plan"}
    for a in out.acted:
        assert f"plan stage={a.stage} portfolio={a.portfolio} actions={a.planned}" in logged
        assert a.kind == policy.rung(a.stage).action
        assert f"deliver kind={a.kind} portfolio={a.portfolio} dry run: nothing sent" in logged
    assert "run as_of=2026-11-28 portfolios=all stages=notice,call,visit,legal dry_run=True" in logged
    with psycopg.connect(db) as conn:
        due = conn.execute(
            "select stage, count(*)::int from collections.case_state where as_of = %s and status = 'open' "
            "and action_due group by stage",
            [day],
        ).fetchall()
    assert out.chosen.work == dict(due) and set(out.chosen.stages) == set(out.chosen.work)
    for r in out.reported:
        f = r.figures
        said = f"report portfolio={r.portfolio} cases={f['cases']} opened={f['opened']} cured={f['cured']} actions="
        assert any(line.startswith(said) for line in logged), said
    following = "; following " + ", ".join(out.chosen.stages)
    assert any(line.startswith("stage work {'") and line.endswith(following) for line in logged), logged
    for e in out.evaluated:
        said = (
            f"evaluate portfolio={e.portfolio} overdue_accounts={e.overdue_accounts} cases={e.cases} "
            f"accounts_computed={e.accounts_computed} incremental={e.incremental} arrears_s={e.arrears_seconds:.2f} "
        )
        assert any(line.startswith(said) for line in logged), said
    plan.prepare(db, policy, RunParams(day, ("AUTO-EAST", "AUTO-NORTH"), ("call",), False))
    assert [r for r in caplog.records if r.name == "debt_collections.plan"][
        -1
    ].getMessage() == "run as_of=2026-11-28 portfolios=AUTO-EAST,AUTO-NORTH stages=call dry_run=False"
    assert all(a.dry_run and a.sent == 0 for a in out.acted)  # a dry run sends nothing
    assert [r.portfolio for r in out.reported] == list(portfolios)
    assert sum(e.cases for e in out.evaluated) == sum(r.figures["cases"] for r in out.reported) > 0
    assert Decimal(out.load.reject_ratio) < Decimal("0.01")
    assert dataclasses.asdict(out)["params"]["dry_run"] is True
    # another policy's run of the day loads nothing again: it acts on the portfolios the book holds
    again = plan.load_feed(plan.Day(db, policy, out.params), None)
    assert (again.portfolios, again.rows_in, again.reject_ratio) == (portfolios, {}, "0")


def test_the_hourly_outbox_steps_send_what_waits_read_the_receipts_and_check_the_deadline(
    db, tmp_path, monkeypatch, caplog
):
    # the outbox DAG's steps walked without Airflow (tests/test_airflow.py runs them in a DAG): what waits from
    # the day's run is found, sent once, settled by the partners' receipts, and each step says so in its log
    import logging
    import random

    import requests

    from debt_collections.delivery.http import PartnerClient, RetryPolicy
    from debt_collections.simulator.server import SimulatorServer
    from debt_collections.stages import channel_paths
    from tests.scenario import Scenario

    s = Scenario(db, tmp_path)
    s.account("NOTE", first_due="2026-11-25", months=3)  # dpd 3: an SMS notice
    s.account("CALL", first_due="2026-11-16", months=3)  # dpd 12: a call
    s.run("2026-11-28")
    waiting_before = s.query("select account_id, kind, status from collections.action_log order by account_id")
    assert [(r["account_id"], r["status"]) for r in waiting_before] == [("CALL", "planned"), ("NOTE", "planned")]
    monkeypatch.setenv("COLLECTIONS_NOW", "2026-11-29T12:00:00+08:00")
    caplog.set_level(logging.INFO, logger="debt_collections.plan")
    caplog.clear()  # the day's own run logged too, when another test set the level before this one
    work = plan.waiting(db, s.policy)
    assert [w.label for w in work] == [
        f"P1 2026-11-28 {r['kind']}" for r in sorted(waiting_before, key=lambda r: r["kind"])
    ]
    server = SimulatorServer().start()
    try:
        client = PartnerClient(server.url, requests.Session(), RetryPolicy(attempts=3), rng=random.Random(1))
        partners = {channel: client for channel in channel_paths()}
        sent = [plan.send_waiting(db, s.policy, w, partners) for w in work]
        again = [plan.send_waiting(db, s.policy, w, partners) for w in plan.waiting(db, s.policy)]
        receipts = plan.read_receipts(db, partners)
        accepted = requests.get(server.url + "/_accepted", timeout=5).json()
    finally:
        server.shutdown()
        server.server_close()
    assert [c["sent"] for c in sent] == [1, 1] and again == []
    assert sorted(a["key"] for a in accepted) == sorted(
        r["idempotency_key"] for r in s.query("select idempotency_key from collections.action_log")
    )
    assert sum(c["settled"] for c in receipts.values()) == 2
    assert [r["status"] for r in s.query("select status from collections.action_log")] == ["delivered"] * 2
    deadline = plan.check_deadline(db, s.policy)  # 12:00 is past 07:30, and 2026-11-28 was reported
    assert deadline == {"as_of": "2026-11-28", "past_deadline": True, "missing": [], "alerted": False}
    logged = [r.getMessage() for r in caplog.records if r.name == "debt_collections.plan"]
    assert logged == [
        "outbox: 2 (portfolio, day, kind) waiting since 2026-11-26",
        "outbox portfolio=P1 as_of=2026-11-28 kind=call sent=1 failed=0 deferred=0 waiting=0",
        "outbox portfolio=P1 as_of=2026-11-28 kind=notice sent=1 failed=0 deferred=0 waiting=0",
        "outbox: 0 (portfolio, day, kind) waiting since 2026-11-26",
        *(
            f"receipts channel={c} receipts={n} settled={n} malformed=0"
            for c, n in [
                ("sms", 1),
                ("letter", 0),
                ("dialer", 1),
                ("field_app", 0),
                ("legal_portal", 0),
                ("recovery_agency", 0),
            ]
        ),
        "deadline as_of=2026-11-28 past=True missing=none alerted=False",
    ]


def test_a_delivery_resends_the_failed_only_when_asked_and_counts_what_waits_for_a_partner(
    db, tmp_path, simulator, caplog
):
    """plan.deliver, the second half of a rung's task: an action a partner refused stays failed on the next
    delivery unless the run asks for ``resend_failed``; an action of a channel without a partner waits."""
    import requests

    from debt_collections.delivery.http import PartnerClient, RetryPolicy
    from tests.scenario import Scenario
    from tests.test_delivery import clients

    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-11-20", months=1)  # dpd 8 on the day: a call
    s.run("2026-11-28")
    caplog.set_level("INFO", logger="debt_collections.plan")
    caplog.clear()  # the run's own lines (captured when logging is already at INFO, as after an Airflow test)
    now = pendulum.datetime(2026, 11, 29, 10, tz="Asia/Shanghai")
    params = RunParams(d("2026-11-28"), None, s.policy.stages, False)
    day = plan.Day(db, s.policy, params)
    assert plan.deliver(day, "call", "P1", {}, now) == plan.Acted("call", "P1", "call", waiting=1)
    refusing = {"dialer": PartnerClient(simulator.url + "/nowhere", requests.Session(), RetryPolicy(attempts=1))}
    assert plan.deliver(day, "call", "P1", refusing, now).failed == 1
    assert plan.deliver(day, "call", "P1", clients(simulator), now) == plan.Acted("call", "P1", "call")
    again = plan.Day(db, s.policy, dataclasses.replace(params, resend_failed=True))
    assert plan.deliver(again, "call", "P1", clients(simulator), now) == plan.Acted(
        "call", "P1", "call", resent=1, sent=1
    )
    assert [r.getMessage() for r in caplog.records if r.getMessage().startswith("deliver kind=call")] == [
        "deliver kind=call portfolio=P1 resent=0 sent=0 failed=0 deferred=0 waiting=1",
        "deliver kind=call portfolio=P1 resent=0 sent=0 failed=1 deferred=0 waiting=0",
        "deliver kind=call portfolio=P1 resent=0 sent=0 failed=0 deferred=0 waiting=0",
        "deliver kind=call portfolio=P1 resent=1 sent=1 failed=0 deferred=0 waiting=0",
    ]


def test_a_walks_run_id_is_its_start_in_utc_whatever_the_servers_timezone(db, tmp_path, monkeypatch):
    from tests.scenario import Scenario

    monkeypatch.setenv("COLLECTIONS_NOW", "2026-11-29T10:00:00+08:00")
    pendulum.set_local_timezone(pendulum.timezone("Asia/Shanghai"))  # a server set to Shanghai time
    try:
        s = Scenario(db, tmp_path)
        s.account("A1", first_due="2026-11-20", months=1)
        s.run("2026-11-28")
    finally:
        pendulum.set_local_timezone()
    runs = {
        r["run_id"]
        for r in s.query("select run_id from collections.case_state union select run_id from collections.action_log")
    }
    assert runs == {"run_day__2026-11-29T02:00:00+00:00"}
