"""The one clock (COLLECTIONS_NOW pins it) and the named crash points the crash tests use."""

from __future__ import annotations

import signal
import subprocess
import sys

import pendulum
import pytest

from debt_collections import clock
from debt_collections.errors import ConfigError


def test_the_clock_is_the_system_clock_unless_pinned(monkeypatch):
    monkeypatch.delenv("COLLECTIONS_NOW", raising=False)
    before = pendulum.now("UTC")
    assert before <= clock.now() <= pendulum.now("UTC")
    monkeypatch.setenv("COLLECTIONS_NOW", "2026-11-29T10:00:00+08:00")
    assert clock.now() == pendulum.datetime(2026, 11, 29, 2, tz="UTC")
    assert clock.now("Asia/Shanghai").hour == 10 and clock.now("Asia/Shanghai").timezone_name == "Asia/Shanghai"


@pytest.mark.parametrize("value", ["yesterday", "2026-11-29"])
def test_a_pinned_clock_that_is_not_an_instant_is_refused_by_name(monkeypatch, value):
    monkeypatch.setenv("COLLECTIONS_NOW", value)
    with pytest.raises(ConfigError, match="COLLECTIONS_NOW"):
        clock.now()


PASSES = (
    "from debt_collections.faults import crash_point\n"
    "for i in range(3):\n    crash_point('x')\n    print(i, flush=True)\n"
)


@pytest.mark.parametrize(
    ("target", "printed", "code"),
    [(None, "0\n1\n2\n", 0), ("x", "", -signal.SIGKILL), ("x#3", "0\n1\n", -signal.SIGKILL), ("y", "0\n1\n2\n", 0)],
)
def test_a_crash_point_kills_its_process_group_on_the_pass_it_names(target, printed, code):
    env = {"COLLECTIONS_CRASH_AT": target} if target else {}
    proc = subprocess.run(
        [sys.executable, "-c", PASSES],
        env={**_base_env(), **env},
        capture_output=True,
        text=True,
        start_new_session=True,
        timeout=60,
    )
    assert (proc.stdout, proc.returncode) == (printed, code)


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "COLLECTIONS_CRASH_AT"}
