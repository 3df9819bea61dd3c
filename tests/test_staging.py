"""Staging: a load leaves none of its rows behind, and clears what a load that died left."""

from __future__ import annotations

import uuid

from debt_collections.store.db import connect
from tests.scenario import Scenario

STAGING = ("stg_customers", "stg_accounts", "stg_installments", "stg_repayments", "stg_events")


def _staged(db: str) -> dict[str, int]:
    with connect(db) as conn:
        rows = {t: conn.execute(f"select count(*) as n from collections.{t}").fetchone()["n"] for t in STAGING}
        rows["staging_load"] = conn.execute("select count(*) as n from collections.staging_load").fetchone()["n"]
    return rows


def test_a_load_clears_its_staging_rows_and_those_a_dead_load_left_a_day_ago(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account("A1")
    s.run("2026-09-10")
    assert set(_staged(db).values()) == {0}

    # a load that staged its rows two days ago and died before clearing them, and one still running
    dead, running = uuid.uuid4(), uuid.uuid4()
    with connect(db) as conn:
        for load_id, age in ((dead, "2 days"), (running, "1 hour")):
            conn.execute(
                "insert into collections.staging_load (load_id, started_at) values (%s, now() - %s::interval)",
                [load_id, age],
            )
            for position, table in enumerate(STAGING, start=1):
                conn.execute(
                    f"insert into collections.{table} (load_id, feed_date, position, source, raw) "
                    "values (%s, '2026-09-09', %s, 'x.csv', 'raw')",
                    [load_id, position],
                )
        conn.commit()

    s.run("2026-09-11")
    with connect(db) as conn:
        left = {
            t: [r["load_id"] for r in conn.execute(f"select load_id from collections.{t}").fetchall()]
            for t in (*STAGING, "staging_load")
        }
    assert left == {t: [running] for t in (*STAGING, "staging_load")}
