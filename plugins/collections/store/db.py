"""Connections to the collections database, and the per-(portfolio, day) lock."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import pendulum
import psycopg
from psycopg.rows import dict_row

from debt_collections.store.sql import statement

Row = dict[str, Any]
Conn = psycopg.Connection[Row]


def connect(conninfo: str, *, autocommit: bool = False) -> Conn:
    """A new psycopg connection whose rows are dicts, with the product's session settings
    (``ops/session_defaults.sql``, committed so that the caller starts with no transaction open)."""
    conn = psycopg.Connection[Row].connect(conninfo, autocommit=autocommit, row_factory=dict_row)
    try:
        conn.execute(statement("ops/session_defaults.sql"))
        if not autocommit:
            conn.commit()
    except BaseException:
        conn.close()
        raise
    return conn


@contextlib.contextmanager
def transaction(conninfo: str) -> Iterator[Conn]:
    """A connection inside one transaction: committed on success, rolled back on error."""
    with connect(conninfo) as conn, conn.transaction():
        yield conn


def run(conn: Conn, name: str, params: Mapping[str, Any] | None = None) -> int:
    """Execute ``include/sql/<name>`` with bound parameters; the number of rows it touched."""
    cur = conn.execute(statement(name), params or {})
    return cur.rowcount


def fetch_all(conn: Conn, name: str, params: Mapping[str, Any] | None = None) -> list[Row]:
    """Rows returned by ``include/sql/<name>``."""
    return conn.execute(statement(name), params or {}).fetchall()


def fetch_one(conn: Conn, name: str, params: Mapping[str, Any] | None = None) -> Row | None:
    """The first row returned by ``include/sql/<name>``, or None."""
    return conn.execute(statement(name), params or {}).fetchone()


def fetch_row(conn: Conn, name: str, params: Mapping[str, Any] | None = None) -> Row:
    """The row that ``include/sql/<name>`` always returns (an aggregate, a ``returning``)."""
    row = fetch_one(conn, name, params)
    if row is None:
        raise LookupError(f"include/sql/{name} returned no row, though it always returns one")
    return row


def lock_portfolio_day(conn: Conn, portfolios: list[str], as_of: pendulum.Date) -> None:
    """Hold the advisory locks of ``(portfolio, as_of)`` until the transaction ends.

    Locks are taken in sorted order so that two runs covering overlapping
    portfolios cannot deadlock; a second run of the same day waits here.
    """
    for portfolio in sorted(set(portfolios)):
        run(conn, "ops/lock_portfolio_day.sql", {"portfolio": portfolio, "as_of": as_of})


def lock_portfolio_data(conn: Conn, portfolios: list[str]) -> None:
    """Hold the data locks of ``portfolios`` (any day) until the transaction ends.

    A load takes them before it writes a portfolio's accounts, and an evaluation
    before it reads them, so the load number an evaluation records covers every
    row it saw. Taken before any (portfolio, day) lock, in sorted order.
    """
    for portfolio in sorted(set(portfolios)):
        run(conn, "ops/lock_portfolio_data.sql", {"portfolio": portfolio})
