"""Named crash points, for the tests that kill a run at a chosen place and check that a rerun heals it.

A run passes ``crash_point(name)`` at each place where a crash would leave work
half done: between the load's transactions, after a portfolio's evaluation, after a
partner accepted a batch whose results are not yet written back, and so on. When
the environment variable ``COLLECTIONS_CRASH_AT`` names that point, the process
group is killed at once with SIGKILL, as a lost machine or an out-of-memory kill
would end it: no ``finally``, no rollback but the database's own. ``name#N`` kills
on the point's N-th pass (the second delivery batch, say).

Unset (always, outside those tests) a point costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

ENV = "COLLECTIONS_CRASH_AT"
_passes: Counter[str] = Counter()


def crash_point(name: str) -> None:
    """Kill this process group here when ``COLLECTIONS_CRASH_AT`` names ``name`` (or ``name#N``, N-th pass)."""
    target = os.environ.get(ENV)
    if not target:
        return
    _passes[name] += 1
    wanted, _, nth = target.partition("#")
    if wanted == name and _passes[name] == int(nth or 1):
        os.killpg(os.getpgid(0), signal.SIGKILL)
