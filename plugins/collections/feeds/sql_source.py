"""The ``sql`` source: tables or views named after the entities in a Postgres source database.

The source holds the current state, so every day reads a full snapshot (SPEC
section 2 allows one); rows stream through ``COPY ... TO STDOUT``.
"""

from __future__ import annotations

from collections.abc import Iterator

from debt_collections.errors import FeedError
from debt_collections.feeds.base import Record, clean_field
from debt_collections.feeds.entities import ENTITIES, Entity
from debt_collections.store import source


class SqlSource:
    """Entities read from ``<schema>.<entity>`` of a source database."""

    def __init__(self, conninfo: str, schema: str = "public"):
        self.conninfo = conninfo
        self.schema = schema
        self.where = source.describe(conninfo)

    def location(self, entity: Entity) -> str:
        return f"{self.where} {self.schema}.{entity.name}"

    def check_drop(self) -> None:
        with source.connect(self.conninfo) as conn:
            missing = [
                self.location(e)
                for e in ENTITIES
                if not e.optional and source.columns(conn, self.schema, e.name) is None
            ]
        if missing:
            raise FeedError("missing drop: " + ", ".join(missing) + " not found")

    def file(self, entity: Entity) -> None:
        """No file: the loader reads ``records``."""
        return None

    def records(self, entity: Entity) -> Iterator[Record] | None:
        conn = source.connect(self.conninfo)
        columns = source.columns(conn, self.schema, entity.name)
        if columns is None:
            conn.close()
            if entity.optional:
                return None
            raise FeedError(f"missing drop: {self.location(entity)} not found")
        lacking = [f for f in entity.required_fields if f not in columns]
        if lacking:
            conn.close()
            raise FeedError(f"{self.location(entity)} lacks required column(s) {', '.join(lacking)}")
        present = [f for f in entity.fields if f in columns]
        return self._records(source.stream(conn, self.schema, entity.name, present), entity, present)

    @staticmethod
    def _records(rows: Iterator[tuple[str | None, ...]], entity: Entity, present: list[str]) -> Iterator[Record]:
        index = {name: i for i, name in enumerate(present)}
        blank = (None,) * len(entity.fields)
        for position, row in enumerate(rows, start=1):
            raw = ",".join("" if v is None else v for v in row)
            fields: list[str | None] = []
            error = None
            for name in entity.fields:
                value, error = clean_field(row[index[name]] if name in index else None)
                if error:
                    break
                fields.append(value)
            yield Record(position, blank, raw, f"{name}: {error}") if error else Record(position, tuple(fields), raw)
