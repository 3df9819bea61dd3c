"""The demo's reads and set-up: its databases, the days it evaluated, and Airflow's runs of it."""

from __future__ import annotations

from datetime import date, datetime

import psycopg
from psycopg import sql as pgsql

from debt_collections.store.db import Row, connect, fetch_all, fetch_one
from debt_collections.store.sql import sql


def ensure_database(admin_conninfo: str, name: str) -> None:
    """Create database ``name`` on the server unless it exists."""
    with connect(admin_conninfo, autocommit=True) as conn:
        if not fetch_one(conn, "demo/database_exists.sql", {"name": name}):
            conn.execute(pgsql.SQL(sql("demo/create_database.sql")).format(name=pgsql.Identifier(name)))


def ensure_login_role(owner_conninfo: str, name: str, password: str) -> None:
    """A login role ``name`` in the database's app role, with ``password`` (created, or its password set)."""
    with connect(owner_conninfo, autocommit=True) as conn:
        app = fetch_one(conn, "demo/app_role.sql")
        if app is None:
            raise RuntimeError("the collections database is not migrated: collections.app_role() is missing")
        found = fetch_one(conn, "demo/role_exists.sql", {"name": name})
        ident = {"role": pgsql.Identifier(name), "password": pgsql.Literal(password)}
        statement = "demo/set_login_password.sql" if found else "demo/create_login_role.sql"
        conn.execute(pgsql.SQL(sql(statement)).format(**ident))
        grant = pgsql.SQL(sql("demo/grant_app_role.sql"))
        conn.execute(grant.format(app=pgsql.Identifier(app["name"]), role=pgsql.Identifier(name)))


def evaluated_days(conninfo: str) -> set[date]:
    """The days the book has figures for."""
    with connect(conninfo) as conn:
        return {r["as_of"] for r in fetch_all(conn, "demo/evaluated_days.sql")}


def dags_parsed(airflow_conninfo: str, dag_ids: list[str]) -> bool:
    """Whether Airflow's metadata database lists every one of ``dag_ids`` (False while it is not up)."""
    try:
        with connect(airflow_conninfo) as conn:
            row = fetch_one(conn, "demo/dags_parsed.sql", {"dag_ids": dag_ids})
            return bool(row and row["n"] == len(dag_ids))
    except psycopg.Error:
        return False


def run_state(airflow_conninfo: str, dag_id: str, run_id: str) -> str | None:
    """The state of one DAG run in Airflow's metadata database."""
    with connect(airflow_conninfo) as conn:
        row = fetch_one(conn, "demo/run_state.sql", {"dag_id": dag_id, "run_id": run_id})
    return row["state"] if row else None


def scheduled_run(airflow_conninfo: str, dag_id: str, logical_date: datetime) -> Row | None:
    """The scheduler's run of ``dag_id`` for the cron tick ``logical_date`` (run_id and state), if there is one."""
    with connect(airflow_conninfo) as conn:
        return fetch_one(conn, "demo/scheduled_run.sql", {"dag_id": dag_id, "logical_date": logical_date})


def day_figures(conninfo: str, as_of: date) -> list[Row]:
    """Each portfolio's report of ``as_of``."""
    with connect(conninfo) as conn:
        return fetch_all(conn, "demo/day_figures.sql", {"as_of": as_of})
