"""Delivery throughput through the partner simulator, with and without faults.

    .venv/bin/python bench/delivery.py [--accounts 20000] [--db 'host=127.0.0.1 user=postgres dbname=postgres']

Generates a book, evaluates one day, then delivers every planned action of the
day inside the contact window, three times: against a healthy simulator; against
one answering 20% 5xx, 5% timeouts and 10% 429s; and against the faulty one with
the delivering process killed (SIGKILL) after ``--kill-after`` seconds, then
delivered again to the end. Prints actions per second and checks that no
idempotency key was accepted twice. A script, not a test.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import signal
import tempfile
import time
import uuid
from pathlib import Path

import pendulum
import psycopg
import requests

from debt_collections.delivery.http import PartnerClient, RetryPolicy
from debt_collections.domain.params import RunParams
from debt_collections.feeds.csv_source import CsvSource
from debt_collections.generator.book import BookSpec, generate_book
from debt_collections.plan import run_day
from debt_collections.policy.loader import load_policy
from debt_collections.simulator.server import SimulatorServer
from debt_collections.store import outbox
from debt_collections.store.db import connect, fetch_all, fetch_one, run
from debt_collections.store.migrate import migrate

REPO = Path(__file__).resolve().parents[1]
KINDS = ("notice", "call", "visit", "legal")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=20000)
    parser.add_argument("--db", default="host=127.0.0.1 user=postgres dbname=postgres", help="maintenance conninfo")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--kill-after", type=float, default=8.0, help="seconds into the killed delivery")
    args = parser.parse_args()
    name = f"bench_delivery_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(args.db, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    db = psycopg.conninfo.make_conninfo(args.db, dbname=name)
    try:
        migrate(db)
        policy = load_policy(REPO / "dags" / "policies" / "standard.yaml")
        day = pendulum.date(2026, 11, 28)
        with tempfile.TemporaryDirectory() as tmp:
            generate_book(tmp, BookSpec(args.accounts, day, day, seed=1))
            run_day(db, policy, CsvSource(tmp, day), RunParams(day, None, policy.stages, False))
        with connect(db) as conn:
            portfolios = [r["portfolio"] for r in fetch_all(conn, "bench/action_portfolios.sql")]
        results = {}
        faulty = {
            "error_rate": 0.2,
            "timeout_rate": 0.05,
            "timeout_s": 0.6,
            "rate_429": 0.1,
            "retry_after": 0,
            "seed": 5,
        }
        for label, faults in (("healthy", {}), ("faulty", faulty), ("faulty_killed_then_rerun", faulty)):
            server = SimulatorServer().start()
            requests.post(server.url + "/_faults", json=faults, timeout=5)
            with connect(db) as conn:
                run(conn, "bench/reset_deliveries.sql")
            partners = {
                c: PartnerClient(
                    server.url,
                    requests.Session(),
                    RetryPolicy(attempts=8, base_delay=0.02, max_delay=0.5, timeout=0.5),
                    rng=random.Random(1),
                )
                for c in ("sms", "letter", "dialer", "field_app", "legal_portal")
            }
            began = time.monotonic()
            kills = 0
            if label.endswith("killed_then_rerun"):
                # a delivering process dies in the middle (SIGKILL: no clean-up at all) ...
                child = multiprocessing.get_context("fork").Process(
                    target=_deliver_all, args=(db, portfolios, day, partners, args.concurrency)
                )
                child.start()
                child.join(args.kill_after)
                if child.is_alive():
                    os.kill(child.pid, signal.SIGKILL)
                    kills = 1
                child.join()
            # ... and the next delivery sends what is left
            totals = _deliver_all(db, portfolios, day, partners, args.concurrency)
            seconds = time.monotonic() - began
            # the partners' receipts settle what they accepted (also an answer lost to the kill)
            outbox.collect_receipts(db, partners)
            with connect(db) as conn:
                settled = {r["status"]: r["n"] for r in fetch_all(conn, "bench/status_counts.sql")}
            accepted = requests.get(server.url + "/_accepted", timeout=10).json()
            requests_made = len(requests.get(server.url + "/_log", timeout=10).json())
            server.shutdown()
            server.server_close()
            keys = [a["key"] for a in accepted]
            with connect(db) as conn:
                sent_in_table = fetch_one(conn, "bench/sent_actions.sql")["n"]
            with connect(db) as conn:
                left = fetch_one(conn, "bench/unsent_actions.sql")["n"]
            results[label] = {
                "actions": sum(totals.values()),
                **totals,
                "seconds": round(seconds, 2),
                "kills": kills,
                "left_planned": left,
                "after_receipts": settled,
                "actions_per_second": round(sent_in_table / seconds, 1),
                "requests": requests_made,
                "accepted_by_partners": len(accepted),
                "sent_in_collections_action": sent_in_table,
                "keys_accepted_twice": len(keys) - len(set(keys)),
            }
        print(json.dumps({"accounts": args.accounts, "concurrency": args.concurrency, **results}, indent=2))
    finally:
        with psycopg.connect(args.db, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


def _deliver_all(db: str, portfolios: list[str], day, partners: dict, concurrency: int) -> dict[str, int]:
    """Deliver every kind of every portfolio of the day, inside the contact window; counts by outcome."""
    totals = {"sent": 0, "failed": 0, "deferred": 0, "waiting": 0}
    for portfolio in portfolios:
        for kind in KINDS:
            counts = outbox.deliver(
                db,
                portfolio,
                day,
                kind,
                partners,
                concurrency=concurrency,
                now=pendulum.datetime(2026, 11, 29, 12, tz="Asia/Shanghai"),
            )
            for k, v in counts.items():
                totals[k] += v
    return totals


if __name__ == "__main__":
    main()
