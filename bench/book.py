"""Book-scale benchmark: generate, load and run one day of ``collections_standard`` through Airflow.

    .venv/bin/python bench/book.py [--sizes 100000 300000 1000000] [--sample 10000] [--keep]
                                   [--db 'host=127.0.0.1 user=postgres dbname=postgres']

For each size: generate a book (36 monthly installments per account, about 8% of
accounts behind) with the project's generator in its own process; run the first
day (the first load of the whole book) and then the next day with
``airflow dags test collections_standard`` on a migrated metadata database, with
the partner simulator on a loopback port; read each task instance's times from
Airflow's metadata database, the counts each task returned from its XComs, and
the peak memory of the run's processes sampled every 0.1 s. Then, on the same
database, two reference points for the next day: the floor (read the day's drop
once with COPY, scan the installments and repayments once, write the day's
outputs once) and the row-by-row way (one query per account, on a sample,
extrapolated). Writes ``bench/results.json`` and ``bench/RESULTS.md``.

A script that reports figures, not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pendulum
import psutil
import psycopg

from benchdb import drop_database
from debt_collections.policy.loader import load_policy
from debt_collections.simulator.server import SimulatorServer
from debt_collections.store.db import connect, fetch_all, fetch_one, run
from debt_collections.store.migrate import migrate
from debt_collections.store.sql import sql

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DAG_ID = "collections_standard"
FIRST_DAY = pendulum.date(2026, 11, 15)  # its drop holds the whole book and its history
NEXT_DAY = FIRST_DAY.add(days=1)  # mid-month: about 1/28 of the accounts have an installment due
PARTNERS = ("SMS", "LETTERS", "DIALER", "FIELD", "LEGAL", "RECOVERY_AGENCY")


# -- sampling the memory of a process tree --------------------------------------------------------
@dataclass
class MemorySampler:
    """Samples the resident memory of a process and its children every ``every`` seconds."""

    pid: int
    every: float = 0.1
    samples: list[tuple[float, int, int]] = field(default_factory=list)  # (unix time, largest process, tree)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> MemorySampler:
        threading.Thread(target=self._loop, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                rss = []
                for proc in procs:
                    with contextlib.suppress(psutil.NoSuchProcess):
                        rss.append(proc.memory_info().rss)
                self.samples.append((time.time(), max(rss, default=0), sum(rss)))
            except psutil.NoSuchProcess:
                return
            self._stop.wait(self.every)

    def peak(self, start: float | None = None, end: float | None = None) -> int:
        """The largest single process's resident bytes seen between ``start`` and ``end`` (unix times)."""
        return max(
            (
                largest
                for t, largest, _ in self.samples
                if (start is None or t >= start - self.every) and (end is None or t <= end + self.every)
            ),
            default=0,
        )


def timed_process(argv: list[str], env: dict, log: Path) -> dict:
    """Run a command to its end; wall seconds, peak memory of its largest process, return code."""
    with log.open("w") as out:
        began = time.monotonic()
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        sampler = MemorySampler(proc.pid).start()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop()
    return {
        "seconds": round(time.monotonic() - began, 2),
        "returncode": proc.returncode,
        "peak_rss_mib": round(max(sampler.peak(), usage.ru_maxrss * 1024) / 2**20, 1),
        "sampler": sampler,
    }


# -- Airflow ------------------------------------------------------------------------------------------
def airflow_env(admin: str, home: Path, meta_db: str, db: str, drops: Path, partners_url: str) -> dict:
    """Environment of an Airflow of the benchmark's own: home, metadata database and connections."""
    meta = psycopg.conninfo.conninfo_to_dict(admin)
    parts = psycopg.conninfo.conninfo_to_dict(db)
    env = os.environ.copy()
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": (
                f"postgresql+psycopg2://{meta.get('user', 'postgres')}@/{meta_db}"
                f"?host={meta.get('host', '127.0.0.1')}&port={meta.get('port', 5432)}"
            ),
            "AIRFLOW_CONN_COLLECTIONS_DB": json.dumps(
                {
                    "conn_type": "postgres",
                    "host": parts.get("host"),
                    "port": int(parts.get("port", 5432)),
                    "login": parts.get("user"),
                    "schema": parts["dbname"],
                }
            ),
            "AIRFLOW_CONN_COLLECTIONS_FEED": json.dumps({"conn_type": "fs", "extra": {"path": str(drops)}}),
        }
    )
    host, port = partners_url.removeprefix("http://").split(":")
    for name in PARTNERS:
        env[f"AIRFLOW_CONN_COLLECTIONS_{name}"] = json.dumps(
            {"conn_type": "http", "host": host, "port": int(port), "schema": "http"}
        )
    return env


def dag_run(env: dict, meta: str, as_of: pendulum.Date, logical: str, log: Path) -> dict:
    """One ``airflow dags test`` of the DAG for ``as_of``: wall time, and per task instance its figures."""
    argv = [str(BIN / "airflow"), "dags", "test", DAG_ID, logical, "-c", json.dumps({"as_of": as_of.to_date_string()})]
    proc = timed_process(argv, env, log)
    sampler = proc.pop("sampler")
    with connect(meta) as conn:
        latest = fetch_one(conn, "bench/latest_run.sql", {"dag_id": DAG_ID})
        tis = fetch_all(conn, "bench/task_instances.sql", {"dag_id": DAG_ID, "run_id": latest["run_id"]})
        xcoms = {
            (r["task_id"], r["map_index"]): r["value"]
            for r in fetch_all(conn, "bench/xcoms.sql", {"dag_id": DAG_ID, "run_id": latest["run_id"]})
        }
    tasks = []
    for ti in tis:
        start = ti["start_date"].timestamp() if ti["start_date"] else None
        end = ti["end_date"].timestamp() if ti["end_date"] else None
        tasks.append(
            {
                "task": ti["task_id"],
                "portfolio": ti["rendered_map_index"],
                "state": ti["state"],
                "start": start,  # unix times, for a run's span (bench/local_executor.py)
                "end": end,
                "seconds": round(ti["seconds"] or 0.0, 2),
                "peak_rss_mib": round(sampler.peak(start, end) / 2**20, 1) if start else None,
                "returned": _xcom_value(xcoms.get((ti["task_id"], ti["map_index"]))),
            }
        )
    return {
        **proc,
        "state": latest["state"],
        "run_id": latest["run_id"],
        "tasks": tasks,
        "task_seconds": round(sum(t["seconds"] for t in tasks), 2),
    }


def _xcom_value(value):
    if isinstance(value, (bytes, memoryview)):
        value = bytes(value).decode()
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    # a step's typed result (plan.py) as Airflow's serializer stores a dataclass: its fields under __data__
    if isinstance(value, dict) and "__classname__" in value and isinstance(value.get("__data__"), dict):
        return value["__data__"]
    return value


PHASES = (  # phase -> task ids (the rungs' tasks, each named after its stage, are summed in one phase)
    ("prepare", ("prepare",)),
    ("load", ("load_feed",)),
    ("arrears + cases", ("evaluate",)),
    ("routing", ("choose_stages",)),
    ("rungs: plan and delivery", ("notice", "call", "visit", "legal")),
    ("report", ("report",)),
)


def phases(run_: dict, rows: dict) -> list[dict]:
    """Per phase: wall seconds (task instances run one after another under `dags test`), rows, peak memory."""
    out = []
    for name, task_ids in PHASES:
        tasks = [t for t in run_["tasks"] if t["task"] in task_ids]
        seconds = sum(t["seconds"] for t in tasks)
        handled = _rows_handled(name, rows)
        out.append(
            {
                "phase": name,
                "task_instances": len(tasks),
                "seconds": round(seconds, 2),
                "rows": handled,
                "rows_per_second": round(handled / seconds) if handled and seconds else None,
                "peak_rss_mib": max((t["peak_rss_mib"] or 0 for t in tasks), default=0),
            }
        )
        if name == "arrears + cases":  # the evaluate tasks time their two statements
            for part in ("arrears", "cases"):
                secs = sum((t["returned"] or {}).get(f"{part}_seconds", 0) for t in tasks)
                key = "overdue_accounts" if part == "arrears" else "cases"
                n = sum((t["returned"] or {}).get(key, 0) for t in tasks)
                out.append(
                    {
                        "phase": f"  of which {part}",
                        "task_instances": len(tasks),
                        "seconds": round(secs, 2),
                        "rows": n,
                        "rows_per_second": round(n / secs) if secs else None,
                        "peak_rss_mib": None,
                    }
                )
    return out


def _rows_handled(phase: str, rows: dict) -> int | None:
    """The rows a phase read or wrote: drop rows, the book's accounts, case days, actions."""
    return {
        "load": rows["rows_in"],
        "arrears + cases": rows["accounts"],
        "routing": rows["case_day"],
        "rungs: plan and delivery": rows["actions"],
        "report": rows["case_day"] + rows["actions"],
    }.get(phase)


# -- reference points ---------------------------------------------------------------------------------
def floor(db: str, drops: Path, as_of: pendulum.Date) -> dict:
    """Read the day's drop once (COPY), scan the history once, write the day's outputs once."""
    timings = {}
    with connect(db) as conn:
        conn.execute(sql("bench/floor_create.sql"))
        began = time.monotonic()
        with conn.cursor().copy(sql("bench/floor_copy.sql")) as copy:
            for path in sorted((drops / as_of.to_date_string()).glob("*.csv")):
                with path.open("rb") as fh:
                    while chunk := fh.read(1 << 20):
                        copy.write(chunk.replace(b"\\", b"\\\\"))
        timings["copy_in"] = time.monotonic() - began
        began = time.monotonic()
        fetch_one(conn, "bench/floor_scan.sql")
        timings["scan"] = time.monotonic() - began
        began = time.monotonic()
        run(conn, "bench/floor_write.sql", {"as_of": as_of})
        conn.commit()
        timings["write"] = time.monotonic() - began
    return {k: round(v, 2) for k, v in timings.items()} | {"seconds": round(sum(timings.values()), 2)}


def row_by_row(db: str, as_of: pendulum.Date, size: int) -> dict:
    """A first attempt's way: a Python loop over the policy's accounts, queries per account, on a sample."""
    policy = load_policy(REPO / "dags" / "policies" / "standard.yaml")
    rungs = sorted(policy.steps, key=lambda r: r.min_dpd)
    bind = {"as_of": as_of, "tz": policy.timezone}
    began = time.monotonic()
    queries = 0
    with connect(db) as conn:
        conn.execute(sql("bench/rowwise_create.sql"))
        covered = [r["portfolio"] for r in fetch_all(conn, "ops/known_portfolios.sql") if policy.covers(r["portfolio"])]
        total_accounts = fetch_one(conn, "bench/covered_accounts.sql", {"portfolios": covered})["n"]
        accounts = fetch_all(conn, "bench/rowwise_sample.sql", {"size": size, "portfolios": covered})
        for account in accounts:
            key = {**bind, "account_id": account["account_id"]}
            installments = fetch_all(conn, "bench/rowwise_installments.sql", key)
            paid = fetch_one(conn, "bench/rowwise_paid.sql", key)["paid"]
            queries += 2
            left, oldest, overdue = paid, None, Decimal(0)
            for inst in installments:  # the waterfall, oldest due first
                unpaid = inst["amount_due"] - min(inst["amount_due"], max(left, Decimal(0)))
                left -= inst["amount_due"]
                if unpaid > policy.tolerance:
                    oldest = oldest or inst["due_date"]
                    overdue += unpaid
            if oldest is None:
                continue
            dpd = (as_of - pendulum.Date(oldest.year, oldest.month, oldest.day)).days
            row = {**key, "portfolio": account["portfolio"], "dpd": dpd, "overdue": overdue}
            events = fetch_all(conn, "bench/rowwise_holds.sql", key)
            fetch_one(conn, "bench/rowwise_previous_case.sql", key)
            run(conn, "bench/rowwise_arrears.sql", row)
            held = any(e["kind"] in ("dispute", "bankruptcy", "deceased", "cease_contact") for e in events)
            stage = None if held else next((r.stage for r in reversed(rungs) if dpd >= r.min_dpd), None)
            run(conn, "bench/rowwise_case.sql", {**row, "stage": stage})
            queries += 4
            if stage:  # the contact rules: who the customer is, what they were sent this week
                fetch_one(conn, "bench/rowwise_customer.sql", key)
                fetch_all(conn, "bench/rowwise_recent_actions.sql", key)
                run(conn, "bench/rowwise_action.sql", {**key, "kind": policy.rung(stage).action})
                queries += 3
        conn.commit()
    seconds = time.monotonic() - began
    scale = total_accounts / max(len(accounts), 1)
    return {
        "sample_accounts": len(accounts),
        "accounts_of_the_policy": total_accounts,
        "queries": queries,
        "seconds": round(seconds, 2),
        # the same loop against a database across a network: each query waits one more round trip
        "extrapolated_seconds_at_0_5_ms_rtt": round((seconds + queries * 0.0005) * scale, 1),
        "extrapolated_seconds": round(seconds * total_accounts / max(len(accounts), 1), 1),
    }


# -- one size -----------------------------------------------------------------------------------------
def bench_size(admin: str, accounts: int, sample: int, home: Path, meta_db: str, work: Path, logs: Path) -> dict:
    name = f"bench_book_{accounts}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    db = psycopg.conninfo.make_conninfo(admin, dbname=name)
    meta = psycopg.conninfo.make_conninfo(admin, dbname=meta_db)
    drops = work / f"book-{accounts}"
    result: dict = {"accounts": accounts, "load_average_before": [round(x, 2) for x in os.getloadavg()]}
    server = SimulatorServer().start()
    try:
        migrate(db)
        print(f"[{accounts}] generating", flush=True)
        gen = timed_process(
            [
                str(BIN / "python"),
                "-m",
                "debt_collections.generator",
                "--accounts",
                str(accounts),
                "--start",
                FIRST_DAY.to_date_string(),
                "--end",
                NEXT_DAY.to_date_string(),
                "--out",
                str(drops),
                "--seed",
                "11",
            ],
            os.environ.copy(),
            logs / f"generate-{accounts}.log",
        )
        gen.pop("sampler")
        gen["bytes"] = sum(p.stat().st_size for p in drops.rglob("*.csv"))
        result["generate"] = gen
        env = airflow_env(admin, home, meta_db, db, drops, server.url)
        minute = len(list(logs.glob("run-*.log")))  # a logical date of its own for each run of the benchmark
        for label, day in (("first_day", FIRST_DAY), ("next_day", NEXT_DAY)):
            print(f"[{accounts}] {label} {day}", flush=True)
            logical = day.add(days=1).to_date_string() + f"T00:{minute:02d}:00+00:00"
            minute += 1
            out = dag_run(env, meta, day, logical, logs / f"run-{accounts}-{label}.log")
            with connect(db) as conn:
                rows = fetch_one(conn, "bench/day_rows.sql", {"as_of": day})
                loaded = fetch_one(conn, "bench/rows_loaded.sql", {"feed_date": day})
            rows = {**rows, "rows_in": loaded["rows_in"], "overdue_share": round(rows["overdue_share"] or 0, 4)}
            out["rows"] = rows
            out["phases"] = phases(out, rows)
            out["airflow_overhead_seconds"] = round(out["seconds"] - out["task_seconds"], 2)
            result[label] = out
        print(f"[{accounts}] floor and row by row", flush=True)
        result["floor"] = floor(db, drops, NEXT_DAY)
        result["row_by_row"] = row_by_row(db, NEXT_DAY, sample)
        daily = result["next_day"]["seconds"]
        result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        result["ratios"] = {
            "daily_run_to_floor": round(daily / result["floor"]["seconds"], 1),
            "row_by_row_to_daily_run": round(result["row_by_row"]["extrapolated_seconds"] / daily, 1),
            "row_by_row_0_5_ms_rtt_to_daily_run": round(
                result["row_by_row"]["extrapolated_seconds_at_0_5_ms_rtt"] / daily, 1
            ),
            "seconds_per_1000_accounts": round(daily / accounts * 1000, 4),
        }
    finally:
        server.shutdown()
        server.server_close()
        if ARGS.keep:  # for bench/explain.py: the book as the next day left it
            print(f"[{accounts}] kept the database {name}", flush=True)
        else:
            drop_database(admin, name)
        subprocess.run(["rm", "-rf", str(drops)], check=False)
    return result


def machine() -> dict:
    with psycopg.connect(ARGS.db) as conn:
        server = conn.execute("show server_version").fetchone()[0]
        settings = dict(
            conn.execute(
                "select name, setting || coalesce(unit, '') from pg_settings "
                "where name in ('shared_buffers', 'work_mem', 'maintenance_work_mem', 'max_wal_size')"
            ).fetchall()
        )
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "postgres": server,
        "postgres_settings": settings,
        "kernel": platform.release(),
        "date": pendulum.now("UTC").to_iso8601_string(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main() -> None:
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--sample", type=int, default=10_000, help="accounts of the row-by-row reference")
    parser.add_argument("--db", default="host=127.0.0.1 user=postgres dbname=postgres", help="maintenance conninfo")
    parser.add_argument("--keep", action="store_true", help="keep each size's database (bench/explain.py reads it)")
    parser.add_argument("--json", default=str(REPO / "bench" / "results.json"))
    parser.add_argument("--markdown", default=str(REPO / "bench" / "RESULTS.md"))
    ARGS = parser.parse_args()
    meta_db = f"bench_af_meta_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(ARGS.db, autocommit=True) as conn:
        conn.execute(f'create database "{meta_db}"')
    results = {
        "machine": machine(),
        "command": "cd <clone> && make install && .venv/bin/python bench/book.py "
        + " ".join(["--sizes", *map(str, ARGS.sizes), "--sample", str(ARGS.sample)]),
        "sizes": [],
    }
    try:
        with tempfile.TemporaryDirectory(prefix="bench-book-") as tmp:
            work = Path(tmp)
            logs = REPO / "bench" / "logs"
            logs.mkdir(exist_ok=True)
            home = work / "airflow"
            home.mkdir()
            env = airflow_env(ARGS.db, home, meta_db, ARGS.db, work, "http://127.0.0.1:1")
            print("migrating Airflow's metadata database", flush=True)
            subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=env, check=True, capture_output=True)
            for size in ARGS.sizes:
                results["sizes"].append(bench_size(ARGS.db, size, ARGS.sample, home, meta_db, work, logs))
                Path(ARGS.json).write_text(json.dumps(results, indent=2, default=str))
                Path(ARGS.markdown).write_text(markdown(results))
    finally:
        with psycopg.connect(ARGS.db, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{meta_db}" with (force)')
    print(markdown(results))


def markdown(results: dict) -> str:
    """The figures as Markdown tables."""
    m = results["machine"]
    lines = [
        "# Book-scale benchmark: results",
        "",
        f"Measured {m['date']} on {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, "
        f"PostgreSQL {m['postgres']} ({', '.join(f'{k} {v}' for k, v in m['postgres_settings'].items())}), "
        f"Python {m['python']}, kernel {m['kernel']}.",
        "",
        f"Command: `{results['command']}`",
        "",
        "## Summary",
        "",
        "| accounts | generate s (peak MiB) | first day s (of which load) | next day s | Airflow overhead s "
        "| floor s | daily / floor | row-by-row s (extrapolated) | row-by-row / daily | s per 1,000 accounts "
        "| largest task process MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in results["sizes"]:
        first, nxt = s["first_day"], s["next_day"]
        load = next(p["seconds"] for p in first["phases"] if p["phase"] == "load")
        largest = max([p["peak_rss_mib"] or 0 for p in first["phases"] + nxt["phases"]])
        lines.append(
            f"| {s['accounts']:,} | {s['generate']['seconds']} ({s['generate']['peak_rss_mib']}) "
            f"| {first['seconds']} ({load}) | {nxt['seconds']} | {nxt['airflow_overhead_seconds']} "
            f"| {s['floor']['seconds']} | {s['ratios']['daily_run_to_floor']}x "
            f"| {s['row_by_row']['extrapolated_seconds']} | {s['ratios']['row_by_row_to_daily_run']}x "
            f"| {s['ratios']['seconds_per_1000_accounts']} | {largest} |"
        )
    lines += ["", *targets(results["sizes"])]
    for s in results["sizes"]:
        for label in ("first_day", "next_day"):
            r = s[label]
            lines += [
                "",
                f"## {s['accounts']:,} accounts, {label.replace('_', ' ')} "
                f"(run {r['state']}, {r['seconds']} s wall, {r['task_seconds']} s in tasks, "
                f"{r['airflow_overhead_seconds']} s Airflow and process start)",
                "",
                "| phase | task instances | seconds | rows | rows/s | peak MiB |",
                "|---|---|---|---|---|---|",
            ]
            for p in r["phases"]:
                lines.append(
                    f"| {p['phase']} | {p['task_instances']} | {p['seconds']} | "
                    f"{p['rows'] if p['rows'] is not None else ''} | "
                    f"{p['rows_per_second'] if p['rows_per_second'] is not None else ''} | "
                    f"{p['peak_rss_mib'] if p['peak_rss_mib'] is not None else ''} |"
                )
            rows = r["rows"]
            lines += [
                "",
                f"Rows: {rows['rows_in']:,} read from the drop; {rows['account_day']:,} overdue accounts "
                f"({rows['overdue_share']:.1%} of {rows['accounts']:,}); {rows['case_day']:,} case days; "
                f"{rows['actions']:,} actions; {rows['installments']:,} installments and "
                f"{rows['repayments']:,} repayments stored ({rows['repayments_of_the_day']:,} of that day); "
                f"database {rows['database_bytes'] / 2**30:.2f} GiB.",
            ]
        f, rb = s["floor"], s["row_by_row"]
        lines += [
            "",
            f"Load average (1, 5, 15 min) before this size: {s['load_average_before']}, after: "
            f"{s['load_average_after']} (2 CPUs; above 2 means something else shared them).",
        ]
        lines += [
            "",
            f"Floor of the next day: COPY of its drop {f['copy_in']} s, scan of installments and "
            f"repayments {f['scan']} s, one insert of its outputs {f['write']} s. Row by row: "
            f"{rb['sample_accounts']:,} accounts in {rb['seconds']} s ({rb['queries']:,} queries), "
            f"extrapolated to the policy's {rb['accounts_of_the_policy']:,} accounts: "
            f"{rb['extrapolated_seconds']} s on this machine's loopback; "
            f"{rb['extrapolated_seconds_at_0_5_ms_rtt']} s if each query also waited a 0.5 ms network "
            f"round trip (a derived figure, not measured).",
        ]
    return "\n".join(lines) + "\n"


def targets(sizes: list[dict]) -> list[str]:
    """The issue's targets against the largest size measured (and the spread over sizes)."""
    if not sizes:
        return []
    big, small = sizes[-1], sizes[0]
    first_load = next(p["seconds"] for p in big["first_day"]["phases"] if p["phase"] == "load")
    daily = big["next_day"]["seconds"]
    overhead = big["next_day"]["airflow_overhead_seconds"]
    largest = max(p["peak_rss_mib"] or 0 for s in sizes for d in ("first_day", "next_day") for p in s[d]["phases"])
    spread = big["ratios"]["seconds_per_1000_accounts"] / small["ratios"]["seconds_per_1000_accounts"]
    rows = [
        ("generating the book under 300 s", f"{big['generate']['seconds']} s", big["generate"]["seconds"] < 300),
        (
            "generator memory under 500 MiB at every size",
            f"{max(s['generate']['peak_rss_mib'] for s in sizes)} MiB",
            all(s["generate"]["peak_rss_mib"] < 500 for s in sizes),
        ),
        ("first load under 300 s", f"{first_load} s", first_load < 300),
        ("daily run under 180 s end to end", f"{daily} s", daily < 180),
        ("Airflow's share under a third", f"{overhead} s of {daily} s ({overhead / daily:.0%})", overhead < daily / 3),
        ("within 3x of the floor", f"{big['ratios']['daily_run_to_floor']}x", big["ratios"]["daily_run_to_floor"] <= 3),
        (
            "at least 50x faster than row by row",
            f"{big['ratios']['row_by_row_to_daily_run']}x on loopback "
            f"({big['ratios']['row_by_row_0_5_ms_rtt_to_daily_run']}x with a 0.5 ms round trip, derived)",
            big["ratios"]["row_by_row_to_daily_run"] >= 50,
        ),
        ("no task process above 1 GiB", f"{largest} MiB", largest <= 1024),
        (
            f"time per account flat within 1.5x ({small['accounts']:,} to {big['accounts']:,})",
            f"{spread:.2f}x",
            spread <= 1.5,
        ),
    ]
    return [
        f"## Targets at {big['accounts']:,} accounts",
        "",
        "| target | measured | met |",
        "|---|---|---|",
        *(f"| {name} | {figure} | {'yes' if met else '**no**'} |" for name, figure, met in rows),
    ]


ARGS: argparse.Namespace

if __name__ == "__main__":
    main()
