"""Delivery throughput through the partner simulator: one by one and in lists, with and without faults.

    .venv/bin/python bench/delivery.py [--accounts 60000] [--batch-size 200] [--batch-concurrency 4]
        [--concurrency 8] [--simulator-process] [--rounds batches/healthy,...] [--channels sms,dialer,...]
        [--portfolios-at-once 1] [--db 'host=127.0.0.1 user=postgres dbname=postgres'] [--keep]

Generates a book, evaluates one day (the clock pinned to the morning after, so that the
day's notices and calls go out in the contact window), then delivers every planned action
of the day, round after round, each against a fresh simulator with the day's deliveries
put back in the outbox:

- ``one_by_one``: every partner one message a request (``--concurrency`` in flight);
- ``batches``: the SMS gateway, letter house and dialer in lists of ``--batch-size``
  (``--batch-concurrency`` requests in flight per partner); the field app and the law
  firm, which have no batch API, one by one as before;

each healthy, then answering 20% 5xx, 5% timeouts and 10% 429s; and in lists under those
faults with the delivering process killed (SIGKILL, ``debt_collections.faults``) at crash
point ``--kill-at`` (default: when the third list's answer is in and not yet written back,
with other lists in flight), then delivered again to the end. Prints actions per second,
overall and per channel (a channel at a time: the SMS gateway, letter house and dialer are
the batch partners), and checks that no idempotency key was accepted twice. ``--simulator-process`` runs the
simulator in a process of its own (a partner is another machine) instead of a thread of
the benchmark. ``--portfolios-at-once N`` delivers N portfolios' actions of a kind at the
same time, in threads, as the DAG's mapped ``deliver`` tasks of a rung run under an executor
with free slots (default 1: one portfolio after another). A script, not a test.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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
from debt_collections.simulator.server import SimulatorServer
from debt_collections.store import outbox
from debt_collections.store.db import connect, fetch_all, fetch_one, run
from debt_collections.store.migrate import migrate

REPO = Path(__file__).resolve().parents[1]
# each kind's channels in turn: (kind, channel)
STEPS = (("call", "dialer"), ("notice", "sms"), ("notice", "letter"), ("visit", "field_app"), ("legal", "legal_portal"))
CHANNELS = tuple(channel for _, channel in STEPS)
BATCH_CHANNELS = ("sms", "letter", "dialer")  # the simulator's partners with a batch endpoint
DAY = pendulum.date(2026, 11, 28)
NOW = pendulum.datetime(2026, 11, 29, 12, tz="Asia/Shanghai")  # the morning after, inside the window
FAULTY = {"error_rate": 0.2, "timeout_rate": 0.05, "timeout_s": 0.6, "rate_429": 0.1, "retry_after": 0, "seed": 5}
ROUNDS = (
    ("one_by_one", "healthy", {}, False),
    ("one_by_one", "faulty", FAULTY, False),
    ("batches", "healthy", {}, False),
    ("batches", "faulty", FAULTY, False),
    ("batches", "faulty_killed_then_rerun", FAULTY, True),
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=60000)
    parser.add_argument("--db", default="host=127.0.0.1 user=postgres dbname=postgres", help="maintenance conninfo")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight, one by one")
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--batch-concurrency", type=int, default=4, help="lists in flight per batch partner")
    parser.add_argument("--kill-at", default="deliver.sent#3", help="crash point the killed delivery dies at")
    parser.add_argument("--simulator-process", action="store_true", help="the simulator in a process of its own")
    parser.add_argument("--rounds", default=",".join(f"{m}/{f}" for m, f, _, _ in ROUNDS), help="which rounds")
    parser.add_argument("--channels", default=",".join(CHANNELS), help="which channels (the others stay planned)")
    parser.add_argument("--keep", action="store_true", help="keep the database (for bench/explain.py), print its name")
    parser.add_argument("--portfolios-at-once", type=int, default=1, help="portfolios delivering a kind at once")
    args = parser.parse_args()
    os.environ["COLLECTIONS_NOW"] = NOW.isoformat()  # the day is evaluated the morning after, as the DAG would
    name = f"bench_delivery_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(args.db, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    db = psycopg.conninfo.make_conninfo(args.db, dbname=name)
    try:
        migrate(db)
        policy = load_policy(REPO / "dags" / "policies" / "standard.yaml")
        with tempfile.TemporaryDirectory() as tmp:
            generate_book(tmp, BookSpec(args.accounts, DAY, DAY, seed=1))
            run_day(db, policy, CsvSource(tmp, DAY), RunParams(DAY, None, policy.stages, False))
        with connect(db) as conn:
            portfolios = [r["portfolio"] for r in fetch_all(conn, "bench/action_portfolios.sql")]
        wanted = args.rounds.split(",")
        results = {
            f"{mode}/{label}": _round(db, portfolios, args, mode, faults, kill)
            for mode, label, faults, kill in ROUNDS
            if f"{mode}/{label}" in wanted
        }
        load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
        settings = {
            k: getattr(args, k)
            for k in ("accounts", "concurrency", "batch_size", "batch_concurrency", "channels", "portfolios_at_once")
        }
        print(
            json.dumps({**settings, "simulator_process": args.simulator_process, **results, "loadavg": load}, indent=2)
        )
    finally:
        if args.keep:
            print(f"kept database {name}", file=sys.stderr)
        else:
            drop_database(args.db, name)


def _round(db: str, portfolios: list[str], args: argparse.Namespace, mode: str, faults: dict, kill: bool) -> dict:
    """One round against a fresh simulator: the day's deliveries put back, delivered again; its figures."""
    with _simulator(args.simulator_process) as url:
        requests.post(url + "/_faults", json=faults, timeout=5)
        with connect(db) as conn:
            run(conn, "bench/reset_deliveries.sql")
        partners = _partners(url, mode, args)
        began = time.monotonic()
        kills = 0
        if kill:
            # a delivering process dies in the middle (SIGKILL: no clean-up at all) ...
            child = multiprocessing.get_context("fork").Process(
                target=_killed_delivery,
                args=(db, portfolios, partners, args),
            )
            child.start()
            child.join()
            kills = int(child.exitcode == -signal.SIGKILL)
        # ... and the next delivery sends what is left
        totals, by_channel = _deliver_all(db, portfolios, partners, args)
        seconds = time.monotonic() - began
        # the partners' receipts settle what they accepted (also an answer lost to the kill)
        outbox.collect_receipts(db, partners)
        accepted = requests.get(url + "/_accepted", timeout=30).json()
        log = requests.get(url + "/_log", timeout=30).json()
    keys = [a["key"] for a in accepted]
    with connect(db) as conn:
        settled = {r["status"]: r["n"] for r in fetch_all(conn, "bench/status_counts.sql")}
        sent_in_table = fetch_one(conn, "bench/sent_actions.sql")["n"]
        left = fetch_one(conn, "bench/unsent_actions.sql")["n"]
    return {
        "actions": sum(totals.values()),
        **totals,
        "seconds": round(seconds, 2),
        "actions_per_second": round(sent_in_table / seconds, 1),
        "per_channel": by_channel if not kill else "(not split: the killed process's share is not counted)",
        "kills": kills,
        "left_planned": left,
        "after_receipts": settled,
        "log_entries": len(log),  # a request one by one, an item of a list, a request a fault answered
        "fault_answers": sum(1 for e in log if e["status"] in (503, 429, "timeout")),
        "duplicate_answers": sum(1 for e in log if e.get("duplicate")),  # sent again, answered with the first id
        "accepted_by_partners": len(accepted),
        "sent_in_collections_action": sent_in_table,
        "keys_accepted_twice": len(keys) - len(set(keys)),
        # the same from the request log: a key answered "accepted" (200, not a duplicate) more than once
        "keys_accepted_twice_in_log": sum(n > 1 for n in Counter(_first_acceptances(log)).values()),
    }


def _first_acceptances(log: list[dict]) -> Iterator[str]:
    """The keys of the log's entries that a partner took as new (not answered as duplicates)."""
    return (e["key"] for e in log if e["status"] == 200 and e.get("key") and not e.get("duplicate"))


def _partners(url: str, mode: str, args: argparse.Namespace) -> dict[str, PartnerClient]:
    """A client per channel; in ``batches`` mode the SMS gateway, letter house and dialer take lists."""
    partners = {
        c: PartnerClient(
            url,
            requests.Session(),
            RetryPolicy(attempts=8, base_delay=0.02, max_delay=0.5, timeout=0.5),
            rng=random.Random(1),
        )
        for c in CHANNELS
    }
    if mode == "batches":
        for c in BATCH_CHANNELS:
            partners[c].batch_size, partners[c].concurrency = args.batch_size, args.batch_concurrency
    return partners


@contextmanager
def _simulator(own_process: bool) -> Iterator[str]:
    """A fresh simulator's URL: a thread of this process, or a process of its own."""
    if not own_process:
        server = SimulatorServer().start()
        try:
            yield server.url
        finally:
            server.shutdown()
            server.server_close()
        return
    proc = subprocess.Popen(
        [sys.executable, "-m", "debt_collections.simulator"], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        yield line.strip().rsplit(" ", 1)[-1]
    finally:
        proc.kill()
        proc.wait()


def _killed_delivery(db: str, portfolios: list[str], partners: dict, args: argparse.Namespace) -> None:
    """Deliver in a process group of its own that SIGKILLs itself at crash point ``--kill-at``
    (``deliver.sent#3``: the third set of results is in, not written back; others are in flight)."""
    os.setsid()
    os.environ["COLLECTIONS_CRASH_AT"] = args.kill_at
    _deliver_all(db, portfolios, partners, args)


def _deliver_all(db: str, portfolios: list[str], partners: dict, args: argparse.Namespace) -> tuple[dict, dict]:
    """Deliver every kind of every portfolio of the day, inside the contact window, a channel at a
    time (the others of its kind wait, as without a partner), ``--portfolios-at-once`` portfolios at
    a time; counts by outcome, and per channel the actions sent, the seconds spent and the rate."""
    totals = {"sent": 0, "failed": 0, "deferred": 0}
    by_channel: dict[str, Any] = {}
    channels = args.channels.split(",")
    for kind, channel in (step for step in STEPS if step[1] in channels):
        began, sent = time.monotonic(), 0

        def deliver(portfolio: str, kind: str = kind, channel: str = channel) -> dict[str, int]:
            clients = {channel: partners[channel]}
            return outbox.deliver(db, portfolio, DAY, kind, clients, concurrency=args.concurrency, now=NOW)

        with ThreadPoolExecutor(max_workers=args.portfolios_at_once) as pool:
            every = list(pool.map(deliver, portfolios))
        for counts in every:
            for k in totals:
                totals[k] += counts[k]
            sent += counts["sent"]
        seconds = time.monotonic() - began
        by_channel[channel] = {"sent": sent, "seconds": round(seconds, 2), "per_second": round(sent / seconds, 1)}
    return totals, by_channel


if __name__ == "__main__":
    main()
