"""The benchmarks' databases: each dropped with the app role its migrations made for it (migration 0016 names
it ``collections_app_<database>``; a role belongs to the server, so dropping the database leaves it behind)."""

from __future__ import annotations

import psycopg


def drop_database(admin: str, name: str) -> None:
    """Drop the database ``name`` (connections to it closed) and its app role, through the maintenance ``admin``."""
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'drop role if exists "collections_app_{name}"')
