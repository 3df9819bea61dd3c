"""The ``sql`` source: tables or views named after the entities in a Postgres source database.

The source holds the current state, so every day reads a full snapshot (SPEC
section 2 allows one); rows stream through ``COPY ... TO STDOUT``.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
from psycopg import sql as pgsql

from debt_collections.errors import FeedError
from debt_collections.feeds.base import Record, clean_field
from debt_collections.feeds.entities import ENTITIES, Entity
from debt_collections.store.sql import sql


class SqlSource:
    """Entities read from ``<schema>.<entity>`` of a source database."""

    def __init__(self, conninfo: str, schema: str = "public"):
        self.conninfo = conninfo
        self.schema = schema
        info = psycopg.conninfo.conninfo_to_dict(conninfo)
        self.where = f"postgresql://{info.get('host', '')}/{info.get('dbname', '')}"

    def location(self, entity: Entity) -> str:
        return f"{self.where} {self.schema}.{entity.name}"

    def _columns(self, conn: psycopg.Connection, entity: Entity) -> list[str] | None:
        relation = pgsql.Identifier(self.schema, entity.name).as_string(conn)
        rows = conn.execute(sql("feeds/source_columns.sql"), {"relation": relation}).fetchall()
        return [r[0] for r in rows] or None

    def check_drop(self) -> None:
        try:
            with psycopg.connect(self.conninfo, connect_timeout=10) as conn:
                missing = [self.location(e) for e in ENTITIES if not e.optional and self._columns(conn, e) is None]
        except psycopg.OperationalError as exc:
            raise FeedError(f"missing drop: cannot connect to {self.where}: {exc}") from exc
        if missing:
            raise FeedError("missing drop: " + ", ".join(missing) + " not found")

    def records(self, entity: Entity) -> Iterator[Record] | None:
        conn = psycopg.connect(self.conninfo)
        columns = self._columns(conn, entity)
        if columns is None:
            conn.close()
            if entity.optional:
                return None
            raise FeedError(f"missing drop: {self.location(entity)} not found")
        lacking = [f for f in entity.required_fields if f not in columns]
        if lacking:
            conn.close()
            raise FeedError(f"{self.location(entity)} lacks required column(s) {', '.join(lacking)}")
        return self._stream(conn, entity, [f for f in entity.fields if f in columns])

    def _stream(self, conn: psycopg.Connection, entity: Entity, present: list[str]) -> Iterator[Record]:
        statement = pgsql.SQL(sql("feeds/read_entity.sql")).format(
            columns=pgsql.SQL(", ").join(pgsql.SQL("{}::text").format(pgsql.Identifier(c)) for c in present),
            relation=pgsql.Identifier(self.schema, entity.name),
        )
        index = {name: i for i, name in enumerate(present)}
        blank = (None,) * len(entity.fields)
        with conn, conn.cursor() as cur, cur.copy(statement) as copy:
            for position, row in enumerate(copy.rows(), start=1):
                raw = ",".join("" if v is None else v for v in row)
                fields: list[str | None] = []
                error = None
                for name in entity.fields:
                    value, error = clean_field(row[index[name]] if name in index else None)
                    if error:
                        break
                    fields.append(value)
                yield (
                    Record(position, blank, raw, f"{name}: {error}") if error else Record(position, tuple(fields), raw)
                )
