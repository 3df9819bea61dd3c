"""Stage kinds: what a rung of the ladder does, and how its actions are planned and delivered.

The four kinds of SPEC section 4 (notice, call, visit, legal) are defined in
``stages/core.py``. A new kind needs no change to the core: a module defines a
``StageKind`` and names it in the ``debt_collections.stages`` entry-point group
of ``pyproject.toml``; policies can then use it as a rung's ``action``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

Payload = Callable[[Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class StageKind:
    """One kind of action a rung can take."""

    name: str
    channels: Mapping[str, str]  # channel -> partner path (POST)
    payload: Payload  # the kind-specific part of a partner message
    contact: bool = False  # contacts the customer: the contact window and the SMS cap apply
    stopped_by_cease_contact: bool = False
    stopped_by_promise: bool = False  # suppressed while a promise to pay or payment plan is active
    scored: bool = False  # carries a priority score (the call queue)
    pre_due: bool = False  # acts before the due date on accounts without a case (policy key reminders)
    plan_sql: str = "actions/plan.sql"
    description: str = ""
    extra_sql_params: Mapping[str, Any] = field(default_factory=dict)

    def plan_params(self) -> dict[str, Any]:
        """The kind's switches, bound into its planning SQL."""
        return {
            "contact": self.contact,
            "stopped_by_cease_contact": self.stopped_by_cease_contact,
            "stopped_by_promise": self.stopped_by_promise,
            "scored": self.scored,
            "pre_due": self.pre_due,
            **self.extra_sql_params,
        }


@functools.cache
def registry() -> dict[str, StageKind]:
    """Every stage kind: the core ones and those registered through entry points."""
    from debt_collections.stages.core import CORE_KINDS

    kinds = {k.name: k for k in CORE_KINDS}
    for ep in entry_points(group="debt_collections.stages"):
        kind = ep.load()
        if not isinstance(kind, StageKind):
            raise TypeError(f"entry point {ep.name} ({ep.value}) is not a StageKind")
        kinds[kind.name] = kind
    return kinds


def channel_paths() -> dict[str, str]:
    """Channel -> partner path, over every kind."""
    return {channel: path for kind in registry().values() for channel, path in kind.channels.items() if path}
