"""Test databases on the test PostgreSQL server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg

from debt_collections.store.migrate import migrate


def drop_database(admin: str, name: str) -> None:
    """Drop a test database and the app role its migrations made for it (roles belong to the server)."""
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'drop role if exists "collections_app_{name}"')


def copied_database(admin: str, template: str, prefix: str = "coll_t") -> Iterator[str]:
    """A new database copied from ``template`` (its conninfo), dropped after (a fixture's body)."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}" template "{template}"')
    try:
        yield psycopg.conninfo.make_conninfo(admin, dbname=name)
    finally:
        drop_database(admin, name)


def recreate_from(admin: str, conninfo: str, template: str) -> None:
    """Make the database ``conninfo`` names a copy of ``template``: dropped, then created again under its name.

    A fixture that builds the same data for every test of a module builds it once, in ``template``, and hands each
    test a copy (``create database ... template``, a fraction of a second) in the database its ``db`` fixture made:
    the test owns what it changes, as if it had built the data itself. Nothing may be connected to either."""
    name = psycopg.conninfo.conninfo_to_dict(conninfo)["dbname"]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}" template "{template}"')


def migrated_databases(admin: str, count: int, prefix: str) -> Iterator[list[str]]:
    """``count`` databases migrated from empty, each with its own app role; dropped after (a fixture's body)."""
    names = [f"{prefix}_{uuid.uuid4().hex[:8]}" for _ in range(count)]
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in names:
            conn.execute(f'create database "{name}"')
    dsns = [psycopg.conninfo.make_conninfo(admin, dbname=n) for n in names]
    try:
        for dsn in dsns:
            migrate(dsn)
        yield dsns
    finally:
        for name in names:
            drop_database(admin, name)
