"""The UI's reads: every statement is a file under ``include/sql/ui/``, run with bound parameters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from debt_collections.store.db import connect, fetch_all, fetch_one

SEARCH_LIMIT = 100
RECENT_DAYS = 14


@contextmanager
def reading(conninfo: str) -> Iterator[psycopg.Connection]:
    """A read-only connection for one page."""
    with connect(conninfo) as conn:
        conn.read_only = True
        yield conn


def latest_as_of(conn: psycopg.Connection) -> dt.date | None:
    """The latest day that has figures, or None before the first report."""
    row = fetch_one(conn, "ui/latest_as_of.sql")
    return row["as_of"] if row else None


def recent_days(conn: psycopg.Connection) -> list[dt.date]:
    """The most recent days with figures, newest first."""
    return [r["as_of"] for r in fetch_all(conn, "ui/recent_days.sql", {"limit": RECENT_DAYS})]


def portfolio_days(conn: psycopg.Connection, as_of: dt.date) -> list[dict]:
    """The day's report row of every portfolio."""
    return fetch_all(conn, "ui/portfolio_days.sql", {"as_of": as_of})


def search_accounts(conn: psycopg.Connection, q: str) -> list[dict]:
    """Accounts whose account id, customer id or customer phone equals ``q``."""
    return fetch_all(conn, "ui/search_accounts.sql", {"q": q, "limit": SEARCH_LIMIT})


def account(conn: psycopg.Connection, account_id: str) -> dict | None:
    """One account with its customer, or None."""
    return fetch_one(conn, "ui/account.sql", {"account_id": account_id})


def account_history(conn: psycopg.Connection, account_id: str) -> dict[str, list[dict]]:
    """The account's case days, actions, and events with repayments, newest first."""
    params = {"account_id": account_id}
    return {
        "cases": fetch_all(conn, "ui/account_cases.sql", params),
        "actions": fetch_all(conn, "ui/account_actions.sql", params),
        "events": fetch_all(conn, "ui/account_events.sql", params),
    }
