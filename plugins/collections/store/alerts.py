"""The alert log: which covered portfolios reported a day, and the claim that makes an alert go out once."""

from __future__ import annotations

from datetime import date
from typing import Any

from debt_collections.store.db import connect, fetch_all, run, transaction


def portfolios_reported(conninfo: str, dag_id: str, as_of: date) -> tuple[list[str], set[str]]:
    """Every portfolio of the book, and those with figures of ``dag_id`` for ``as_of``."""
    with connect(conninfo) as conn:
        known = [r["portfolio"] for r in fetch_all(conn, "ops/known_portfolios.sql")]
        reported = {r["portfolio"] for r in fetch_all(conn, "alerts/reported.sql", {"as_of": as_of, "dag_id": dag_id})}
    return known, reported


def claim(conninfo: str, bind: dict[str, Any]) -> bool:
    """Claim the right to send one alert (dag_id, as_of, kind); False when it went out before."""
    with transaction(conninfo) as conn:
        return run(conn, "alerts/claim.sql", bind) > 0


def release(conninfo: str, bind: dict[str, Any]) -> None:
    """Forget a claim whose alert could not be sent, so that the next check tries again."""
    with transaction(conninfo) as conn:
        run(conn, "alerts/release.sql", bind)
