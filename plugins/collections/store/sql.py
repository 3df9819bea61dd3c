"""Loading the SQL statements kept as files under ``include/sql/``."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import re
from collections.abc import Iterator
from pathlib import Path

from psycopg import sql as pgsql

# The schema the statements run against: None is the live ``collections`` schema. A
# simulation (``debt_collections.simulate``) sets it to its scratch schema, so that the
# very statements of the daily run read and write there instead (``statement``).
_SCHEMA: contextvars.ContextVar[str | None] = contextvars.ContextVar("collections_schema", default=None)

# ``collections.<name>`` as the SQL files write it (not ``x.collections.y``, not inside a quoted name)
_QUALIFIED = re.compile(r'(?<![\w."])collections\.(?=[A-Za-z_"])')
# the schema named in a function's ``set search_path`` (pg_get_functiondef quotes it)
_SEARCH_PATH = re.compile(r"^(\s*set\s+search_path\b.*)'collections'", re.IGNORECASE | re.MULTILINE)


def sql_root() -> Path:
    """The folder holding every SQL file (``COLLECTIONS_SQL_DIR`` overrides it)."""
    override = os.environ.get("COLLECTIONS_SQL_DIR")
    if override:
        return Path(override)
    # plugins/collections/store/sql.py -> repository root
    return Path(__file__).resolve().parents[3] / "include" / "sql"


@functools.cache
def sql(name: str) -> str:
    """The text of ``include/sql/<name>`` (e.g. ``arrears/compute.sql``)."""
    path = sql_root() / name
    if not path.is_file():
        raise FileNotFoundError(f"SQL file {path} does not exist (looked under {sql_root()})")
    return path.read_text(encoding="utf-8")


def statement(name: str) -> str:
    """The text of ``include/sql/<name>`` for the schema in force: the file as it is (the live
    schema), or with ``collections.`` turned into the scratch schema of ``in_schema``."""
    schema = _SCHEMA.get()
    return sql(name) if schema is None else _in_schema(name, schema)


@functools.cache
def _in_schema(name: str, schema: str) -> str:
    return retarget(sql(name), schema)


def retarget(text: str, schema: str) -> str:
    """``text`` with every ``collections.`` qualifier (and a ``search_path`` naming collections)
    pointing at ``schema``, quoted as an identifier."""
    quoted = pgsql.Identifier(schema).as_string(None)
    out = _QUALIFIED.sub(lambda _: quoted + ".", text)
    literal = pgsql.Literal(schema).as_string(None)
    return _SEARCH_PATH.sub(lambda m: m.group(1) + literal, out)


@contextlib.contextmanager
def in_schema(schema: str) -> Iterator[None]:
    """Within the block (this thread or task), every statement run through ``store.db`` targets ``schema``."""
    token = _SCHEMA.set(schema)
    try:
        yield
    finally:
        _SCHEMA.reset(token)
