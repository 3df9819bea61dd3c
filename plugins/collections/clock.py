"""The one clock every product path reads the time from.

Production reads the system clock. ``COLLECTIONS_NOW`` (an ISO-8601 instant with
its offset, e.g. ``2026-11-29T10:00:00+08:00``) pins it, for tests and for replaying
a day as it was: the contact window, the outbox's look-back and the report
deadline then all see that instant, whatever the hour the machine runs at.
"""

from __future__ import annotations

import os

import pendulum

from debt_collections.errors import ConfigError

ENV = "COLLECTIONS_NOW"


def now(tz: str = "UTC") -> pendulum.DateTime:
    """The current instant in ``tz``: the pinned one when ``COLLECTIONS_NOW`` is set."""
    pinned = os.environ.get(ENV)
    if not pinned:
        return pendulum.now(tz)
    try:
        instant = pendulum.parse(pinned, exact=True)
    except (ValueError, pendulum.parsing.exceptions.ParserError) as exc:
        raise ConfigError(
            f"{ENV}={pinned[:40]!r} is not an ISO-8601 instant such as 2026-11-29T10:00:00+08:00"
        ) from exc
    if not isinstance(instant, pendulum.DateTime):
        raise ConfigError(f"{ENV}={pinned[:40]!r} names a date; give an instant such as 2026-11-29T10:00:00+08:00")
    return instant.in_timezone(tz)
