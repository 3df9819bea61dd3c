"""The migration runner: from empty, again as a no-op, refusing changed files, atomic per file."""

from __future__ import annotations

import shutil

import pytest

from debt_collections.errors import MigrationError
from debt_collections.store.db import connect
from debt_collections.store.migrate import discover, migrate
from debt_collections.store.sql import sql_root


def test_from_empty_then_again_is_a_no_op(fresh_db):
    applied = migrate(fresh_db)
    assert applied == [m.path.name for m in discover()]
    assert migrate(fresh_db) == []
    with connect(fresh_db) as conn:
        rows = conn.execute("select version, name, checksum from collections.schema_migration").fetchall()
        views = conn.execute(
            "select table_name from information_schema.views where table_schema = 'collections' order by 1"
        ).fetchall()
    assert [r["version"] for r in rows] == [m.version for m in discover()]
    assert all(len(r["checksum"]) == 64 for r in rows)
    assert [v["table_name"] for v in views] == ["action", "case_day", "case_day_history", "recovery"]


def test_a_changed_migration_is_refused(fresh_db, tmp_path):
    folder = tmp_path / "migrations"
    shutil.copytree(sql_root() / "migrations", folder)
    migrate(fresh_db, folder)
    first = sorted(folder.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited\n")
    with pytest.raises(MigrationError, match=f"{first} was changed after it was applied"):
        migrate(fresh_db, folder)


def test_a_failing_migration_is_rolled_back_and_not_recorded(fresh_db, tmp_path):
    folder = tmp_path / "migrations"
    shutil.copytree(sql_root() / "migrations", folder)
    (folder / "9001_broken.sql").write_text(
        "create table collections.half_done (id int);\nselect no_such_function();\n"
    )
    with pytest.raises(MigrationError, match="9001_broken.sql failed and was rolled back"):
        migrate(fresh_db, folder)
    with connect(fresh_db) as conn:
        assert conn.execute("select to_regclass('collections.half_done') as t").fetchone()["t"] is None
        versions = [r["version"] for r in conn.execute("select version from collections.schema_migration")]
    assert 9001 not in versions and versions  # the good ones before it stay applied


def test_badly_named_migration_files_are_refused(tmp_path):
    (tmp_path / "1_init.sql").write_text("select 1;")
    with pytest.raises(MigrationError, match="NNNN_lower_snake.sql"):
        discover(tmp_path)
