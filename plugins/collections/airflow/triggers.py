"""The drop's ready marker as an Airflow event trigger: the watcher of the asset that starts the daily run.

It runs in the triggerer, never at DAG-parse time: the drops' folder is read from the feed connection
there (``Connection.async_get``), so the policy names the marker relative to it and parsing does no I/O.
Airflow 3.3 keeps the event-trigger base class in ``airflow.triggers.base`` (there is none in
``airflow.sdk``), the same class the standard provider's ``FileDeleteTrigger`` builds on.
"""

from __future__ import annotations

import asyncio
import glob
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
from airflow.sdk import Connection
from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from debt_collections.domain.policy import Feed
from debt_collections.errors import ConfigError


def markers(root: str | Path, feed: Feed) -> list[tuple[str, Path]]:
    """The ready markers under ``root`` as (business date, path), earliest day first."""
    found = []
    for path in glob.glob(os.path.join(glob.escape(str(root)), feed.marker_glob())):
        day = feed.marker_day(Path(path).relative_to(root).as_posix())
        if day is not None and os.path.isfile(path):
            found.append((day.to_date_string(), Path(path)))
    return sorted(found)


class DropReadyTrigger(BaseEventTrigger):
    """Fires once a day's ready marker is in the drops' folder of ``feed_conn_id``, and takes it away.

    The event's payload names the day (``{"as_of": "YYYY-MM-DD", "marker": path}``); the marker is
    deleted before the event is sent, so one marker starts the runs once (the triggerer then starts the
    watcher again for the next day). Of several markers, the earliest day's goes first.
    """

    def __init__(self, *, feed_conn_id: str, marker: str, poke_interval: float = 30.0) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # airflow.triggers.base is not typed
        self.feed_conn_id = feed_conn_id
        self.marker = marker
        self.poke_interval = poke_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {"feed_conn_id": self.feed_conn_id, "marker": self.marker, "poke_interval": self.poke_interval},
        )

    async def _root(self) -> str:
        conn = await Connection.async_get(self.feed_conn_id)
        root = (conn.extra_dejson or {}).get("path") if (conn.conn_type or "").lower() in ("fs", "csv") else None
        if not root:
            raise ConfigError(
                f"ready marker {self.marker}: connection {self.feed_conn_id} must be conn_type fs with extra "
                '{"path": "<root>"} naming the folder that holds the daily drops'
            )
        return str(root)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        feed = Feed(ready_marker=self.marker)
        root = await self._root()
        self.log.info("watching %s for ready markers %s", root, self.marker)
        while True:
            for day, path in await anyio.to_thread.run_sync(markers, root, feed):
                try:
                    await anyio.Path(path).unlink()
                except FileNotFoundError:  # another triggerer took it first
                    continue
                self.log.info("drop of %s is ready (%s taken)", day, path)
                yield TriggerEvent({"as_of": day, "marker": str(path)})  # type: ignore[no-untyped-call]
                return
            await asyncio.sleep(self.poke_interval)
