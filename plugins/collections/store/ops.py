"""Reads for the command line's tools."""

from __future__ import annotations

from debt_collections.store.db import Row, connect, fetch_one


def explain_case(conninfo: str, account_id: str, as_of: str, tz: str) -> Row | None:
    """Everything ``collections explain --account`` says about an account's case on a day, or None."""
    with connect(conninfo) as conn:
        return fetch_one(conn, "ops/explain_case.sql", {"account_id": account_id, "as_of": as_of, "tz": tz})
