"""Approvals in the collections database (SPEC 11): what waits for a decision, and the decisions.

Every statement is a file under ``include/sql/approvals/``. A decision applies only to
actions still waiting (the first decision stands) and is added to the audit trail,
``collections.approval_decision``, in the same statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from debt_collections.domain.approvals import Awaiting
from debt_collections.stages import registry
from debt_collections.store.db import Row, connect, fetch_all, transaction


def portfolios_waiting(conninfo: str, kinds: Sequence[str]) -> list[str]:
    """The portfolios with actions of ``kinds`` waiting for a decision."""
    with connect(conninfo) as conn:
        return [r["portfolio"] for r in fetch_all(conn, "approvals/portfolios.sql", {"kinds": list(kinds)})]


def awaiting(conninfo: str, portfolio: str, kinds: Sequence[str]) -> list[Awaiting]:
    """The actions of one portfolio waiting for a decision, oldest first: of cases still open, and not
    stopped today by a promise, a payment plan or cease_contact (for the kinds those stop)."""
    stage_kinds = registry()
    bind = {
        "portfolio": portfolio,
        "kinds": list(kinds),
        "promise_kinds": [k for k in kinds if k in stage_kinds and stage_kinds[k].stopped_by_promise],
        "cease_kinds": [k for k in kinds if k in stage_kinds and stage_kinds[k].stopped_by_cease_contact],
    }
    with connect(conninfo) as conn:
        rows = fetch_all(conn, "approvals/awaiting.sql", bind)
    return [Awaiting.from_row(r) for r in rows]


def decide(
    conninfo: str,
    portfolio: str,
    keys: Sequence[str],
    decision: str,
    *,
    decided_by: str,
    decided_at: datetime,
    via: str,
    reason: str | None = None,
    request: str | None = None,
) -> list[Row]:
    """Approve or reject the actions of ``keys`` that still wait; those decided now."""
    if not keys:
        return []
    bind = {
        "portfolio": portfolio,
        "keys": list(keys),
        "decision": decision,
        "reason": reason,
        "decided_by": decided_by,
        "decided_at": decided_at,
        "via": via,
        "request": request,
    }
    with transaction(conninfo) as conn:
        return fetch_all(conn, "approvals/decide.sql", bind)


def approved_to_send(conninfo: str, portfolio: str, kinds: Sequence[str]) -> list[Row]:
    """The (as_of, kind) of one portfolio with approved actions still to go out."""
    with connect(conninfo) as conn:
        return fetch_all(conn, "approvals/approved_to_send.sql", {"portfolio": portfolio, "kinds": list(kinds)})


def decisions(conninfo: str, portfolio: str | None = None, limit: int = 200) -> list[Row]:
    """The audit trail of decisions (of one portfolio, or all), newest first."""
    with connect(conninfo) as conn:
        return fetch_all(conn, "approvals/decisions.sql", {"portfolio": portfolio, "limit": limit})
