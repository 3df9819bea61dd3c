"""The DAGs' database role reads and writes the collections schema and nothing else."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from tests.scenario import Scenario


@pytest.fixture
def app_conninfo(pg_admin, db):
    """A login role in collections_app, connected to the test database."""
    name = f"collections_dag_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f"create role {name} login in role collections_app")
    yield psycopg.conninfo.make_conninfo(db, user=name)
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(f"drop owned by {name}")
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f"drop role {name}")


def test_a_whole_day_runs_as_the_app_role(app_conninfo, tmp_path):
    s = Scenario(app_conninfo, tmp_path)
    s.account("A1", first_due="2026-11-01")
    s.run("2026-11-28")
    assert s.case("A1", "2026-11-28")["dpd"] == 27


@pytest.mark.parametrize(
    "statement",
    [
        "create table public.stolen (x int)",
        "create table collections.extra (x int)",
        "insert into collections.schema_migration (version, name, checksum) values (999, 'x', 'x')",
        "drop view collections.case_day",
        "create role intruder",
    ],
)
def test_writes_outside_its_grant_are_refused(app_conninfo, statement):
    with psycopg.connect(app_conninfo) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)


def test_the_airflow_metadata_database_is_out_of_reach(app_conninfo, airflow_home):
    import os
    import urllib.parse

    meta_db = urllib.parse.urlsplit(os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]).path.lstrip("/")
    meta = psycopg.conninfo.make_conninfo(app_conninfo, dbname=meta_db)
    with psycopg.connect(meta) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("select * from dag")


def test_the_migration_check_at_the_start_of_a_run_works_as_the_app_role(app_conninfo):
    from debt_collections.store.migrate import migrate

    assert migrate(app_conninfo) == []  # up to date: nothing to apply, nothing it may not do
