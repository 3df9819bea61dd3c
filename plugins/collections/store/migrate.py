"""Versioned schema migrations from ``include/sql/migrations/NNNN_name.sql``.

Each file runs once, in its own transaction, and is recorded with a SHA-256
checksum. Running again is a no-op. A file that changed after it was applied
stops the runner: fix forward with a new migration instead.

The one exception is a migration that cannot run somewhere and is rewritten so that it can,
making the same objects wherever the first text ran. The new text names each earlier text it
replaces by its checksum, in a comment line ``-- amends: <sha256>``; a database that applied one
of those accepts the new file (and keeps the checksum it recorded, so the ledger still says what ran).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

from debt_collections.errors import MigrationError
from debt_collections.store.db import Conn, connect, fetch_all, fetch_row, run
from debt_collections.store.sql import sql_root

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_AMENDS = re.compile(r"^-- amends: ([0-9a-f]{64})\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Migration:
    """One migration file."""

    version: int
    name: str
    path: Path

    @property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    @property
    def accepted_checksums(self) -> frozenset[str]:
        """This text's checksum and those of the earlier texts it amends."""
        return frozenset({self.checksum, *_AMENDS.findall(self.text)})


def discover(folder: Path | None = None) -> list[Migration]:
    """The migration files in version order; a badly named file is an error."""
    folder = folder or sql_root() / "migrations"
    found: list[Migration] = []
    for path in sorted(folder.glob("*.sql")):
        m = _NAME.match(path.name)
        if not m:
            raise MigrationError(f"{path}: migration files must be named NNNN_lower_snake.sql")
        found.append(Migration(int(m.group(1)), m.group(2), path))
    versions = [m.version for m in found]
    if len(versions) != len(set(versions)):
        raise MigrationError(f"{folder}: two migration files share a version number")
    return found


def migrate(conninfo: str, folder: Path | None = None) -> list[str]:
    """Apply every pending migration; the names of those applied now."""
    migrations = discover(folder)
    applied_now: list[str] = []
    with connect(conninfo, autocommit=True) as conn:
        # creating the ledger needs the owner's rights; once it exists, a run as
        # the app role only reads it (and finds nothing to apply)
        if not fetch_row(conn, "ops/ledger_exists.sql")["present"]:
            run(conn, "ops/create_migration_table.sql")
        # One runner at a time: a second one waits, then finds nothing to do.
        run(conn, "ops/migration_lock.sql")
        try:
            done = {r["version"]: r for r in fetch_all(conn, "ops/applied_migrations.sql")}
            for mig in migrations:
                prior = done.get(mig.version)
                if prior is not None:
                    if prior["checksum"] not in mig.accepted_checksums:
                        raise MigrationError(
                            f"{mig.path} was changed after it was applied "
                            f"(applied checksum {prior['checksum'][:12]}, file now {mig.checksum[:12]}); "
                            "restore the file and add a new migration instead"
                        )
                    continue
                _apply(conn, mig)
                applied_now.append(mig.path.name)
        finally:
            run(conn, "ops/migration_unlock.sql")
    return applied_now


def _apply(conn: Conn, mig: Migration) -> None:
    try:
        with conn.transaction():
            conn.execute(mig.text)
            run(conn, "ops/record_migration.sql", {"version": mig.version, "name": mig.name, "checksum": mig.checksum})
    except psycopg.Error as exc:
        raise MigrationError(f"{mig.path} failed and was rolled back: {exc}") from exc
