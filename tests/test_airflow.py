"""The DAGs under a real Airflow: DagBag integrity, one bad policy alone, real runs of a day."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import psycopg
import pytest

from debt_collections.generator.book import BookSpec, generate_book
from debt_collections.policy.loader import load_policy
from debt_collections.store.db import connect
from tests.airflow_cli import run_airflow
from tests.scenario import d, dag_run_state, task_failures

REPO = Path(__file__).resolve().parents[1]
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
pytestmark = pytest.mark.airflow


def _dagbag(folder: Path):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(folder), safe_mode=True)


def test_parsing_the_dags_and_importing_the_steps_loads_no_pdf_or_font_library():
    """Every task process of a run under an executor parses its DAG file and imports the steps; only a
    delivery that sets a letter needs fpdf2 and fontTools (0.3 s and 21 MiB a process when they were
    imported with the delivery code, `farm-bench` on the DAG file's parse)."""
    code = (
        "import runpy, sys\n"
        "for name in ('standard', 'subprime', 'lease', 'simulate'):\n"
        "    runpy.run_path(f'dags/collections_{name}.py')\n"
        "import debt_collections.plan, debt_collections.store.outbox, debt_collections.delivery.sender\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fpdf', 'fontTools')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


def test_dagbag_has_no_import_errors_and_no_deprecation_warnings(airflow_home):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bag = _dagbag(REPO / "dags")
    assert bag.import_errors == {}
    ours = [
        w
        for w in caught
        if issubclass(w.category, DeprecationWarning)
        and ("debt_collections" in str(w.filename) or "/dags/" in str(w.filename))
    ]
    assert ours == []
    assert set(bag.dag_ids) == {
        "collections_standard",
        "collections_subprime",
        "collections_lease",
        "collections_standard_outbox",
        "collections_subprime_outbox",
        "collections_lease_outbox",
        "collections_standard_approvals",
        "collections_subprime_approvals",
        "collections_lease_approvals",
        "collections_simulate",
    }
    dag = bag.get_dag("collections_standard")
    assert dag is not None
    # each daily DAG runs on its policy's cron in the policy's timezone; its outbox every hour at :05
    for name in ("standard", "subprime", "lease"):
        policy = load_policy(REPO / "dags" / "policies" / f"{name}.yaml")
        daily, outbox = bag.get_dag(policy.dag_id), bag.get_dag(f"{policy.dag_id}_outbox")
        assert (daily.timetable.expression, str(daily.timetable.timezone)) == (policy.schedule, policy.timezone)
        assert (outbox.timetable.expression, str(outbox.timetable.timezone)) == ("5 * * * *", policy.timezone)
        assert daily.start_date.in_timezone(policy.timezone).date() == policy.start_date and not daily.catchup
    assert "repossession" in bag.get_dag("collections_subprime").task_ids
    assert "courtesy" in bag.get_dag("collections_lease").task_ids
    assert set(dag.params.keys()) == {
        "as_of",
        "portfolios",
        "stages",
        "dry_run",
        "resend_failed",
        "confirm_data_quality",
    }
    schema = dag.params.get_param("portfolios").schema
    assert schema["type"] == ["array", "null"] and schema["examples"]  # a multi-select in the trigger form
    # a task per step of the day, and one per rung (it plans, then delivers), each named after its stage
    stages = load_policy(REPO / "dags" / "policies" / "standard.yaml").stages
    assert stages == ("notice", "call", "visit", "legal")
    assert set(dag.task_ids) == {"prepare", "load_feed", "evaluate", "choose_stages", "report", *stages}
    for stage in stages:
        rung = dag.get_task(stage)
        assert "choose_stages" in rung.upstream_task_ids and rung.downstream_task_ids == {"report"}
        assert rung.map_index_template == "{{ portfolio_name }}"
    assert dag.get_task("evaluate").map_index_template == "{{ portfolio_name }}"
    assert "| `legal` | dpd >= 91 and overdue >= 5000.00 |" in dag.doc_md


# Airflow's trigger form (ui/src/components/FlexibleForm, built into the installed package) marks a field
# "required" when its schema has a type and that type does not include "null"; the test reads that rule from
# the bundle, so that a new Airflow with another rule fails here instead of bringing the stars back unseen.
UI_REQUIRED_RULE = re.compile(
    r"=e=>!!e\.schema\.type&&\(!Array\.isArray\(e\.schema\.type\)\|\|!e\.schema\.type\.includes\(`null`\)\)"
)


def _marked_required(schema: dict) -> bool:
    """The trigger form's rule: a type, and no "null" in it."""
    kind = schema.get("type")
    return bool(kind) and (not isinstance(kind, list) or "null" not in kind)


def test_the_trigger_form_marks_no_optional_param_required_and_accepts_what_it_did(airflow_home):
    import airflow
    from airflow.sdk.definitions.param import ParamValidationError
    from airflow.serialization.serialized_objects import DagSerialization

    bundle = Path(airflow.__file__).parent / "ui" / "dist" / "assets"
    assert any(UI_REQUIRED_RULE.search(f.read_text(errors="replace")) for f in bundle.glob("index-*.js"))

    bag = _dagbag(REPO / "dags")
    for dag_id in ("collections_standard", "collections_subprime", "collections_lease", "collections_simulate"):
        # what the API server and its trigger form read: the serialized DAG's params
        params = dict(DagSerialization.to_dict(bag.get_dag(dag_id))["dag"]["params"])
        assert params, dag_id
        for name, param in params.items():
            schema = param["schema"]["__var"]
            optional = param["default"] is not None or "null" in schema["type"]
            required = dag_id == "collections_simulate" and name == "candidate"  # a non-empty file name
            assert _marked_required(schema) == required, (dag_id, name, schema)
            assert optional or required, (dag_id, name)
            # Airflow checks each param's schema against its dialect's metaschema whenever it resolves the
            # param (every serialization, every task's start): draft 7's costs a third of 2020-12's
            assert schema.get("$schema") == "http://json-schema.org/draft-07/schema#", (dag_id, name)

    # the values accepted are those of the types without "null": an emptied multi-select's null stays refused
    dag = bag.get_dag("collections_standard")
    for name, good, bad in [
        ("portfolios", [[], ["AUTO-EAST"]], [None, "AUTO-EAST", [1]]),
        ("stages", [[], ["call", "legal"]], [None, ["nope"], "call"]),
        ("dry_run", [True, False], [None, "yes", 1]),
        ("resend_failed", [False], [None]),
        ("confirm_data_quality", [True], [None]),
        ("as_of", [None, "2026-11-28"], ["28/11/2026"]),
    ]:
        param = dag.params.get_param(name)
        for value in good:
            assert param.resolve(value) == value, (name, value)
        for value in bad:
            with pytest.raises(ParamValidationError):
                param.resolve(value)


def test_one_bad_policy_is_an_import_error_of_its_own_file(airflow_home, tmp_path):
    dags = tmp_path / "dags"
    shutil.copytree(REPO / "dags", dags)
    broken = (
        (dags / "policies" / "standard.yaml")
        .read_text()
        .replace("dag_id: collections_standard", "dag_id: collections_broken")
        .replace("dpd_at_least: 31", "dpd_at_least: thirty")
    )
    (dags / "policies" / "broken.yaml").write_text(broken)
    (dags / "collections_broken.py").write_text(
        (dags / "collections_standard.py").read_text().replace("standard.yaml", "broken.yaml")
    )
    bag = _dagbag(dags)
    assert "collections_standard" in bag.dag_ids and "collections_standard_outbox" in bag.dag_ids
    assert "collections_broken" not in bag.dag_ids
    assert list(bag.import_errors) == [str(dags / "collections_broken.py")]
    message = next(iter(bag.import_errors.values()))
    line = broken[: broken.index("dpd_at_least: thirty")].count("\n") + 1
    assert f"broken.yaml:{line}: ladder[2].enter.dpd_at_least: Input should be a valid integer" in message


def test_the_collections_view_link_is_on_a_daily_dags_portfolio_tasks_only():
    """Evaluations, rungs (named after their stage) and reports are mapped over portfolios and linked; the
    unmapped steps and the outbox's and approvals' mapped tasks (not a portfolio's day) are not."""
    from types import SimpleNamespace

    from debt_collections.airflow.links import CollectionsViewLink

    def link(dag_id: str, task_id: str, map_index: int) -> str:
        key = SimpleNamespace(dag_id=dag_id, run_id="manual__1", task_id=task_id, map_index=map_index)
        return CollectionsViewLink().get_link(None, ti_key=key)

    for task_id in ("evaluate", "notice", "repossession", "report"):
        assert link("collections_subprime", task_id, 2) == (
            f"/collections/task?dag_id=collections_subprime&run_id=manual__1&task_id={task_id}&map_index=2"
        )
    for dag_id, task_id, map_index in [
        ("collections_standard", "prepare", -1),
        ("collections_standard", "load_feed", -1),
        ("collections_standard", "choose_stages", -1),
        ("collections_standard_outbox", "send", 0),
        ("collections_standard_approvals", "decide", 0),
        ("collections_standard_approvals", "send", 1),
        ("collections_simulate", "simulate", -1),
    ]:
        assert link(dag_id, task_id, map_index) == "", (dag_id, task_id)


def test_airflow_plugins_lists_the_plugin(airflow_home):
    out = subprocess.run([AIRFLOW, "plugins", "--output", "json"], check=True, capture_output=True, text=True)
    plugins = json.loads(out.stdout[out.stdout.index("[") :])
    assert [p["name"] for p in plugins] == ["collections"]
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import collections, debt_collections; "
            "print(collections.__file__.endswith('collections/__init__.py'), debt_collections.__name__)",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    assert check.stdout.split() == ["True", "debt_collections"]


@pytest.fixture
def generated_drop(tmp_path) -> Path:
    root = tmp_path / "drops"
    generate_book(root, BookSpec(accounts=400, start=d("2026-11-27"), end=d("2026-11-28"), seed=7))
    return root


# The instant every run of these tests takes as now (debt_collections.clock): inside the contact
# window of Asia/Shanghai, the day after the books' last day, whatever the hour the tests run at.
NOW = "2026-11-29T10:00:00+08:00"


def _env(db: str, drops: Path) -> dict[str, str]:
    parts = psycopg.conninfo.conninfo_to_dict(db)
    env = os.environ.copy()
    env["COLLECTIONS_NOW"] = NOW
    env["AIRFLOW_CONN_COLLECTIONS_DB"] = json.dumps(
        {
            "conn_type": "postgres",
            "host": parts.get("host"),
            "port": int(parts.get("port", 5432)),
            "login": parts.get("user"),
            "schema": parts["dbname"],
        }
    )
    env["AIRFLOW_CONN_COLLECTIONS_FEED"] = json.dumps({"conn_type": "fs", "extra": {"path": str(drops)}})
    return env


def _views(db: str) -> tuple[list, list]:
    with connect(db) as conn:
        cases = conn.execute("select * from collections.case_day order by as_of, case_id").fetchall()
        actions = conn.execute("select * from collections.action order by as_of, case_id, kind").fetchall()
    return cases, actions


def _dags_test(env: dict, logical: str, conf: dict) -> subprocess.CompletedProcess:
    return run_airflow(["dags", "test", "collections_standard", logical, "-c", json.dumps(conf)], env=env)


def test_airflow_dags_test_runs_a_day_end_to_end_and_reruns_are_no_ops(airflow_home, fresh_db, generated_drop):
    db = fresh_db  # an empty database: the run's first task applies the migrations
    env = _env(db, generated_drop)
    # the first day, all portfolios, the SPEC section 7 command shape
    first = _dags_test(env, "2026-11-28", {"as_of": "2026-11-27"})
    assert dag_run_state(first) == "success", first.stdout[-3000:] + first.stderr[-3000:]
    # the next day for one portfolio, dry run
    run = _dags_test(env, "2026-11-29", {"as_of": "2026-11-28", "portfolios": ["AUTO-EAST"], "dry_run": True})
    assert dag_run_state(run) == "success", run.stdout[-3000:] + run.stderr[-3000:]
    with connect(db) as conn:
        per_day = conn.execute(
            "select as_of::text, portfolio, count(*) as n from collections.case_day group by 1, 2 order by 1, 2"
        ).fetchall()
        dry = conn.execute(
            "select bool_and(dry_run) as all_dry, count(*) as n from collections.action_log where as_of = '2026-11-28'"
        ).fetchone()
        rendered = conn.execute(
            "select count(*) as n from collections.portfolio_day where as_of = '2026-11-28'"
        ).fetchone()
    days = {(r["as_of"], r["portfolio"]) for r in per_day}
    assert {p for (day, p) in days if day == "2026-11-27"} == {"AUTO-EAST", "AUTO-NORTH", "AUTO-SOUTH", "LEASE-WEST"}
    assert {p for (day, p) in days if day == "2026-11-28"} == {"AUTO-EAST"}
    assert dry["n"] > 0 and dry["all_dry"] is True
    assert rendered["n"] == 1
    # no personal data in the task logs of the run
    assert "Customer 0" not in run.stdout + run.stderr and "+86139" not in run.stdout + run.stderr

    once = _views(db)
    again = _dags_test(env, "2026-11-29", {"as_of": "2026-11-28", "portfolios": ["AUTO-EAST"], "dry_run": True})
    assert dag_run_state(again) == "success"
    assert _views(db) == once


def test_a_day_of_last_year_runs_and_a_day_before_the_policys_start_fails_naming_it(airflow_home, db, tmp_path):
    # a lender loading last year's history: the DAG's start date is the policy's start_date (2020-01-01),
    # so a 2025 logical date runs its tasks (before, with a fixed 2026 start, it was a silent success)
    book = tmp_path / "book"
    generate_book(book, BookSpec(accounts=150, start=d("2025-06-29"), end=d("2025-06-29"), seed=8))
    env = _env(db, book)
    out = _dags_test(env, "2025-06-30", {"as_of": "2025-06-29"})
    assert dag_run_state(out) == "success" and not task_failures(out), out.stdout[-3000:] + out.stderr[-3000:]
    with connect(db) as conn:
        days = conn.execute("select as_of, count(*) as n from collections.case_day group by as_of").fetchall()
    assert [r["as_of"].isoformat() for r in days] == ["2025-06-29"] and days[0]["n"] > 0
    # a day before the policy's start_date fails in its first task, naming the key
    early = _dags_test(env, "2025-06-30", {"as_of": "2019-12-31"})
    assert dag_run_state(early) == "failed"
    assert "param as_of 2019-12-31 is before policy collections_standard's start_date 2020-01-01" in (
        early.stdout + early.stderr
    )


def test_bad_params_are_refused_before_a_run_is_created(airflow_home, db, generated_drop):
    env = _env(db, generated_drop)
    # the Param schema refuses an unknown stage before a run is created
    refused = _dags_test(env, "2026-11-29", {"as_of": "2026-11-28", "stages": ["repossess"]})
    assert refused.returncode != 0
    assert "'repossess'" in refused.stderr and "'enum': ['notice', 'call', 'visit', 'legal']" in refused.stderr
    refused = _dags_test(env, "2026-11-29", {"as_of": "2026-02-30"})
    assert refused.returncode != 0 and "'2026-02-30'" in refused.stderr


def test_a_missing_drop_fails_the_run_naming_the_path_without_retrying_and_alerts(airflow_home, db, generated_drop):
    from debt_collections.simulator.server import SimulatorServer

    env = _env(db, generated_drop)
    receiver = SimulatorServer().start()  # the operations team's webhook
    env["AIRFLOW_CONN_COLLECTIONS_ALERTS"] = json.dumps(
        {"conn_type": "http", "host": "127.0.0.1", "port": receiver.server_address[1], "schema": "http"}
    )
    try:
        failed = _dags_test(env, "2026-12-02", {"as_of": "2026-12-01", "portfolios": ["AUTO-EAST"]})
        alerts = [a for a in requests_get(receiver.url + "/_accepted") if a["path"] == "/v1/alerts"]
    finally:
        receiver.shutdown()
        receiver.server_close()
    text = failed.stdout + failed.stderr
    assert dag_run_state(failed) == "failed"
    assert f"missing drop: folder {generated_drop}/2026-12-01 does not exist" in text
    assert "try_number=2" not in text  # a known problem is not retried
    (alert,) = [a["body"] for a in alerts]
    assert (alert["kind"], alert["dag_id"], alert["task_id"], alert["as_of"]) == (
        "run_failed",
        "collections_standard",
        "load_feed",
        "2026-12-01",
    )
    assert alert["link"].endswith(f"/dags/collections_standard/runs/{alert['run_id']}")


def test_a_day_not_reported_by_the_deadline_alerts_once(airflow_home, db, generated_drop, tmp_path):
    from debt_collections.simulator.server import SimulatorServer

    dags = tmp_path / "dags"
    shutil.copytree(REPO / "dags", dags)
    defaults = dags / "policies" / "defaults.yaml"
    defaults.write_text(defaults.read_text().replace('deadline: "07:30"', 'deadline: "00:00"'))  # always past
    env = _env(db, generated_drop)
    env["AIRFLOW__CORE__DAGS_FOLDER"] = str(dags)
    receiver = SimulatorServer().start()
    env["AIRFLOW_CONN_COLLECTIONS_ALERTS"] = json.dumps(
        {"conn_type": "http", "host": "127.0.0.1", "port": receiver.server_address[1], "schema": "http"}
    )
    try:
        # the book is loaded and reported for 2026-11-27, never for yesterday
        day = _dags_test(env, "2026-11-28", {"as_of": "2026-11-27"})
        assert dag_run_state(day) == "success", day.stdout[-3000:] + day.stderr[-3000:]
        for _ in range(2):  # the hourly check runs again: still one alert
            hourly = run_airflow(["dags", "test", "collections_standard_outbox"], env=env)
            assert dag_run_state(hourly) == "success" and not task_failures(hourly), (
                hourly.stdout[-3000:] + hourly.stderr[-3000:]
            )
        alerts = [a["body"] for a in requests_get(receiver.url + "/_accepted") if a["path"] == "/v1/alerts"]
    finally:
        receiver.shutdown()
        receiver.server_close()
    yesterday = "2026-11-28"  # the day before NOW in Asia/Shanghai
    assert len(alerts) == 1, alerts
    (alert,) = alerts
    assert (alert["kind"], alert["dag_id"], alert["as_of"], alert["deadline"]) == (
        "deadline_missed",
        "collections_standard",
        yesterday,
        "00:00",
    )
    assert alert["portfolios"] == ["AUTO-EAST", "AUTO-NORTH", "AUTO-SOUTH", "LEASE-WEST"]


def test_a_run_pulls_the_feed_over_http_and_delivers_through_the_partners(airflow_home, db, tmp_path):
    from debt_collections.simulator.server import SimulatorServer

    # the day before NOW: the hourly outbox DAG looks at the last three days before it
    day = d("2026-11-28")
    book = tmp_path / "book"
    generate_book(book, BookSpec(accounts=300, start=day, end=day, seed=9))
    server = SimulatorServer(book=book).start()
    try:
        env = _env(db, book)
        port = server.server_address[1]
        http = json.dumps({"conn_type": "http", "host": "127.0.0.1", "port": port, "schema": "http"})
        env["AIRFLOW_CONN_COLLECTIONS_FEED"] = http
        for name in ("SMS", "LETTERS", "DIALER", "FIELD", "LEGAL", "RECOVERY_AGENCY"):
            env[f"AIRFLOW_CONN_COLLECTIONS_{name}"] = http
        out = _dags_test(env, day.add(days=1).to_date_string(), {"as_of": day.to_date_string()})
        assert dag_run_state(out) == "success", out.stdout[-3000:] + out.stderr[-3000:]
        accepted = requests_get(server.url + "/_accepted")
        # the hourly outbox DAG picks up what waits (deferred to the window, or planned) and sends what it may now
        outbox = run_airflow(["dags", "test", "collections_standard_outbox"], env=env)
        assert dag_run_state(outbox) == "success" and not task_failures(outbox), (
            outbox.stdout[-3000:] + outbox.stderr[-3000:]
        )
        accepted_after = requests_get(server.url + "/_accepted")
    finally:
        server.shutdown()
        server.server_close()
    with connect(db) as conn:
        rows = conn.execute(
            "select kind, status, reason, idempotency_key, window_opens_at <= %s as open from collections.action_log",
            [NOW],
        ).fetchall()
    # the outbox DAG read the partners' receipts too: everything they accepted is now delivered
    delivered = {r["idempotency_key"] for r in rows if r["status"] == "delivered"}
    assert not [r for r in rows if r["status"] == "sent"]
    assert delivered and delivered == {a["key"] for a in accepted_after} >= {a["key"] for a in accepted}
    assert len(accepted_after) == len({a["key"] for a in accepted_after})
    # customer contact outside the window waits; visits and referrals are not customer contact
    for r in rows:
        if r["kind"] in ("notice", "call") and r["status"] == "deferred":
            assert r["reason"] == "contact_window"
        if r["kind"] == "visit":
            assert r["status"] in ("delivered", "suppressed"), r
        if r["kind"] == "legal":  # a referral waits for a person's decision (SPEC 11): nothing of it went out
            assert r["status"] in ("awaiting_approval", "suppressed"), r
    assert not [a for a in accepted_after if ":legal:" in a["key"]]


def requests_get(url: str) -> list:
    import requests

    return requests.get(url, timeout=10).json()


def test_a_run_reads_the_feed_from_a_source_database(airflow_home, db, source_db):
    dsn, root = source_db
    env = _env(db, root)
    parts = psycopg.conninfo.conninfo_to_dict(dsn)
    env["AIRFLOW_CONN_COLLECTIONS_FEED"] = json.dumps(
        {
            "conn_type": "postgres",
            "host": parts.get("host"),
            "port": int(parts.get("port", 5432)),
            "login": parts.get("user"),
            "schema": parts["dbname"],
        }
    )
    out = _dags_test(env, "2026-11-29", {"as_of": "2026-11-28", "portfolios": ["AUTO-NORTH"]})
    assert dag_run_state(out) == "success", out.stdout[-3000:] + out.stderr[-3000:]
    with connect(db) as conn:
        portfolios = {r["portfolio"] for r in conn.execute("select distinct portfolio from collections.case_day")}
        accounts = conn.execute("select count(*) as n from collections.account").fetchone()["n"]
    assert portfolios == {"AUTO-NORTH"} and accounts > 0


def test_the_subprime_dag_runs_its_repossession_stage(airflow_home, db, tmp_path):
    from debt_collections import plan
    from debt_collections.simulator.server import SimulatorServer

    drops = tmp_path / "drops"
    generate_book(drops, BookSpec(accounts=1500, start=d("2026-11-28"), end=d("2026-11-28"), seed=12))
    env = _env(db, drops)
    server = SimulatorServer().start()
    # the plugin kind's channel has no key in the policy: its connection is collections_<channel>
    env["AIRFLOW_CONN_COLLECTIONS_RECOVERY_AGENCY"] = json.dumps(
        {"conn_type": "http", "host": "127.0.0.1", "port": server.server_address[1], "schema": "http"}
    )

    def received() -> list[dict]:
        return [a for a in requests_get(server.url + "/_accepted") if a["path"] == "/v1/repossessions"]

    def orders() -> dict:
        with connect(db) as conn:
            return conn.execute(
                "select count(*) filter (where status in ('sent', 'delivered')) as sent, "
                "count(*) filter (where status = 'awaiting_approval') as waiting, "
                "count(*) filter (where status = 'suppressed') as suppressed, count(*) as n "
                "from collections.action where kind = 'repossession'"
            ).fetchone()

    try:
        out = run_airflow(
            ["dags", "test", "collections_subprime", "2026-11-29", "-c", json.dumps({"as_of": "2026-11-28"})], env=env
        )
        assert dag_run_state(out) == "success", out.stdout[-3000:] + out.stderr[-3000:]
        # a repossession order cannot be taken back: each one no rule stops waits for a decision, none went out
        before = orders()
        assert before["waiting"] > 0 and before["waiting"] + before["suppressed"] == before["n"] and received() == []
        # approved in the Collections view; the hourly outbox DAG sends them
        policy = load_policy(REPO / "dags" / "policies" / "subprime.yaml")
        listed = plan.approval_request(db, policy, "SUB-CENTRAL")
        plan.approve_waiting(db, policy, decided_by="lead", via="collections_view")
        outbox = run_airflow(["dags", "test", "collections_subprime_outbox"], env=env)
        assert dag_run_state(outbox) == "success", outbox.stdout[-3000:] + outbox.stderr[-3000:]
        orders_received, after = received(), orders()
    finally:
        server.shutdown()
        server.server_close()
    with connect(db) as conn:
        portfolios = {r["portfolio"] for r in conn.execute("select distinct portfolio from collections.case_day")}
    assert portfolios == {"SUB-CENTRAL"}
    assert (
        after["sent"]
        == len(orders_received)
        == before["waiting"]
        == len([i for i in listed if i.kind == "repossession"])
    )
    assert all(o["body"]["vin"].startswith("LVS") for o in orders_received)


def test_the_lease_dag_sends_courtesy_reminders_before_the_due_date(airflow_home, db, tmp_path):
    drops = tmp_path / "drops"
    generate_book(drops, BookSpec(accounts=1500, start=d("2026-11-28"), end=d("2026-11-28"), seed=12))
    conf = json.dumps({"as_of": "2026-11-28"})
    out = run_airflow(["dags", "test", "collections_lease", "2026-11-29", "-c", conf], env=_env(db, drops))
    assert dag_run_state(out) == "success", out.stdout[-3000:] + out.stderr[-3000:]
    with connect(db) as conn:
        portfolios = {r["portfolio"] for r in conn.execute("select distinct portfolio from collections.case_day")}
        reminders = conn.execute(
            "select count(*) as n, count(*) filter (where a.case_id is null and c.account_id is null) as no_case, "
            "count(*) filter (where l.due_date = '2026-12-01') as due_in_3_days "
            "from collections.action a join collections.action_log l using (as_of, account_id, kind) "
            "left join collections.case_day c on c.account_id = a.account_id and c.as_of = a.as_of "
            "where a.kind = 'reminder'"
        ).fetchone()
        cases = conn.execute("select count(*) as n from collections.case_day where portfolio = 'OPL-METRO'").fetchone()
    assert portfolios == {"OPL-METRO"} and cases["n"] > 0
    # no partner connection in this run: the reminders wait in the outbox for the hourly DAG
    assert reminders["n"] > 0 and reminders["n"] == reminders["no_case"] == reminders["due_in_3_days"]
