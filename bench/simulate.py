"""A simulation of 14 stored days against running those 14 days for real (SPEC 10; issue #12).

    .venv/bin/python bench/simulate.py [--accounts 20000] [--days 14] [--db 'host=127.0.0.1 dbname=postgres']

Generates a book, runs its days for real through the plan of the day with the partner simulator
as every partner (timed), then simulates the same days with ``candidates/gentle.yaml`` (calls from
dpd 15, a notice every 5 days) against ``standard.yaml`` (timed), and prints: both wall times and
their ratio, whether the baseline reproduced history, each side's calls, notices and rule
violations, whether every table and sequence of ``collections`` is unchanged (md5), and how many
requests the partner simulator received during the simulation (it must be none). A script that
prints figures, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
import uuid
from pathlib import Path

import pendulum
import psycopg
import requests

from benchdb import drop_database
from debt_collections.delivery.http import PartnerClient, RetryPolicy
from debt_collections.domain.params import RunParams
from debt_collections.feeds.csv_source import CsvSource
from debt_collections.generator.book import BookSpec, generate_book
from debt_collections.plan import run_day
from debt_collections.policy.loader import load_policy
from debt_collections.simulate import resolve, simulate
from debt_collections.simulator.server import SimulatorServer
from debt_collections.store.db import connect, fetch_all
from debt_collections.store.migrate import migrate

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "dags" / "policies"
CHANNELS = ("sms", "letter", "dialer", "field_app", "legal_portal")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=20000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--db", default="host=127.0.0.1 user=postgres dbname=postgres", help="maintenance conninfo")
    args = parser.parse_args()
    name = f"bench_simulate_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(args.db, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    db = psycopg.conninfo.make_conninfo(args.db, dbname=name)
    server = SimulatorServer().start()
    try:
        migrate(db)
        policy = load_policy(POLICIES / "standard.yaml")
        last = pendulum.date(2026, 11, 28)
        first = last.subtract(days=args.days - 1)
        with tempfile.TemporaryDirectory() as tmp:
            generate_book(tmp, BookSpec(args.accounts, first, last, seed=1))
            real = _run_for_real(db, policy, Path(tmp), first, last, server.url)
        portfolios = sorted({p for p in _portfolios(db) if policy.covers(p)})
        before, requests_before = _checksums(db), _requests(server.url)
        began = time.monotonic()
        request = resolve(db, "candidates/gentle.yaml", "standard.yaml", first, last, portfolios, POLICIES)
        result = simulate(db, request)
        simulated = time.monotonic() - began
        print(json.dumps(_figures(args, real, simulated, result, before == _checksums(db)), indent=2))
        print(json.dumps({"partner_requests_during_simulation": _requests(server.url) - requests_before}))
    finally:
        server.shutdown()
        server.server_close()
        drop_database(args.db, name)


def _run_for_real(db: str, policy, drops: Path, first, last, url: str) -> float:
    """Run every day of the book through the plan of the day, delivering to the simulator; wall seconds."""
    partners = {
        c: PartnerClient(url, requests.Session(), RetryPolicy(attempts=3, base_delay=0.02), rng=random.Random(1))
        for c in CHANNELS
    }
    began = time.monotonic()
    day = first
    while day <= last:
        noon = pendulum.datetime(day.year, day.month, day.day, 12, tz=policy.timezone).add(days=1)
        params = RunParams(day, None, policy.stages, False)
        run_day(db, policy, CsvSource(drops, day), params, partners=partners, now=noon)
        day = day.add(days=1)
    return time.monotonic() - began


def _portfolios(db: str) -> list[str]:
    from debt_collections.store.daily import known_portfolios

    return known_portfolios(db)


def _checksums(db: str) -> dict[str, str]:
    with connect(db) as conn:
        return {r["object"]: r["checksum"] for r in fetch_all(conn, "bench/table_checksums.sql")}


def _requests(url: str) -> int:
    return len(requests.get(url + "/_log", timeout=30).json())


def _figures(args, real: float, simulated: float, result: dict, unchanged: bool) -> dict:
    def kinds(side: str, kind: str) -> int:
        totals = result[side]["totals"]["actions_by_kind_status"]
        return sum(n for k, n in totals.items() if k.startswith(kind + ":"))

    return {
        "accounts": args.accounts,
        "days": args.days,
        "load_average": os.getloadavg(),
        "run_for_real_seconds": round(real, 1),
        "simulate_seconds": round(simulated, 1),
        "simulate_over_real": round(simulated / real, 2),
        "baseline_matches_history": result["baseline_matches_history"],
        "differences_total": result.get("differences_total"),
        "calls": {side: kinds(side, "call") for side in ("baseline", "candidate")},
        "notices": {side: kinds(side, "notice") for side in ("baseline", "candidate")},
        "rule_violations": {side: result[side]["totals"]["rule_violations"] for side in ("baseline", "candidate")},
        "collections_unchanged": unchanged,
    }


if __name__ == "__main__":
    main()
