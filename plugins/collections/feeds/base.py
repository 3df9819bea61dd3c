"""The interface every feed source (csv, http, sql) implements."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from debt_collections.feeds.entities import Entity

# Longest field value accepted; longer values are quarantined, not truncated.
MAX_FIELD_CHARS = 4096


@dataclass(frozen=True, slots=True)
class Record:
    """One delivered row: its position in the source, its fields as text, and the raw row.

    ``fields`` follows ``Entity.fields``; an empty value is ``None``. When the row
    could not be parsed, ``parse_error`` says why and ``fields`` are all ``None``.
    """

    position: int
    fields: tuple[str | None, ...]
    raw: str
    parse_error: str | None = None


class FeedSource(Protocol):
    """A day's drop of the feed, read entity by entity."""

    def location(self, entity: Entity) -> str:
        """Where the entity is read from (a path or URL), for messages and quarantine."""
        ...

    def check_drop(self) -> None:
        """Raise FeedError naming the path or URL when the day's drop does not exist."""
        ...

    def records(self, entity: Entity) -> Iterator[Record] | None:
        """The entity's rows, streamed; None when an optional entity is absent."""
        ...

    def file(self, entity: Entity) -> CsvFile | None:
        """The entity's CSV file, when the source has one the loader may COPY whole (else None: the loader
        reads ``records``). Reading it whole must give exactly the rows ``records`` gives."""
        ...


@dataclass(frozen=True)
class CsvFile:
    """A CSV file of the drop and its header: where each of the entity's fields is (1-based, None: absent)."""

    path: Path
    columns: tuple[int | None, ...]
    width: int


def clean_field(value: str | None) -> tuple[str | None, str | None]:
    """A field normalised to text or None, and the parse error it carries, if any."""
    if value is None:
        return None, None
    if "\x00" in value:
        return None, "contains a NUL character"
    if len(value) > MAX_FIELD_CHARS:
        return None, f"field longer than {MAX_FIELD_CHARS} characters"
    value = value.strip()
    return (value or None), None
