"""Drill-down lists at book scale: the ``/collections/list`` page's answer on a 100,000-account book.

    .venv/bin/python bench/ui_lists.py [--accounts 100000] [--days 4] [--repeat 7]
                                       [--db 'host=127.0.0.1 user=postgres dbname=postgres'] [--fresh]
                                       [--explain] [--json out.json]

Builds, once, a book in a database of its own (``collections_bench_lists_<accounts>_<days>d``, kept for the
next run; ``--fresh`` builds it again): the project's generator writes ``--days`` daily drops (the first holds
the whole book and its history), and each day is evaluated in this process by the three policies of
``dags/policies`` (``plan.run_day``, as the demo builds its history; no partner, so actions wait in the
outbox). Then, on the latest day and on the portfolio with the most cases, it times the list page for
sorted and paged requests: page 1 and a deep page (the last) for each sort key and order, a filter by
stage, by case status and by action status. Each request is the page's own function (``ui/app.py``
``worklist``: a read-only connection, ``store/ui.py`` ``worklist``'s SQL, the template rendered), called
``--repeat`` times after one warm-up; median and max in ms. ``--explain`` prints ``EXPLAIN (ANALYZE,
BUFFERS)`` of each request's SQL. Airflow's auth and HTTP are not in the figures.

A script that reports figures, not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pendulum
import psycopg

from debt_collections.domain.params import RunParams
from debt_collections.feeds.csv_source import CsvSource
from debt_collections.generator.book import BookSpec, generate_book
from debt_collections.plan import run_day
from debt_collections.policy.loader import load_policy
from debt_collections.store import demo as store_demo
from debt_collections.store import ui as queries
from debt_collections.store.db import connect, fetch_all
from debt_collections.store.migrate import migrate
from debt_collections.store.sql import sql

REPO = Path(__file__).resolve().parents[1]
POLICY_FILES = tuple(REPO / "dags" / "policies" / f"{name}.yaml" for name in ("standard", "subprime", "lease"))
START = pendulum.date(2026, 11, 15)  # the first drop: the whole book and its history
TARGET_MS = 300.0


def _conninfo(admin: str, dbname: str) -> str:
    return psycopg.conninfo.make_conninfo(admin, dbname=dbname)


def build(admin: str, dbname: str, accounts: int, days: int, fresh: bool) -> tuple[str, list[dt.date]]:
    """The book's database, built when missing (or ``fresh``); its evaluated days."""
    conninfo = _conninfo(admin, dbname)
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute(sql("bench/database_exists.sql"), {"name": dbname}).fetchone()
        if exists and fresh:
            conn.execute(psycopg.sql.SQL("drop database {} with (force)").format(psycopg.sql.Identifier(dbname)))
            exists = None
        if not exists:
            conn.execute(psycopg.sql.SQL("create database {}").format(psycopg.sql.Identifier(dbname)))
    migrate(conninfo)
    wanted = [START.add(days=i) for i in range(days)]
    done = store_demo.evaluated_days(conninfo)
    if all(d in done for d in wanted):
        print(f"reusing {dbname}: {len(done)} evaluated days", flush=True)
        return conninfo, sorted(done)
    policies = [load_policy(p) for p in POLICY_FILES]
    work = Path(tempfile.mkdtemp(prefix="bench-ui-lists-"))
    try:
        began = time.monotonic()
        generate_book(work, BookSpec(accounts, wanted[0], wanted[-1], seed=42))
        print(f"generated {accounts} accounts, {days} drops in {time.monotonic() - began:.1f}s", flush=True)
        for day in wanted:
            if day in done:
                continue
            began = time.monotonic()
            now = pendulum.datetime(day.year, day.month, day.day, 10, tz="Asia/Shanghai").add(days=1)
            for index, policy in enumerate(policies):
                run_day(
                    conninfo,
                    policy,
                    CsvSource(work, day) if index == 0 else None,
                    RunParams(day, None, policy.stages, False),
                    now=now,
                )
            print(f"evaluated {day} in {time.monotonic() - began:.1f}s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return conninfo, sorted(store_demo.evaluated_days(conninfo))


class _User:
    def get_name(self) -> str:
        return "bench"


def requests(conninfo: str, as_of: dt.date) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    """The portfolio with the most cases on ``as_of`` and the list requests timed on it (the page's query
    parameters)."""
    with connect(conninfo) as conn:
        (top,) = fetch_all(conn, "bench/list_portfolio_sizes.sql", {"as_of": as_of})[:1]
    portfolio, cases, actions = top["portfolio"], top["cases"], top["actions"]
    last = max(1, -(-cases // queries.LIST_LIMIT))
    last_actions = max(1, -(-actions // queries.LIST_LIMIT))
    base = {"as_of": as_of, "portfolio": portfolio}
    out: list[tuple[str, dict[str, Any]]] = []
    for sort in ("dpd", "overdue_amount", "account_id"):
        for order in ("desc", "asc"):
            for page in sorted({1, last}):
                out.append(
                    (f"cases, sort {sort} {order}, page {page}", {**base, "sort": sort, "order": order, "page": page})
                )
    out += [
        ("cases, active (Today's stage x bucket total), page 1", {**base, "case_status": "active"}),
        ("cases, stage call, page 1", {**base, "stage": "call", "case_status": "active"}),
        ("cases, stage legal, page 1", {**base, "stage": "legal", "case_status": "active"}),
        ("cases, status cured, page 1", {**base, "case_status": "cured"}),
        ("cases, status on_hold, page 1", {**base, "case_status": "on_hold"}),
        ("actions, all, page 1", {**base, "what": "actions"}),
        (
            f"actions, all, sort overdue_amount desc, page {last_actions}",
            {**base, "what": "actions", "sort": "overdue_amount", "page": last_actions},
        ),
        ("actions, status suppressed, page 1", {**base, "status": "suppressed"}),
        ("actions, status planned, kind call, page 1", {**base, "status": "planned", "kind": "call"}),
    ]
    print(f"portfolio {portfolio} on {as_of}: {cases} cases, {actions} actions, last page {last}", flush=True)
    return portfolio, out


def page_call(conninfo: str, params: dict[str, Any]) -> tuple[float, int]:
    """One answer of the list page (its function, as FastAPI calls it after auth): ms and its length."""
    from debt_collections.ui import app

    full = {
        "what": "cases",
        "stage": None,
        "bucket": None,
        "case_status": None,
        "kind": None,
        "status": None,
        "reason": None,
        "variant": None,
        "sort": "dpd",
        "order": "desc",
        "page": 1,
        "format": "html",
        **params,
    }
    began = time.perf_counter()
    answer = app.worklist(_User(), conninfo, **full)
    ms = (time.perf_counter() - began) * 1000
    assert answer.status_code == 200
    return ms, len(answer.body)


def explain(conninfo: str, params: dict[str, Any]) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the request's list SQL, with the page's binds."""
    what = "actions" if params.get("what") == "actions" or params.get("kind") or params.get("status") else "cases"
    filters = {
        k: params.get(k)
        for k in ("as_of", "portfolio", "stage", "bucket", "case_status", "kind", "status", "reason", "variant")
    }
    filters |= {"sort": params.get("sort", "dpd"), "descending": params.get("order", "desc") == "desc"}
    page = params.get("page", 1)
    bind = {**filters, "limit": queries.LIST_LIMIT, "offset": (page - 1) * queries.LIST_LIMIT}
    text = sql("ui/list_cases.sql" if what == "cases" else "ui/list_actions.sql")
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute("explain (analyze, buffers) " + text, bind).fetchall()
    return "\n".join(r[0] for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", "host=127.0.0.1 user=postgres dbname=postgres"))
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    name = f"collections_bench_lists_{args.accounts}_{args.days}d"
    conninfo, days = build(args.db, name, args.accounts, args.days, args.fresh)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql("bench/list_analyze.sql"))
        rows = conn.execute(sql("bench/list_table_rows.sql")).fetchone()
        server = conn.execute("show server_version").fetchone()[0]
    portfolio, reqs = requests(conninfo, days[-1])
    load_before = os.getloadavg()
    results = []
    for name, params in reqs:
        page_call(conninfo, params)  # warm-up: the first call of a shape plans it and reads its pages in
        times = []
        for _ in range(args.repeat):
            ms, size = page_call(conninfo, params)
            times.append(ms)
        r = {"request": name, "median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}
        results.append(r)
        print(f"{r['median_ms']:8.1f} {r['max_ms']:8.1f}  {name}", flush=True)
        if args.explain:
            print(explain(conninfo, params), flush=True)
    load_after = os.getloadavg()
    worst = max(r["max_ms"] for r in results)
    command = "cd <clone> && make install && .venv/bin/python " + " ".join(["bench/ui_lists.py", *sys.argv[1:]])
    print()
    print(f"Command: `{command}`")
    print(
        f"Measured {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} on {os.cpu_count()} CPUs, PostgreSQL "
        f"{server}; {args.accounts:,} accounts, {len(days)} evaluated days ({days[0]} to {days[-1]}); "
        f"collections.case_state {rows[0]:,} rows, collections.action_log {rows[1]:,} rows; portfolio {portfolio}; "
        f"{args.repeat} calls per request after one warm-up."
    )
    print(
        f"Load average (1, 5, 15 min) before: {[round(x, 2) for x in load_before]}, "
        f"after: {[round(x, 2) for x in load_after]} ({os.cpu_count()} CPUs)."
    )
    print()
    print("| request | median ms | max ms |")
    print("|---|---|---|")
    for r in results:
        print(f"| {r['request']} | {r['median_ms']} | {r['max_ms']} |")
    print()
    print(f"Slowest answer: {worst} ms; target {TARGET_MS:.0f} ms: {'met' if worst < TARGET_MS else 'missed'}.")
    if args.json:
        args.json.write_text(
            json.dumps(
                {"command": command, "load": [load_before, load_after], "results": results, "rows": rows}, indent=2
            )
        )


if __name__ == "__main__":
    main()
