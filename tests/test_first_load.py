"""The first load of a book goes into its empty tables without secondary indexes and foreign keys, which are
built and checked after the rows, in sets, in the same transaction (migration 0028); a daily load keeps them;
no transaction can leave the book without them."""

from __future__ import annotations

import logging

import psycopg
import pytest

from debt_collections.store.db import connect
from tests.scenario import Scenario

BOOK = ("customer", "account", "installment", "repayment", "event")
SCHEMA_OF_THE_BOOK = """
select 'index' as kind, c.relname::text as name, pg_get_indexdef(i.indexrelid) as definition
from pg_index i join pg_class c on c.oid = i.indexrelid where i.indrelid = any(%(tables)s::regclass[])
union all
select 'constraint', c.conname::text, pg_get_constraintdef(c.oid)
from pg_constraint c where c.conrelid = any(%(tables)s::regclass[])
order by 1, 2
"""


def _schema(db: str) -> list[tuple[str, str, str]]:
    with connect(db) as conn:
        rows = conn.execute(SCHEMA_OF_THE_BOOK, {"tables": [f"collections.{t}" for t in BOOK]}).fetchall()
    return [(r["kind"], r["name"], r["definition"]) for r in rows]


def _book(db: str, tmp_path) -> Scenario:
    s = Scenario(db, tmp_path)
    s.account("A1")
    s.account("A2")
    s.pay("P-1", "A1", "2026-09-05T10:00:00+08:00", "50.00")
    return s


def test_a_first_load_builds_the_indexes_and_keys_after_its_rows_and_a_daily_load_keeps_them(db, tmp_path, caplog):
    before = _schema(db)
    assert (
        "constraint",
        "installment_account_id_fkey",
        "FOREIGN KEY (account_id) REFERENCES collections.account(account_id)",
    ) in before
    assert any(kind == "index" and name == "repayment_account_idx" for kind, name, _ in before)
    s = _book(db, tmp_path)
    caplog.set_level(logging.INFO, logger="debt_collections.store.loading")
    s.run("2026-09-10")
    first = [r.getMessage() for r in caplog.records if "first load" in r.getMessage()]
    assert first and "built and checked after the rows" in first[0], first
    assert _schema(db) == before  # every index and key again, as the migrations made them
    assert s.query("select count(*) as n from collections.installment")[0]["n"] > 0

    caplog.clear()
    s.run("2026-09-11")
    assert not [r for r in caplog.records if "first load" in r.getMessage()]
    assert _schema(db) == before


def test_a_bulk_load_that_does_not_end_cannot_commit(db):
    before = _schema(db)
    with psycopg.connect(db) as conn:
        aside = conn.execute("select collections.begin_bulk_load()").fetchone()[0]
        assert "installment_account_id_fkey" in aside and "repayment_account_idx" in aside
        with pytest.raises(psycopg.errors.RaiseException, match="did not end"):
            conn.commit()
    assert _schema(db) == before


def test_the_foreign_keys_are_checked_over_the_whole_bulk_load(db):
    before = _schema(db)
    with psycopg.connect(db) as conn:
        conn.execute("select collections.begin_bulk_load()")
        # a row without its account, which no per-row check stops now
        conn.execute(
            "insert into collections.installment (account_id, seq, due_date, amount_due, feed_date, load_seq) "
            "values ('NO-SUCH-ACCOUNT', 1, '2026-09-01', 10.00, '2026-09-01', 1)"
        )
        with pytest.raises(psycopg.errors.ForeignKeyViolation, match="installment_account_id_fkey"):
            conn.execute("select collections.end_bulk_load()")
        conn.rollback()
    assert _schema(db) == before
    with connect(db) as conn:
        assert conn.execute("select count(*) as n from collections.installment").fetchone()["n"] == 0


def test_a_book_that_holds_rows_is_loaded_with_its_indexes_and_keys(db, tmp_path):
    _book(db, tmp_path).run("2026-09-10")
    with psycopg.connect(db) as conn:
        assert conn.execute("select collections.begin_bulk_load()").fetchone()[0] == []
        assert conn.execute("select collections.end_bulk_load()").fetchone()[0] == 0
        conn.commit()
