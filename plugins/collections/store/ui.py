"""The workbench's reads of the collections database: every statement is a file under ``include/sql/ui/``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from debt_collections.store.db import Conn, Row, connect, fetch_all, fetch_one, fetch_row, run, transaction

SEARCH_LIMIT = 50
RECENT_DAYS = 14
TREND_DAYS = 30


@contextmanager
def reading(conninfo: str) -> Iterator[Conn]:
    """A read-only connection for one page."""
    with connect(conninfo) as conn:
        conn.read_only = True
        yield conn


def latest_as_of(conn: Conn) -> dt.date | None:
    """The latest day that has figures, or None before the first report."""
    row = fetch_one(conn, "ui/latest_as_of.sql")
    return row["as_of"] if row else None


def recent_days(conn: Conn) -> list[dt.date]:
    """The most recent days with figures, newest first."""
    return [r["as_of"] for r in fetch_all(conn, "ui/recent_days.sql", {"limit": RECENT_DAYS})]


def portfolio_days(conn: Conn, as_of: dt.date) -> list[dict[str, Any]]:
    """The day's report row of every portfolio."""
    return fetch_all(conn, "ui/portfolio_days.sql", {"as_of": as_of})


def unscoped_quarantine(conn: Conn, as_of: dt.date) -> dict[str, int]:
    """The day's quarantined rows that belong to no portfolio, by reason."""
    return {r["reason"]: r["n"] for r in fetch_all(conn, "ui/unscoped_quarantine.sql", {"as_of": as_of})}


def search_accounts(conn: Conn, terms: dict[str, str | None], page: int = 1) -> list[dict[str, Any]]:
    """Accounts matching the search ``terms`` (``pages.search_terms``), ``SEARCH_LIMIT`` a page; each row
    carries ``total``, every match's count."""
    bind = {**terms, "limit": SEARCH_LIMIT, "offset": (page - 1) * SEARCH_LIMIT}
    return fetch_all(conn, "ui/search_accounts.sql", bind)


def account(conn: Conn, account_id: str) -> dict[str, Any] | None:
    """One account with its customer, or None."""
    return fetch_one(conn, "ui/account.sql", {"account_id": account_id})


def case_explained(conn: Conn, account_id: str, as_of: dt.date, tz: str) -> dict[str, Any] | None:
    """The account's case on ``as_of`` as ``collections explain --account`` reads it (the same statement)."""
    return fetch_one(conn, "ops/explain_case.sql", {"account_id": account_id, "as_of": as_of, "tz": tz})


def account_history(conn: Conn, account_id: str) -> dict[str, list[dict[str, Any]]]:
    """The account's case days, actions, events with repayments, and superseded evaluations, newest first."""
    params = {"account_id": account_id}
    return {
        "superseded": fetch_all(conn, "ui/account_superseded.sql", params),
        "cases": fetch_all(conn, "ui/account_cases.sql", params),
        "actions": fetch_all(conn, "ui/account_actions.sql", params),
        "events": fetch_all(conn, "ui/account_events.sql", params),
    }


def portfolios(conn: Conn) -> list[str]:
    """Every portfolio with figures (the Trends page's filter)."""
    return [r["portfolio"] for r in fetch_all(conn, "ui/portfolios.sql")]


def trends(conn: Conn, portfolio: str | None, days: int = TREND_DAYS) -> dict[str, Any]:
    """The last ``days`` evaluated days: cases by bucket and transitions from the day before, actions, recoveries
    (in ``currency``, the accounts' currency)."""
    pairs = [
        (r["as_of"], r["prev_as_of"])
        for r in fetch_all(conn, "ui/trend_days.sql", {"portfolio": portfolio, "days": days})
        if r["prev_as_of"] is not None
    ]
    bind = {"days": [a for a, _ in pairs], "prev_days": [p for _, p in pairs], "portfolio": portfolio}
    return {
        "days": [a for a, _ in pairs],
        "cases": fetch_all(conn, "ui/trend_cases.sql", bind) if pairs else [],
        "actions": fetch_all(conn, "ui/trend_actions.sql", bind) if pairs else [],
        "recovered": fetch_all(conn, "ui/trend_recovered.sql", bind) if pairs else [],
        "monthly_rolls": fetch_all(conn, "ui/trend_monthly_rolls.sql", bind) if pairs else [],
        "reasons": fetch_all(conn, "ui/trend_reasons.sql", bind) if pairs else [],
        "currency": fetch_row(conn, "ui/trend_currency.sql", {"portfolio": portfolio})["currency"] or "",
    }


def _last_days(conn: Conn, portfolio: str | None, days: int) -> dict[str, Any]:
    """The first and last of the last ``days`` evaluated days (None, None: nothing evaluated yet)."""
    evaluated = [r["as_of"] for r in fetch_all(conn, "ui/trend_days.sql", {"portfolio": portfolio, "days": days})]
    first, last = (min(evaluated), max(evaluated)) if evaluated else (None, None)
    return {"from_day": first, "to_day": last, "portfolio": portfolio}


def variants(conn: Conn, portfolio: str | None, days: int = TREND_DAYS) -> dict[str, Any]:
    """Each variant's cases, cures, contacts, recoveries and cost over the last ``days`` evaluated days."""
    bind = _last_days(conn, portfolio, days)
    return {**bind, "rows": fetch_all(conn, "ui/variants.sql", bind) if bind["to_day"] else []}


def recoveries(conn: Conn, portfolio: str | None, days: int = TREND_DAYS) -> dict[str, Any]:
    """The money recovered over the last ``days`` evaluated days by stage, action, bucket and variant, and the
    promises to pay decided (kept or broken) with their amounts."""
    bind = _last_days(conn, portfolio, days)
    if not bind["to_day"]:
        return {**bind, "rows": [], "promises": None}
    return {
        **bind,
        "rows": fetch_all(conn, "ui/recoveries.sql", bind),
        "promises": fetch_one(conn, "ui/promises.sql", bind),
    }


def outcome_context(conn: Conn, account_id: str) -> dict[str, Any] | None:
    """An account's portfolio, its policy's DAG and timezone and its case's latest status, or None."""
    return fetch_one(conn, "ui/outcome_context.sql", {"account_id": account_id})


def record_event(conninfo: str, row: dict[str, Any]) -> None:
    """Store one outcome recorded on the account page as an event of the account."""
    with transaction(conninfo) as conn:
        run(conn, "ui/record_event.sql", row)


LIST_LIMIT = 50
CSV_LIMIT = 100_000  # a CSV export holds at most this many rows


def worklist(conn: Conn, what: str, filters: dict[str, Any], page: int = 1, *, csv: bool = False) -> list[Row]:
    """The cases (``what`` = "cases") or actions behind a figure of a day: ``filters`` as the list's SQL names
    them (None: any), a page of ``LIST_LIMIT`` rows, or up to ``CSV_LIMIT`` for an export; each row carries
    ``total``."""
    limit = CSV_LIMIT if csv else LIST_LIMIT
    bind = {**filters, "limit": limit, "offset": 0 if csv else (page - 1) * limit}
    return fetch_all(conn, "ui/list_cases.sql" if what == "cases" else "ui/list_actions.sql", bind)


def capacity(conn: Conn, as_of: dt.date, roster: list[tuple[str, str, str, int]]) -> list[dict[str, Any]]:
    """Each kind and region of ``roster`` (kind, region, assignee, daily capacity entries) with its capacity and
    the day's orders: due, assigned and deferred for capacity."""
    kinds, regions, assignees, daily = (list(c) for c in zip(*roster, strict=True)) if roster else ([], [], [], [])
    bind = {"as_of": as_of, "kinds": kinds, "regions": regions, "assignees": assignees, "daily": daily}
    return fetch_all(conn, "ui/capacity.sql", bind)


def portfolio_policies(conn: Conn) -> dict[str, dict[str, Any]]:
    """Each reported portfolio's DAG and policy timezone."""
    return {r["portfolio"]: r for r in fetch_all(conn, "ui/portfolio_policies.sql")}


def range_actions(conn: Conn, portfolios: list[str], first: dt.date, last: dt.date) -> list[dict[str, Any]]:
    """Per day of a range, the actions already handed to a partner and those a rerun would plan again."""
    bind = {"portfolios": portfolios, "from_day": first, "to_day": last}
    return fetch_all(conn, "ui/range_actions.sql", bind)


def simulations(conn: Conn, limit: int = 20) -> list[dict[str, Any]]:
    """The latest simulations kept by the ``collections_simulate`` DAG, newest first."""
    return fetch_all(conn, "ui/simulations.sql", {"limit": limit})


def simulation(conn: Conn, simulation_id: int) -> dict[str, Any] | None:
    """One kept simulation, whole, or None."""
    return fetch_one(conn, "ui/simulation.sql", {"id": simulation_id})


def run_day(conn: Conn, dag_id: str, run_id: str) -> dt.date | None:
    """The business day a run reported, or None."""
    row = fetch_one(conn, "ui/run_day.sql", {"dag_id": dag_id, "run_id": run_id})
    return row["as_of"] if row else None


def headline(conn: Conn) -> list[dict[str, Any]]:
    """Each portfolio's latest reported day with its headline counts (open and legal cases, the day's actions
    by status, quarantined rows: as the lists count them now) and the money the report recorded as recovered."""
    return fetch_all(conn, "ui/headline.sql")


def run_report(conn: Conn, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    """The report rows (``portfolio_days``) that one DAG run wrote and that no later run replaced."""
    day = run_day(conn, dag_id, run_id)
    rows = portfolio_days(conn, day) if day else []
    return [r for r in rows if (r["dag_id"], r["run_id"]) == (dag_id, run_id)]
