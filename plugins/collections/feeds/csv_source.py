"""The ``csv`` source: ``<root>/<D>/<entity>.csv``, UTF-8 with a header row."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pendulum

from debt_collections.errors import FeedError
from debt_collections.feeds.base import CsvFile, Record, clean_field
from debt_collections.feeds.entities import ENTITIES, Entity

csv.field_size_limit(sys.maxsize)


def _printable(text: str) -> str:
    """Text safe to store: invalid UTF-8 bytes and NULs shown as escapes."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace").replace("\x00", "\\x00")


class CsvSource:
    """A day's file drop under ``root``."""

    def __init__(self, root: str | Path, feed_date: pendulum.Date):
        self.root = Path(root)
        self.folder = self.root / feed_date.to_date_string()

    def location(self, entity: Entity) -> str:
        return str(self.folder / f"{entity.name}.csv")

    def check_drop(self) -> None:
        if not self.folder.is_dir():
            raise FeedError(f"missing drop: folder {self.folder} does not exist")
        missing = [self.location(e) for e in ENTITIES if not e.optional and not Path(self.location(e)).is_file()]
        if missing:
            raise FeedError("missing drop: " + ", ".join(missing) + " not found")

    def records(self, entity: Entity) -> Iterator[Record] | None:
        path = Path(self.location(entity))
        if not path.is_file():
            if entity.optional:
                return None
            raise FeedError(f"missing drop: {path} not found")
        return self._read(entity, path)

    def file(self, entity: Entity) -> CsvFile | None:
        """The entity's file and its header, for the loader to COPY whole; None when the file is absent or its
        header is not one line of plain UTF-8 (``records`` reads it, and says what is wrong)."""
        path = Path(self.location(entity))
        if not path.is_file():
            return None
        with path.open("rb") as fh:
            first = fh.readline()
        if not first.strip():
            return None  # no header: records() says so
        try:
            text = first.decode("utf-8-sig")
        except UnicodeDecodeError:
            return None
        if '"' in text or "\r" in text.rstrip("\r\n"):
            return None  # a quoted header, or lines ended by a lone carriage return
        header = next(csv.reader([text.rstrip("\r\n")], strict=False), None)
        if header is None:
            return None
        header = [h.strip() for h in header]
        columns = _column_map(entity, header, path)
        return CsvFile(path, tuple(None if c is None else c + 1 for c in columns), len(header))

    def _read(self, entity: Entity, path: Path) -> Iterator[Record]:
        with path.open("rb") as raw_file:
            # surrogateescape keeps invalid UTF-8 bytes so that one bad row is
            # quarantined instead of failing the whole file.
            text = io.TextIOWrapper(raw_file, encoding="utf-8-sig", errors="surrogateescape", newline="")
            reader = csv.reader(text, strict=False)
            header = next(reader, None)
            if header is None:
                raise FeedError(f"{path}: empty file, expected a header row")
            header = [h.strip() for h in header]
            columns = _column_map(entity, header, path)
            width = len(header)
            for row in reader:
                yield _record(entity, columns, width, row, reader.line_num)


def _column_map(entity: Entity, header: list[str], path: Path) -> list[int | None]:
    missing = [f for f in entity.required_fields if f not in header]
    if missing:
        raise FeedError(
            f"{path}: header lacks required column(s) {', '.join(missing)}; expected {', '.join(entity.fields)}"
        )
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise FeedError(f"{path}: header repeats column(s) {', '.join(dupes)}")
    return [header.index(f) if f in header else None for f in entity.fields]


def _record(entity: Entity, columns: list[int | None], width: int, row: list[str], line: int) -> Record:
    joined = ",".join(row)
    blank = (None,) * len(entity.fields)
    try:
        joined.encode("utf-8")
    except UnicodeEncodeError:
        return Record(line, blank, _printable(joined), "text is not valid UTF-8")
    if "\x00" in joined:
        return Record(line, blank, _printable(joined), "contains a NUL character")
    if len(row) != width:
        return Record(line, blank, joined, f"row has {len(row)} fields, header has {width}")
    fields: list[str | None] = []
    for name, index in zip(entity.fields, columns, strict=True):
        value, error = clean_field(row[index] if index is not None else None)
        if error:
            return Record(line, blank, joined, f"{name}: {error}")
        fields.append(value)
    return Record(line, tuple(fields), joined)
