"""Approvals through Airflow's human-in-the-loop support, on a live Airflow (issue #14, first acceptance item).

Airflow's API server, scheduler and DAG processor run as processes (LocalExecutor); the
partners are the project's simulator on a loopback port. A day whose legal rung requires
approval is run: the referrals wait as ``awaiting_approval`` and none reaches the simulator.
The day's report updates the policy's asset, which starts ``collections_standard_approvals``;
its request for the portfolio waits in Airflow (``awaiting_input``, no triggerer involved). A
viewer's answer is refused; the admin approves one referral and rejects another with a reason
through Airflow's HITL API; exactly the approved one is sent, the rejection keeps its reason
and reviewer, and the undecided one is asked about again after the next day's run.
"""

from __future__ import annotations

import json
import time

import pytest
import requests

from debt_collections.domain.approvals import APPROVE_ALL
from debt_collections.simulator.server import SimulatorServer
from debt_collections.store.db import connect
from tests.live_airflow import live_airflow, metadata_database
from tests.scenario import Scenario, d
from tests.test_airflow import _env

pytestmark = pytest.mark.airflow

DAY, NEXT = "2026-09-01", "2026-09-02"
DAG_ID, APPROVALS = "collections_standard", "collections_standard_approvals"
REASON = "customer in hospital; a plan was agreed by phone"


def _requests(live, after: set[str], timeout: float = 300) -> dict:
    """The approvals DAG's first run not in ``after``, once its request for P1 waits for an answer."""
    deadline = time.monotonic() + timeout
    seen = "no run yet"
    while True:
        runs = [r for r in live.runs(APPROVALS) if r["dag_run_id"] not in after]
        if runs:
            run = runs[0]
            tis = [t for t in live.task_instances(APPROVALS, run["dag_run_id"]) if t["task_id"] == "decide"]
            seen = f"run {run['dag_run_id']} {run['state']}, decide: {[t['state'] for t in tis]}"
            if any(t["state"] == "awaiting_input" for t in tis):
                return run
            assert run["state"] not in ("success", "failed"), f"{seen}\n{live.report(APPROVALS, run['dag_run_id'])}"
        live.check_alive()
        assert time.monotonic() < deadline, (
            f"no approval request waiting after {timeout:.0f} s: {seen}\n{live.report()}"
        )
        time.sleep(2)


def _parked(live, run_id: str, timeout: float = 120) -> None:
    """Wait until the scheduler has taken the executor's word that the parked ``decide`` workload ended.

    Airflow 3.3.2 races here: an answer that lands before the scheduler has processed that event
    resumes the task, and the late event ("finished with state success, but the task instance's
    state attribute is queued") then fails it. A person never answers within the same scheduler
    loop; a test does, so it waits for the scheduler's own log line first.
    """
    log = live.logs / "scheduler.log"
    needle = f"task_id='decide', run_id='{run_id}'"
    deadline = time.monotonic() + timeout
    while True:
        text = log.read_text(errors="replace") if log.exists() else ""
        if any("Received executor event" in line and needle in line for line in text.splitlines()):
            return
        live.check_alive()
        assert time.monotonic() < deadline, f"the scheduler never saw decide of {run_id} park\n{live.report()}"
        time.sleep(1)


def _hitl(live, run_id: str, token: str | None = None, **kwargs):
    path = f"/dags/{APPROVALS}/dagRuns/{run_id}/taskInstances/decide/0/hitlDetails"
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return live.api("PATCH" if kwargs else "GET", path, headers=headers, **kwargs)


def _query(db: str, sql: str) -> list[dict]:
    with connect(db) as conn:
        return conn.execute(sql).fetchall()


def _legal(db: str) -> dict[str, dict]:
    rows = _query(db, "select account_id, status, reason, approved_by from collections.action where kind = 'legal'")
    return {r["account_id"]: r for r in rows}


def test_a_legal_referral_waits_for_an_approval_given_through_airflows_hitl_api(
    airflow_metadata_template, pg_admin, db, tmp_path
):
    s = Scenario(db, tmp_path / "drops")
    for account in ("A1", "A2", "A3"):  # June to August unpaid: dpd 92, 6000.00 overdue on DAY
        s.account(account, first_due="2026-06-01", months=6, amount="2000.00")
    s.write_drop(d(DAY))
    s.write_drop(d(NEXT))
    sim = SimulatorServer().start()
    http = json.dumps({"conn_type": "http", "host": "127.0.0.1", "port": sim.server_address[1], "schema": "http"})
    env = {**_env(db, s.root), "COLLECTIONS_NOW": "2026-09-02T10:00:00+08:00"}
    for name in ("SMS", "LETTERS", "DIALER", "FIELD", "LEGAL"):
        env[f"AIRFLOW_CONN_COLLECTIONS_{name}"] = http
    try:
        with (
            metadata_database(pg_admin, tmp_path / "airflow", template=airflow_metadata_template) as meta,
            live_airflow({**env, **meta}, tmp_path / "logs", dags=(DAG_ID, APPROVALS), scheduled_runs=True) as live,
        ):
            # the scheduler creates asset-triggered runs only with its job schedule on; it then also starts
            # a run of the daily DAG's latest cron tick (catchup is off), for the real yesterday: that day
            # has no drop here, so the run fails at the load, writes and reports nothing, and holds the
            # test's first run back by its few seconds (max_active_runs 1)
            live.unpause(DAG_ID)
            live.unpause(APPROVALS)
            first = live.trigger(DAG_ID, {"as_of": DAY})
            assert live.wait_for_run(DAG_ID, first)["state"] == "success", live.report(DAG_ID, first)
            # the referrals wait; nothing reached the partner
            assert {a: r["status"] for a, r in _legal(db).items()} == dict.fromkeys(
                ("A1", "A2", "A3"), "awaiting_approval"
            )
            accepted = requests.get(sim.url + "/_accepted", timeout=10).json()
            assert not [a for a in accepted if ":legal:" in a["key"]]

            # the day's report started the approvals DAG; its request for P1 waits in Airflow
            request = _requests(live, set())
            asked = _hitl(live, request["dag_run_id"])
            assert asked.status_code == 200, asked.text
            detail = asked.json()
            assert detail["options"][0] == APPROVE_ALL
            labels = {o.split(" ")[0]: o for o in detail["options"][1:]}
            assert sorted(labels) == ["A1", "A2", "A3"]
            assert detail["subject"] == "P1: 3 legal action(s) to approve, 18,000.00 CNY overdue"
            assert detail["multiple"] is True

            # a viewer may read it, never answer it
            viewer = live.token_of_viewer()
            refused = _hitl(live, request["dag_run_id"], viewer, json={"chosen_options": [labels["A1"]]})
            assert refused.status_code == 403, refused.text
            assert _legal(db)["A1"]["status"] == "awaiting_approval"

            # the admin approves A1 and rejects A2 with a reason; A3 is left undecided
            _parked(live, request["dag_run_id"])
            answer = {"chosen_options": [labels["A1"]], "params_input": {"reject": ["A2"], "reason": REASON}}
            given = _hitl(live, request["dag_run_id"], json=answer)
            assert given.status_code == 200, given.text
            done = live.wait_for_run(APPROVALS, request["dag_run_id"])
            assert done["state"] == "success", live.report(APPROVALS, request["dag_run_id"])

            legal = _legal(db)
            assert (legal["A1"]["status"], legal["A1"]["approved_by"]) == ("sent", "admin")
            assert (legal["A2"]["status"], legal["A2"]["reason"]) == ("rejected", REASON)
            assert legal["A3"]["status"] == "awaiting_approval"
            sent = [a["key"] for a in requests.get(sim.url + "/_accepted", timeout=10).json() if ":legal:" in a["key"]]
            a1 = _query(
                db, "select idempotency_key from collections.action_log where account_id = 'A1' and kind = 'legal'"
            )
            a1 = a1[0]["idempotency_key"]
            assert sent == [a1]
            trail = _query(
                db, "select account_id, decision, reason, decided_by, via from collections.approval_decision order by 1"
            )
            assert [tuple(t.values()) for t in trail] == [
                ("A1", "approved", None, "admin", "airflow"),
                ("A2", "rejected", REASON, "admin", "airflow"),
            ]

            # the next day: the undecided referral is asked about again, and only it
            second = live.trigger(DAG_ID, {"as_of": NEXT})
            assert live.wait_for_run(DAG_ID, second)["state"] == "success", live.report(DAG_ID, second)
            again = _requests(live, {request["dag_run_id"]})
            options = _hitl(live, again["dag_run_id"]).json()["options"]
            assert [o.split(" ")[0] for o in options[1:]] == ["A3"]
    finally:
        sim.shutdown()
