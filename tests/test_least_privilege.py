"""The DAGs' database role reads and writes its own database's collections schema, and cannot rewrite history."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from debt_collections.store.migrate import migrate
from tests.pg import copied_database, migrated_databases
from tests.scenario import Scenario


def _login_role(admin: str, db: str) -> Iterator[str]:
    """A login role in the app role of ``db`` (``collections.app_role()``), connected to it; dropped after."""
    with psycopg.connect(db) as conn:
        app = conn.execute("select collections.app_role()").fetchone()[0]
    name = f"collections_dag_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create role {name} login in role "{app}"')
    yield psycopg.conninfo.make_conninfo(db, user=name)
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(f"drop owned by {name}")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"drop role {name}")


@pytest.fixture
def app_conninfo(pg_admin, db):
    """A login role of the test database's app role, connected to it."""
    yield from _login_role(pg_admin, db)


@pytest.fixture
def two_databases(pg_admin) -> Iterator[list[str]]:
    """Two databases migrated from empty, each with its own app role."""
    yield from migrated_databases(pg_admin, 2, "coll_t")


def test_a_whole_day_runs_as_the_app_role(app_conninfo, tmp_path):
    s = Scenario(app_conninfo, tmp_path)
    s.account("A1", first_due="2026-11-01")
    s.run("2026-11-28")
    assert s.case("A1", "2026-11-28")["dpd"] == 27
    s.run("2026-11-28")  # a rerun supersedes the day through the functions the app role may call
    assert s.query("select count(*) as n from collections.superseded where entity = 'case_state'")[0]["n"] == 1


def _dbname(conninfo: str) -> str:
    return psycopg.conninfo.conninfo_to_dict(conninfo)["dbname"]


def test_a_login_role_of_one_database_cannot_reach_another(two_databases, pg_admin):
    a, b = two_databases
    for login_a in _login_role(pg_admin, a):
        with psycopg.connect(login_a) as conn:
            assert conn.execute("select count(*) from collections.case_state").fetchone() == (0,)
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            psycopg.connect(psycopg.conninfo.make_conninfo(login_a, dbname=_dbname(b)))
    # the server-wide role of the first migrations keeps nothing in either database
    name = f"collections_old_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f"create role {name} login in role collections_app")
    try:
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            psycopg.connect(psycopg.conninfo.make_conninfo(a, user=name))
    finally:
        with psycopg.connect(pg_admin, autocommit=True) as conn:
            conn.execute(f"drop role {name}")


@pytest.fixture(scope="module")
def history_built_once(pg_admin, template_db, tmp_path_factory) -> Iterator[Scenario]:
    """A day with an action handed to a partner, a quarantined row, an event and a repayment; made once a module."""
    for conninfo in copied_database(pg_admin, template_db):
        s = Scenario(conninfo, tmp_path_factory.mktemp("history"))
        s.account("A1", first_due="2026-10-01", months=3)
        s.account("A2", first_due="2026-10-01", months=3)
        s.event("e1", "A2", "2026-11-20T10:00:00+08:00", "dispute")
        s.pay("p1", "A1", "2026-11-20T10:00:00+08:00", "10.00")
        s.run("2026-11-28")
        s.query(
            "insert into collections.quarantine (feed_date, entity, source, position, raw, reason) "
            "values ('2026-11-28', 'repayments', 'repayments.csv', 9, 'pGhost,GHOST', 'unknown account') returning 1"
        )
        sent = s.query(
            "update collections.action_log set status = 'sent', sent_at = now() where account_id = 'A1' returning 1"
        )
        assert sent
        yield s


@pytest.fixture
def history(history_built_once, pg_admin, db, tmp_path) -> Scenario:
    """That day in the test's own database (``db``, a copy of the one it was made in)."""
    return history_built_once.own_copy(pg_admin, db, tmp_path)


@pytest.mark.parametrize(
    "statement",
    [
        "update collections.action_log set status = 'planned' where status = 'sent'",
        "update collections.action_log set template = 'other' where status = 'sent'",
        "delete from collections.action_log where status = 'sent'",
        "delete from collections.action_log",
        "delete from collections.quarantine",
        "update collections.event set kind = 'dispute_resolved'",
        "delete from collections.event",
        "update collections.repayment set amount = 0",
        "delete from collections.repayment",
        "update collections.case_state set status = 'cured'",
        "delete from collections.case_state",
        "delete from collections.superseded",
        "delete from collections.feed_load",
        "truncate collections.action_log",
    ],
)
def test_the_app_role_cannot_rewrite_history(history, pg_admin, db, statement):
    assert history.query("select count(*) as n from collections.quarantine")[0]["n"] == 1
    for login in _login_role(pg_admin, db):
        with psycopg.connect(login) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)


def test_a_sent_action_still_moves_forward_and_no_role_may_turn_it_back(history):
    key = history.query("select idempotency_key from collections.action_log where status = 'sent'")[0]
    history.query(
        "update collections.action_log set status = 'delivered', receipt_at = now() "
        "where idempotency_key = %(idempotency_key)s returning 1",
        key,
    )
    # the trigger holds for the schema's owner too: delivered is final
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="handed to a partner"):
        history.query(
            "update collections.action_log set status = 'failed' where idempotency_key = %(idempotency_key)s "
            "returning 1",
            key,
        )


@pytest.mark.parametrize(
    "statement",
    [
        "create table public.stolen (x int)",
        "create table collections.extra (x int)",
        "insert into collections.schema_migration (version, name, checksum) values (999, 'x', 'x')",
        "drop view collections.case_day",
        "create role intruder",
    ],
)
def test_writes_outside_its_grant_are_refused(app_conninfo, statement):
    with psycopg.connect(app_conninfo) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)


def test_the_airflow_metadata_database_is_out_of_reach(app_conninfo, airflow_home):
    import os
    import urllib.parse

    meta_db = urllib.parse.urlsplit(os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]).path.lstrip("/")
    meta = psycopg.conninfo.make_conninfo(app_conninfo, dbname=meta_db)
    with psycopg.connect(meta) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("select * from dag")


def test_the_migration_check_at_the_start_of_a_run_works_as_the_app_role(app_conninfo):
    assert migrate(app_conninfo) == []  # up to date: nothing to apply, nothing it may not do
