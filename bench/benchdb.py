"""The benchmarks' databases: each dropped with the app role its migrations made for it (migration 0016 names
it ``collections_app_<database>``; a role belongs to the server, so dropping the database leaves it behind)."""

from __future__ import annotations

import psycopg


def drop_database(admin: str, *names: str) -> None:
    """Drop the databases ``names`` (connections to them closed), then their app roles, through the maintenance
    ``admin``. The roles go last: a database copied from another (``create database ... template``) holds
    objects of the first one's role, which cannot be dropped while any database holds them."""
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in names:
            conn.execute(f'drop database if exists "{name}" with (force)')
        for name in names:
            conn.execute(f'drop role if exists "collections_app_{name}"')
