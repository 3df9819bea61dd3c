"""The store side of a simulation (SPEC 10): its scratch schema, built from the live one and filled with
the history it starts from, and what is read back from it. The walk itself is ``debt_collections.simulate``.

The statements that name both schemas carry ``{scratch}`` (and ``{table}``, ``{name}``), filled
with ``psycopg.sql.Identifier``; the scratch schema's own functions and views are the live
ones' definitions, read from the catalog and pointed at it by ``store.sql.retarget``.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from psycopg import sql as pgsql
from psycopg.types.json import Jsonb

from debt_collections.store.db import Conn, Row, connect, fetch_all, fetch_row, run, transaction
from debt_collections.store.sql import in_schema, retarget, sql

SCRATCH_PREFIX = "collections_sim_"


def _composed(file: str, **identifiers: str) -> pgsql.Composed:
    """``include/sql/<file>`` with its ``{placeholders}`` filled by quoted identifiers."""
    return pgsql.SQL(sql(file)).format(**{k: pgsql.Identifier(v) for k, v in identifiers.items()})


def _fetch(conn: Conn, file: str, params: Mapping[str, Any] | None = None, **identifiers: str) -> list[Row]:
    return conn.execute(_composed(file, **identifiers), params or {}).fetchall()


def new_scratch_name() -> str:
    return SCRATCH_PREFIX + secrets.token_hex(8)


def create_scratch(conninfo: str, schema: str, portfolios: list[str], first_day: date) -> dict[str, Any]:
    """Make ``schema`` a copy of the live schema's shape holding the book of ``portfolios`` as stored and
    the history before ``first_day`` the first day continues from; counts of the rows copied."""
    with connect(conninfo, autocommit=True) as conn:
        fetch_row(conn, "simulate/create_schema.sql", {"schema": schema})
    with transaction(conninfo) as conn:
        run(conn, "simulate/snapshot.sql")
        for t in fetch_all(conn, "simulate/tables.sql"):
            conn.execute(_composed("simulate/create_table.sql", scratch=schema, table=t["name"]))
        for s in fetch_all(conn, "simulate/sequences.sql"):
            conn.execute(_composed("simulate/create_sequence.sql", scratch=schema, name=s["name"]))
            fetch_row(conn, "simulate/set_sequence.sql", {"schema": schema, "name": s["name"]})
        run(conn, "simulate/no_body_checks.sql")
        for d in fetch_all(conn, "simulate/definitions.sql"):
            conn.execute(retarget(d["ddl"], schema))  # the catalog's own DDL, retargeted
        bind = {"portfolios": portfolios, "from": first_day}
        book = _fetch(conn, "simulate/copy_book.sql", bind, scratch=schema)[0]
        state = _fetch(conn, "simulate/copy_state.sql", bind, scratch=schema)[0]
    return {**book, **state}


def drop_scratch(conninfo: str, schema: str) -> None:
    """Drop the scratch schema and everything in it (a no-op when it is gone)."""
    with connect(conninfo, autocommit=True) as conn:
        fetch_row(conn, "simulate/drop_schema.sql", {"schema": schema})


def stored_days(conninfo: str, portfolios: list[str], first: date, last: date) -> list[date]:
    """The days between ``first`` and ``last`` history evaluated for ``portfolios``."""
    with transaction(conninfo) as conn:
        rows = fetch_all(conn, "simulate/stored_days.sql", {"portfolios": portfolios, "from": first, "to": last})
    return [r["as_of"] for r in rows]


def day_figures(conninfo: str, bind: Mapping[str, Any]) -> list[Row]:
    """Per simulated day: cases per stage, actions per kind and status, suppressions, contacts (run in_schema)."""
    with transaction(conninfo) as conn:
        return fetch_all(conn, "simulate/day_figures.sql", bind)


def rule_violations(conninfo: str, bind: Mapping[str, Any]) -> dict[date, int]:
    """Contacts that break a contact rule, per simulated day (run in_schema)."""
    with transaction(conninfo) as conn:
        return {r["as_of"]: r["violations"] for r in fetch_all(conn, "simulate/rule_violations.sql", bind)}


def stopped_at_send(conninfo: str, bind: Mapping[str, Any]) -> dict[date, int]:
    """SMS over a customer's cap only across portfolios, per simulated day: what the send time stops (in_schema)."""
    with transaction(conninfo) as conn:
        return {r["as_of"]: r["stopped"] for r in fetch_all(conn, "simulate/stopped_at_send.sql", bind)}


def differences(conninfo: str, schema: str, bind: Mapping[str, Any]) -> list[Row]:
    """Where the replay in ``schema`` differs from the recorded case_day and action rows (capped; each
    row carries the total count)."""
    with transaction(conninfo) as conn:
        return _fetch(conn, "simulate/differences.sql", bind, scratch=schema)


def record(
    conninfo: str, run_id: str, params: Mapping[str, Any], started: datetime, finished: datetime, result: Any
) -> int:
    """Keep a simulation's params and result in ``collections.simulation``; its id."""
    bind = {
        "run_id": run_id,
        "params": Jsonb(dict(params)),
        "started_at": started,
        "finished_at": finished,
        "result": Jsonb(result),
    }
    with transaction(conninfo) as conn:
        return int(fetch_row(conn, "simulate/record.sql", bind)["id"])


def scratch_schema(schema: str) -> contextlib.AbstractContextManager[None]:
    """Within the block, every statement run through ``store.db`` reads and writes ``schema``."""
    return in_schema(schema)
