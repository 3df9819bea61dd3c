"""The layers hold: only store/ runs SQL, only the Airflow side imports Airflow, domain/ does no I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "plugins" / "collections"
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))

# where Airflow may be imported: the adapter, the UI plugin, and the alerts' connection lookup
AIRFLOW_SIDE = ("airflow/", "ui/app.py", "ui/metadata.py", "ui/rerun.py", "alerts.py")
SQL_CALLS = {"execute", "executemany", "copy"}  # with a statement: a dict's .copy() takes none
IO_MODULES = {"psycopg", "requests", "airflow", "urllib", "socket", "smtplib", "httpx"}


def _imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _rel(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _tree(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def test_the_package_has_the_layers_this_test_names():
    rels = {_rel(p) for p in MODULES}
    assert {"store/db.py", "store/source.py", "domain/policy.py", "airflow/factory.py", "plan.py"} <= rels
    assert len(MODULES) > 40


def _is_super(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"


@pytest.mark.parametrize("path", [p for p in MODULES if not _rel(p).startswith("store/")], ids=_rel)
def test_only_store_runs_sql(path):
    tree = _tree(path)
    calls = [
        f"{_rel(path)}:{n.lineno}: .{n.func.attr}(...)"
        for n in ast.walk(tree)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr in SQL_CALLS
        and n.args
        and not _is_super(n.func.value)  # an operator's super().execute(context) runs no SQL
    ]
    sql_files = [m for m in _imports(tree) if m == "debt_collections.store.sql"]
    assert not calls and not sql_files, (
        f"SQL outside store/ (run it through a function of store/): {calls or sql_files}"
    )


@pytest.mark.parametrize("path", [p for p in MODULES if not _rel(p).startswith(AIRFLOW_SIDE)], ids=_rel)
def test_only_the_airflow_side_imports_airflow(path):
    found = sorted(m for m in _imports(_tree(path)) if m == "airflow" or m.startswith("airflow."))
    assert not found, f"{_rel(path)} imports {found}: build Airflow objects in airflow/ only"


@pytest.mark.parametrize("path", [p for p in MODULES if _rel(p).startswith("domain/")], ids=_rel)
def test_domain_does_no_io(path):
    found = sorted(m for m in _imports(_tree(path)) if m.split(".")[0] in IO_MODULES)
    layers = sorted(
        m for m in _imports(_tree(path)) if m.startswith(("debt_collections.store", "debt_collections.feeds"))
    )
    assert not found and not layers, f"{_rel(path)} imports {found + layers}: domain/ is pure"


def test_no_function_of_the_package_is_60_lines_or_longer():
    long = sorted(
        (n.end_lineno - n.lineno + 1, f"{_rel(path)}:{n.lineno} {n.name}")
        for path in MODULES
        for n in ast.walk(_tree(path))
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 >= 60
    )
    assert not long, f"functions of 60 lines or more (split them): {long}"
