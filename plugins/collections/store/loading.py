"""Loading a day's drop: COPY into staging, check in SQL, quarantine, gate, upsert.

Staging and the checked rows are temporary tables of the loading session (load/create_staging.sql):
each load has its own, concurrent loads never meet, and nothing outlives the session.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pendulum
import psycopg
from psycopg import sql as pgsql

from debt_collections.domain.policy import DataQuality, Feed
from debt_collections.errors import FeedError
from debt_collections.faults import crash_point
from debt_collections.feeds.base import MAX_FIELD_CHARS, CsvFile, FeedSource, Record
from debt_collections.feeds.entities import ENTITIES, Entity
from debt_collections.store.db import Conn, connect, fetch_all, fetch_row, lock_portfolio_data, lock_portfolio_day, run
from debt_collections.store.sql import sql, statement

log = logging.getLogger(__name__)


@dataclass
class LoadResult:
    """What a load did: rows in and quarantined per entity, and the portfolios it covered."""

    feed_date: str
    rows_in: dict[str, int] = field(default_factory=dict)
    quarantined: dict[str, int] = field(default_factory=dict)
    portfolios: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # each step's wall time: copy, validate, upsert

    @property
    def reject_ratio(self) -> Decimal:
        total = sum(self.rows_in.values())
        return Decimal(sum(self.quarantined.values())) / total if total else Decimal(0)

    def summary(self) -> dict[str, Any]:
        """Counts only: safe for logs and XCom (no personal data)."""
        return {
            "feed_date": self.feed_date,
            "rows_in": self.rows_in,
            "quarantined": self.quarantined,
            "reject_ratio": str(self.reject_ratio.quantize(Decimal("0.0001"))),
            "portfolios": self.portfolios,
        }


def load_drop(
    conninfo: str,
    source: FeedSource,
    feed_date: pendulum.Date,
    *,
    portfolios: list[str] | None,
    max_reject_ratio: Decimal,
    data_quality: DataQuality | None = None,
    confirm_data_quality: bool = False,
    paid_at_before: datetime | None = None,
) -> LoadResult:
    """Load the drop for ``feed_date``; rows of portfolios outside ``portfolios`` are left alone.

    Raises FeedError, and loads nothing, when the drop is missing; after
    quarantining, when the share of bad rows exceeds ``max_reject_ratio``; and,
    unless ``confirm_data_quality``, when a ``data_quality`` gate trips: the drop
    is empty, repeats the previous drop, or moves the book's balance too far.
    A repayment paid at or after ``paid_at_before`` (default: the policy default's
    window, ``Feed.paid_at_before``, in UTC) is quarantined as implausible.
    """
    source.check_drop()
    params: dict[str, Any] = {
        "feed_date": feed_date,
        "portfolios": portfolios,
        "paid_at_before": paid_at_before or Feed().paid_at_before(feed_date, "UTC"),
        # where each entity came from (_stage), for the quarantine and feed_load rows
        "entities": [],
        "sources": [],
    }
    result = LoadResult(feed_date.to_date_string())
    seconds = result.seconds
    with connect(conninfo, autocommit=True) as conn:
        run(conn, "load/session_for_load.sql")
        try:
            fingerprint = _stage(conn, source, params, seconds)
            crash_point("load.staged")
            _quarantine(conn, params, result)
            crash_point("load.validated")
            if result.reject_ratio > max_reject_ratio:
                raise FeedError(
                    f"drop {feed_date.to_date_string()} rejected: {sum(result.quarantined.values())} of "
                    f"{sum(result.rows_in.values())} rows quarantined (ratio {result.reject_ratio:.4f} > "
                    f"max_reject_ratio {max_reject_ratio}); nothing was loaded. "
                    f"See collections.quarantine where feed_date = '{feed_date.to_date_string()}'"
                )
            _data_quality_gates(conn, params, fingerprint, data_quality or DataQuality(), confirm_data_quality)
            began = time.monotonic()
            result.portfolios = _upsert(conn, params)
            seconds["upsert"] = time.monotonic() - began
            crash_point("load.upserted")
            written = sum(result.rows_in.values()) - sum(result.quarantined.values())
            analysed = fetch_row(conn, "load/analyze_after_load.sql", {"rows_written": written})["analysed"]
            if analysed:
                log.info("load changed a large share of %s: statistics refreshed", ", ".join(analysed))
        finally:
            run(conn, "load/clear_staging.sql", params)
    log.info("load %s; seconds %s", result.summary(), {k: round(v, 2) for k, v in seconds.items()})
    return result


def _stage(conn: Conn, source: FeedSource, params: dict[str, Any], seconds: dict[str, float]) -> str:
    """Stage every entity of the drop, as delivered, and check it in SQL, an entity at a time (its staged
    rows dropped once checked, so that no more than one entity's are held on disk); the drop's fingerprint.
    ``seconds`` gets the time spent copying and checking.

    A CSV file is COPYed whole when it can be (``_copy_file``), else read row by row; either way
    the fingerprint takes the file's bytes. A source without files gives its rows' raw text.
    """
    fingerprint = hashlib.sha256()
    seconds.update(copy=0.0, validate=0.0)
    run(conn, "load/create_staging.sql")
    for entity in ENTITIES:
        # a transaction an entity: the files of its dropped staging table go at its commit
        with conn.transaction():
            run(conn, "ops/session_for_bulk.sql")
            began = time.monotonic()
            digest = _stage_entity(conn, source, entity, params, fingerprint)
            if digest is not None:
                fingerprint.update(entity.name.encode() + digest)
            run(conn, f"load/stage_index_{entity.name}.sql")
            checked = time.monotonic()
            seconds["copy"] += checked - began
            run(conn, f"load/validate_{entity.name}.sql", params)
            run(conn, f"load/checked_{entity.name}.sql")
            seconds["validate"] += time.monotonic() - checked
    return fingerprint.hexdigest()


def _stage_entity(
    conn: Conn, source: FeedSource, entity: Entity, params: dict[str, Any], fingerprint: Any
) -> bytes | None:
    """Stage one entity of the drop; what its file adds to the fingerprint (None: its rows' text went in
    already, or it is absent)."""
    location = source.location(entity)
    file = source.file(entity)
    records = source.records(entity) if file is None else None
    if file is None and records is None:
        return None  # an optional entity, absent
    params["entities"].append(entity.name)
    params["sources"].append(location)
    if file is None:
        fingerprint.update(entity.name.encode())
        _copy_records(conn, entity, records or iter(()), fingerprint)
        return None
    copied = _copy_file(conn, entity, file)
    if copied is None:
        log.info("%s: read row by row (a quote, NUL, \\x01, \\x02 or \\. in it, or not plain UTF-8)", location)
        _copy_records(conn, entity, source.records(entity) or iter(()), None)
        return _file_digest(file.path)
    if copied.split_in_sql:
        log.info(
            "%s: split in SQL (a column not the entity's, whitespace at a field's edge, a long line or a row of "
            "another width)",
            location,
        )
    return copied.digest


def _copy_records(
    conn: Conn,
    entity: Entity,
    records: Iterator[Record],
    fingerprint: Any | None,
) -> None:
    """COPY the entity's rows into staging as the reader parsed them (the fingerprint, when given, takes each
    row's raw text)."""
    with conn.cursor().copy(sql(f"load/copy_{entity.name}.sql")) as copy:
        for rec in records:
            if fingerprint is not None:
                fingerprint.update(rec.raw.encode("utf-8", "backslashreplace") + b"\n")
            copy.write_row((rec.position, rec.raw, rec.parse_error, *rec.fields))


class _NotWhole(Exception):
    """The file holds what only the row-by-row reader reads right."""


class _NotCsv(Exception):
    """A line of the file that COPY's CSV reader would read otherwise than the row-by-row reader (a field
    with whitespace at an edge, or maybe longer than 4096 characters): the file is split in SQL instead."""


@dataclass(frozen=True)
class Copied:
    """A CSV file COPYed whole: its sha256, and whether its lines were split in SQL (else COPY's CSV reader
    read them straight into staging)."""

    digest: bytes
    split_in_sql: bool


# A quote may make a record span lines and means what COPY and Python's csv read differently; \x01 and
# \x02 stand for COPY's delimiter and quote; NUL is refused by both; a line "\\." would end COPY's input.
_NOT_WHOLE = (b'"', b"\x00", b"\x01", b"\x02")
CHUNK = 1 << 20
# staging columns named otherwise than the feed's fields (load/copy_events.sql)
STAGING_NAMES = {"events": {"reason": "reason_code", "source": "event_source"}}
# What str.strip() takes from a field's edges (collections.feed_value): ASCII ones turned into a space to
# look for ", ", " ,", a space at a line's start or end; the others (in UTF-8) looked for anywhere.
_ASCII_SPACES = b"\t\x0b\x0c\x1c\x1d\x1e\x1f "
_TO_SPACE = bytes.maketrans(_ASCII_SPACES, b" " * len(_ASCII_SPACES))
_SPACE_AT_AN_EDGE = (b", ", b" ,", b"\n ", b" \n", b" \r")
_WIDE_SPACES = tuple(c.encode() for c in "\x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") + tuple(
    chr(c).encode() for c in range(0x2000, 0x200B)
)


def _copy_file(conn: Conn, entity: Entity, file: CsvFile) -> Copied | None:
    """COPY a CSV file whole into staging, row for row what the Python reader would stage. Straight in,
    read by COPY's CSV reader (``_copy_csv``), when the file's header names only the entity's fields and
    no line holds what that reader reads otherwise; else as a table of lines split in SQL
    (``_copy_lines``). None, with nothing staged, when the file holds a byte of ``_NOT_WHOLE`` or a
    ``\\.``, or COPY refuses it (not UTF-8, mixed line ends): the Python reader reads it."""
    header = _csv_header(entity, file)
    if header is not None:
        try:
            return Copied(_copy_csv(conn, entity, file, header), split_in_sql=False)
        except _NotWhole:
            return None
        except (_NotCsv, psycopg.errors.DataError):
            pass  # an edge space, a long line, a row of another width (or a byte COPY refuses): split in SQL
    digest = _copy_lines(conn, entity, file)
    return None if digest is None else Copied(digest, split_in_sql=True)


def _csv_header(entity: Entity, file: CsvFile) -> list[str] | None:
    """The staging columns of the file's columns in their order, when each is a field of the entity (none
    other, none twice); else None."""
    by_position = {p: column for column, p in zip(_staging_columns(entity), file.columns, strict=True) if p}
    if sorted(by_position) != list(range(1, file.width + 1)):
        return None
    return [by_position[p] for p in range(1, file.width + 1)]


def _staging_columns(entity: Entity) -> list[str]:
    """The staging table's columns for the entity's fields, in the fields' order."""
    renamed = STAGING_NAMES.get(entity.name, {})
    return [renamed.get(name, name) for name in entity.fields]


def _chunks(file: CsvFile, digest: Any, csv: bool) -> Iterator[bytes]:
    """The file's bytes a chunk at a time, into ``digest`` as they go; _NotWhole at the first byte only the
    reader reads right, and (``csv``) _NotCsv at the first line COPY's CSV reader would read otherwise."""
    tail, line = b"\n", 0  # the last bytes seen (a line's start before the first), the current line's length
    with file.path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            if any(b in chunk for b in _NOT_WHOLE) or b"\\." in chunk or tail[-1:] + chunk[:1] == b"\\.":
                raise _NotWhole
            if csv:
                line = _check_csv(tail + chunk, line, len(tail))
            tail = (tail + chunk)[-3:]
            digest.update(chunk)
            yield chunk
    if csv:
        _check_csv(tail + b"\n", line, len(tail))


def _check_csv(window: bytes, line: int, seen: int) -> int:
    """_NotCsv if ``window`` (the bytes of a chunk after the last ``seen`` of the one before) shows a
    field with whitespace at an edge or a line longer than 4096 bytes (so maybe a field longer than
    4096 characters); the length of its last, unfinished line (``line``: that of the line it continues)."""
    spaced = window.translate(_TO_SPACE)
    if any(edge in spaced for edge in _SPACE_AT_AN_EDGE):
        raise _NotCsv
    if not window.isascii() and any(space in window for space in _WIDE_SPACES):
        raise _NotCsv
    parts = window[seen:].split(b"\n")
    first = line + len(parts[0])
    if max(first, max(map(len, parts[1:]), default=0)) > MAX_FIELD_CHARS:
        raise _NotCsv
    return len(parts[-1]) if len(parts) > 1 else first


def _copy_csv(conn: Conn, entity: Entity, file: CsvFile, header: list[str]) -> bytes:
    """COPY a CSV file straight into the entity's staging table, made again for the file's columns
    (migration 0032); the file's sha256. _NotWhole or _NotCsv, with nothing staged, as ``_chunks``."""
    digest = hashlib.sha256()
    staging = f"stg_{entity.name}"
    copy_sql = pgsql.SQL(sql("load/copy_csv_staging.sql")).format(
        staging=pgsql.Identifier(staging), columns=pgsql.SQL(", ").join(map(pgsql.Identifier, header))
    )
    with conn.transaction():  # a savepoint: what a refused file staged is undone, the staging table as it was
        run(conn, "load/stage_csv_table.sql", {"staging": staging, "header": header})
        with conn.cursor().copy(copy_sql) as copy:
            for chunk in _chunks(file, digest, csv=True):
                copy.write(chunk)
    return digest.digest()


def _copy_lines(conn: Conn, entity: Entity, file: CsvFile) -> bytes | None:
    """COPY a CSV file whole into a temporary table of lines and split them in SQL into staging, row for row
    what the Python reader would stage; the file's sha256. None, with nothing staged, as ``_copy_file``."""
    digest = hashlib.sha256()
    bind = {
        "staging": f"stg_{entity.name}",
        "columns": _staging_columns(entity),
        "fields": list(entity.fields),
        "positions": list(file.columns),
        "width": file.width,
    }
    try:
        with conn.transaction():  # a savepoint: what a refused file staged is undone
            run(conn, "load/create_feed_lines.sql")
            with conn.cursor().copy(sql("load/copy_feed_lines.sql")) as copy:
                for chunk in _chunks(file, digest, csv=False):
                    copy.write(chunk)
            run(conn, "load/stage_feed_lines.sql", bind)
            run(conn, "load/clear_feed_lines.sql")
    except (_NotWhole, psycopg.errors.DataError):
        return None
    return digest.digest()


def _file_digest(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.digest()


def _quarantine(conn: Conn, params: dict[str, Any], result: LoadResult) -> None:
    """Quarantine the rows the checks refused, and count the rows and the refused per entity."""
    with conn.transaction():
        run(conn, "ops/session_for_bulk.sql")
        run(conn, "load/quarantine.sql", params)
        for row in fetch_all(conn, "load/drop_counts.sql", params):
            result.rows_in[row["entity"]] = row["rows_in"]
            result.quarantined[row["entity"]] = row["quarantined"]
            run(conn, "load/record_feed_load.sql", {**params, **row})


UPSERTS = ("upsert_customers", "upsert_accounts", "upsert_installments", "insert_repayments", "insert_events")


def bulk_insert(name: str) -> str:
    """The upsert ``include/sql/<name>`` without its ``on conflict`` clause: a plain insert, for a bulk load.

    Into the empty book that ``begin_bulk_load`` locked, no row can meet a stored one, and each upsert's
    ``distinct on`` keeps one row a key of the drop; the clause would only make each row a speculative
    insertion, which took twice a plain insert's time (3,600,000 installments: 19.0 s against 9.4 s,
    docs/DESIGN-NOTES.md, "Feed loading"). The primary keys stay: a repeated key still fails the load.
    """
    head, clause, _ = statement(name).partition("\non conflict ")
    if not clause:
        raise ValueError(f"include/sql/{name} has no on conflict clause to leave out of a bulk insert")
    return head + "\n"


def _upsert(conn: Conn, params: dict[str, Any]) -> list[str]:
    """Write the valid rows under the data and day locks of the portfolios they cover; the portfolios loaded."""
    portfolios = params["portfolios"]
    with conn.transaction():
        run(conn, "ops/session_for_bulk.sql")
        covered = portfolios if portfolios is not None else _portfolios_in_drop(conn, params)
        lock_portfolio_data(conn, covered)
        lock_portfolio_day(conn, covered, params["feed_date"])
        params["load_seq"] = fetch_row(conn, "load/next_load_seq.sql")["load_seq"]
        # into an empty book (a first load): indexes built and foreign keys checked after the rows, in sets
        aside = fetch_row(conn, "load/begin_bulk_load.sql")["aside"]
        for name in UPSERTS:
            if aside:
                conn.execute(bulk_insert(f"load/{name}.sql"), params)
            else:
                run(conn, f"load/{name}.sql", params)
        if aside:
            made = fetch_row(conn, "load/end_bulk_load.sql")["made"]
            log.info("first load: %d indexes and foreign keys built and checked after the rows", made)
        if portfolios is not None:
            return list(portfolios)
        return [r["portfolio"] for r in fetch_all(conn, "ops/known_portfolios.sql")]


def _data_quality_gates(
    conn: Conn, params: dict[str, Any], fingerprint: str, gates: DataQuality, confirmed: bool
) -> None:
    """Stop before anything is loaded when the drop looks wrong, unless an operator confirmed it."""
    figures = fetch_row(conn, "load/data_quality.sql", params)
    day = params["feed_date"].to_date_string()
    problems = []
    applies = figures["book_accounts"] >= gates.min_book_accounts
    max_shift = gates.max_balance_shift
    if applies and gates.refuse_empty and figures["valid_rows"] == 0:
        problems.append(f"drop {day} has no valid rows")
    if applies and gates.refuse_repeated and figures["previous_fingerprint"] == fingerprint:
        problems.append(f"drop {day} repeats the previous drop row for row")
    before, after = figures["balance_before"], figures["balance_after"]
    if applies and max_shift is not None and before > 0 and abs(after - before) / before > max_shift:
        problems.append(
            f"drop {day} moves the active balance from {before} to {after} "
            f"({(after - before) / before:+.1%}, more than max_balance_shift {max_shift:.0%})"
        )
    if problems and not confirmed:
        raise FeedError(
            "data-quality gate: " + "; ".join(problems) + ". Nothing was loaded. If the drop is right, "
            "rerun with the param confirm_data_quality = true"
        )
    if problems:
        log.warning("data-quality gate confirmed by the run's params: %s", "; ".join(problems))
    run(conn, "load/record_fingerprint.sql", {**params, "fingerprint": fingerprint, "rows_in": figures["valid_rows"]})


def _portfolios_in_drop(conn: Conn, params: dict[str, Any]) -> list[str]:
    rows = fetch_all(conn, "load/portfolios_in_drop.sql", params)
    return [r["portfolio"] for r in rows]
