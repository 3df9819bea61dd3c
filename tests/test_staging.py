"""Staging: a load's staged and checked rows are temporary tables of its own session, so that nothing of a
load outlives it, however it ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pendulum

from debt_collections.store.db import connect
from tests.scenario import Scenario

# a load of the drop of 2026-09-10 from the folder given, killed by SIGKILL at a crash point of the loader
LOAD = """
import sys, pendulum
from decimal import Decimal
from debt_collections.feeds.csv_source import CsvSource
from debt_collections.store.loading import load_drop
db, root = sys.argv[1:3]
day = pendulum.date(2026, 9, 10)
load_drop(db, CsvSource(root, day), day, portfolios=None, max_reject_ratio=Decimal("0.5"))
"""
LOAD_TABLES = "(relname like 'stg\\_%' or relname like 'chk\\_%' or relname = 'feed_lines')"


def _load_tables(db: str) -> list[tuple[str, str]]:
    """Staging and checked tables anywhere in the database: (schema, table)."""
    with connect(db) as conn:
        rows = conn.execute(
            "select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            f"where c.relkind = 'r' and {LOAD_TABLES} order by 1, 2"
        ).fetchall()
    return [(r["nspname"], r["relname"]) for r in rows]


def _loaded(db: str) -> dict[str, int]:
    with connect(db) as conn:
        return {
            t: conn.execute(f"select count(*) as n from collections.{t}").fetchone()["n"]
            for t in ("customer", "account", "installment", "quarantine")
        }


def _book(db: str, tmp_path) -> Scenario:
    s = Scenario(db, tmp_path)
    s.account("A1")
    s.account("A2")
    s.extra_lines["installments"] = ["NOPE,1,2026-09-01,10.00"]  # one row for the quarantine
    s.write_drop(pendulum.date(2026, 9, 10))
    return s


def test_a_load_leaves_no_table_behind_and_staging_is_not_in_the_schema(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account("A1")
    s.run("2026-09-10")
    assert _load_tables(db) == []
    assert _loaded(db)["account"] == 1


def test_a_load_killed_after_checking_leaves_its_quarantine_and_no_staging(db, tmp_path):
    _book(db, tmp_path)
    env = {**os.environ, "COLLECTIONS_CRASH_AT": "load.validated"}
    proc = subprocess.run(
        [sys.executable, "-c", LOAD, db, str(tmp_path)],
        env=env,
        start_new_session=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, f"the load was not killed at load.validated: {proc.stderr[-2000:]}"
    # the server drops a session's temporary tables when it sees the session gone
    deadline = time.monotonic() + 30
    while (left := _load_tables(db)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert left == [], f"a killed load left {left} behind after 30 s"
    # the checks committed (quarantine) before the kill; nothing was upserted
    assert _loaded(db) == {"customer": 0, "account": 0, "installment": 0, "quarantine": 1}

    # the rerun loads the drop whole, and quarantines the bad row once
    subprocess.run([sys.executable, "-c", LOAD, db, str(tmp_path)], check=True, timeout=120)
    assert _loaded(db)["account"] == 2 and _loaded(db)["quarantine"] == 1
    assert _load_tables(db) == []
