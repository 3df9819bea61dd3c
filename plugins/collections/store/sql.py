"""Loading the SQL statements kept as files under ``include/sql/``."""

from __future__ import annotations

import functools
import os
from pathlib import Path


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
