"""Reads of a lender's own database for the ``sql`` feed source (``feeds/sql_source.py``).

Only ``store/`` runs SQL: the feed source asks here which columns a source relation
has and streams its rows as text; it shapes them into feed records itself.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
from psycopg import sql as pgsql

from debt_collections.errors import FeedError
from debt_collections.store.sql import sql

SourceConn = psycopg.Connection[tuple[str | None, ...]]


def describe(conninfo: str) -> str:
    """Where a source database is, without its credentials."""
    info = psycopg.conninfo.conninfo_to_dict(conninfo)
    return f"postgresql://{info.get('host', '')}/{info.get('dbname', '')}"


def connect(conninfo: str, *, timeout: int = 10) -> SourceConn:
    """A connection to the source database; FeedError names the database when there is none."""
    try:
        return psycopg.connect(conninfo, connect_timeout=timeout)
    except psycopg.OperationalError as exc:
        raise FeedError(f"missing drop: cannot connect to {describe(conninfo)}: {exc}") from exc


def columns(conn: SourceConn, schema: str, relation: str) -> list[str] | None:
    """The columns of ``<schema>.<relation>`` in order; None when there is no such table or view."""
    name = pgsql.Identifier(schema, relation).as_string(conn)
    rows = conn.execute(sql("feeds/source_columns.sql"), {"relation": name}).fetchall()
    return [str(r[0]) for r in rows] or None


def stream(conn: SourceConn, schema: str, relation: str, present: list[str]) -> Iterator[tuple[str | None, ...]]:
    """Every row of ``<schema>.<relation>``, the ``present`` columns as text, through COPY; closes ``conn``."""
    statement = pgsql.SQL(sql("feeds/read_entity.sql")).format(
        columns=pgsql.SQL(", ").join(pgsql.SQL("{}::text").format(pgsql.Identifier(c)) for c in present),
        relation=pgsql.Identifier(schema, relation),
    )
    with conn, conn.cursor() as cur, cur.copy(statement) as copy:
        yield from copy.rows()
