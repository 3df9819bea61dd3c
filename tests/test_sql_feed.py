"""The ``sql`` feed source: entity tables or views in a Postgres source database."""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest

from debt_collections.errors import FeedError
from debt_collections.feeds.csv_source import CsvSource
from debt_collections.feeds.sql_source import SqlSource
from debt_collections.store.db import connect
from debt_collections.store.loading import load_drop
from debt_collections.store.migrate import migrate
from tests.scenario import d, loaded_counts

DAY = "2026-11-28"


def test_sql_source_loads_what_the_csv_drop_holds(db, fresh_db, source_db):
    dsn, root = source_db
    load_drop(db, SqlSource(dsn), d(DAY), portfolios=None, max_reject_ratio=Decimal("0.01"))
    migrate(fresh_db)
    load_drop(fresh_db, CsvSource(root, d(DAY)), d(DAY), portfolios=None, max_reject_ratio=Decimal("0.01"))
    assert loaded_counts(db) == loaded_counts(fresh_db)
    assert loaded_counts(db)["a"] == 150


def test_sql_source_quarantines_bad_rows_and_names_missing_tables(db, source_db):
    dsn, _ = source_db
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "insert into repayments (payment_id, account_id, paid_at, amount) "
            "values ('bad1', 'AC00000001', '2026-11-20T10:00:00+08:00', 'NaN')"
        )
    load_drop(db, SqlSource(dsn), d(DAY), portfolios=None, max_reject_ratio=Decimal("0.05"))
    with connect(db) as conn:
        q = conn.execute("select entity, source, reason from collections.quarantine").fetchall()
    assert len(q) == 1 and q[0]["reason"].startswith("amount is not a finite decimal")
    assert q[0]["source"].endswith("public.repayments")
    with psycopg.connect(dsn) as conn:
        conn.execute("drop table installments")
    with pytest.raises(FeedError, match=r"missing drop: postgresql://.* public\.installments not found"):
        SqlSource(dsn).check_drop()
