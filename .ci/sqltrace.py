"""A pytest plugin for .ci/mutate_sql.py: which test loads which SQL file (``-p sqltrace``, PYTHONPATH=.ci).

Each test starts with an empty cache of SQL texts, so every file a test executes is read,
and recorded, during it; the map, and each test's seconds, go to the JSON file named by ``SQLTRACE_OUT``.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
from collections import defaultdict

import pytest

_CURRENT: list[str] = []
_LOADS: dict[str, set[str]] = defaultdict(set)
_SECONDS: dict[str, float] = defaultdict(float)
_read_text = pathlib.Path.read_text


def _traced_read_text(self: pathlib.Path, *args, **kwargs):  # type: ignore[no-untyped-def]  # a stand-in for Path.read_text
    from debt_collections.store.sql import sql_root

    if _CURRENT:
        with contextlib.suppress(ValueError):  # not a SQL file
            _LOADS[self.resolve().relative_to(sql_root().resolve()).as_posix()].add(_CURRENT[0])
    return _read_text(self, *args, **kwargs)


pathlib.Path.read_text = _traced_read_text  # type: ignore[method-assign]  # the trace is the point of this plugin


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    from debt_collections.store.sql import sql

    sql.cache_clear()
    _CURRENT[:] = [item.nodeid]


def pytest_runtest_teardown(item: pytest.Item) -> None:
    _CURRENT.clear()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _SECONDS[report.nodeid] += report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    out = os.environ.get("SQLTRACE_OUT")
    if out:
        loads = {k: sorted(v) for k, v in sorted(_LOADS.items())}
        seconds = {k: round(v, 3) for k, v in sorted(_SECONDS.items())}
        pathlib.Path(out).write_text(json.dumps({"loads": loads, "seconds": seconds}, indent=1))
