"""A CSV file of the drop COPYed whole (store/loading.py, ``_copy_file``) stages exactly the rows that the
row-by-row reader (feeds/csv_source.py) stages: the same position, raw text, parse error and values. A file
that COPY would read otherwise (a quote, NUL, \\x01, \\x02, a line ``\\.``, bytes that are not UTF-8, line
ends that change) is not staged whole, and the reader reads it."""

from __future__ import annotations

import pytest

from debt_collections.errors import FeedError
from debt_collections.feeds.csv_source import CsvSource
from debt_collections.feeds.entities import BY_NAME, ENTITIES
from debt_collections.generator.book import BookSpec, generate_book
from debt_collections.store import loading
from debt_collections.store.db import connect, run
from tests.scenario import d

DAY = "2026-11-28"
INSTALLMENTS = b"account_id,seq,due_date,amount_due\n"
LONG = "9" * 4097

WHOLE = {
    "plain": INSTALLMENTS + b"A1,1,2026-11-01,100.00\nA1,2,2026-12-01,100.00\n",
    "crlf": b"account_id,seq,due_date,amount_due\r\nA1,1,2026-11-01,100.00\r\nA2,1,2026-11-01,5\r\n",
    "bom": b"\xef\xbb\xbf" + INSTALLMENTS + b"A1,1,2026-11-01,100.00\n",
    "columns reordered, one extra": b" seq ,extra,account_id,amount_due,due_date\n1,x,A1,100.00,2026-11-01\n",
    "blank lines": INSTALLMENTS + b"\nA1,1,2026-11-01,100.00\n\n\nA1,2,2026-12-01,100.00\n",
    "whitespace at the edges": INSTALLMENTS
    + " A1 ,\u3000 1\u3000,2026-11-01 ,\t100.00\xa0\n\u2003\u2003,\x1c2\x1f,\u200b2026-12-01,1 0\n   \n".encode(),
    "fields of one line's whitespace only": INSTALLMENTS + " , ,\u3000,\n".encode(),
    "wrong width": INSTALLMENTS + b"A1,1,2026-11-01\nA1,1,2026-11-01,1,extra\n,,,\n",
    "a field too long": INSTALLMENTS + f"A1,1,2026-11-01,{LONG}\n{LONG},1,2026-11-01,1\n{LONG},1,x,{LONG}\n".encode(),
    "4096 characters is not too long": INSTALLMENTS + f"A1,1,2026-11-01,{LONG[1:]}\n".encode(),
    "no final line end": INSTALLMENTS + b"A1,1,2026-11-01,100.00",
    "only the header": INSTALLMENTS,
    "backslashes": INSTALLMENTS + b"A\\1,1,2026-11-01,100.00\n\\N,\\,x\\y,.\\\n",
    "non-ascii text": INSTALLMENTS + "账户1,一,2026-11-01,１００\n".encode(),
}
NOT_WHOLE = {
    "empty": b"",
    "quoted": INSTALLMENTS + b'"A1",1,2026-11-01,"1,000.00"\n',
    "a quote inside a field": INSTALLMENTS + b'A"1,1,2026-11-01,100.00\n',
    "nul": INSTALLMENTS + b"A\x001,1,2026-11-01,100.00\n",
    "\\x01": INSTALLMENTS + b"A\x011,1,2026-11-01,100.00\n",
    "\\x02": INSTALLMENTS + b"A\x021,1,2026-11-01,100.00\n",
    "not utf-8": INSTALLMENTS + b"A\xff1,1,2026-11-01,100.00\n",
    "a line \\.": INSTALLMENTS + b"A1,1,2026-11-01,100.00\n\\.\nA2,1,2026-11-01,100.00\n",
    "\\. inside a field (taken for the line, to be safe)": INSTALLMENTS + b"A1,1,2026-11-01,1\\.00\n",
    "lines ended by a lone carriage return": b"account_id,seq,due_date,amount_due\rA1,1,2026-11-01,100.00\rA2,1,x,5\r",
    "line ends that change": b"account_id,seq,due_date,amount_due\r\nA1,1,2026-11-01,100.00\nA2,1,2026-11-01,1\r\n",
}


def _stage(
    db: str, tmp_path, body: bytes | None, whole: bool, name: str = "installments"
) -> tuple[bytes | None, list[dict]]:
    """Stage ``body`` (None: the file as it is) as the drop's file of ``name``, whole or row by row; the
    file's digest (whole and COPYed) and the staged rows."""
    folder = tmp_path / DAY
    folder.mkdir(exist_ok=True)
    if body is not None:
        (folder / f"{name}.csv").write_bytes(body)
    source, entity = CsvSource(tmp_path, d(DAY)), BY_NAME[name]
    with connect(db, autocommit=True) as conn, conn.transaction():
        run(conn, "load/create_staging.sql")
        if whole:
            file = source.file(entity)
            digest = None if file is None else loading._copy_file(conn, entity, file)
            if file is None:
                list(source.records(entity) or ())  # the reader's errors, as the loader would meet them
        else:
            records = source.records(entity)
            assert records is not None
            loading._copy_records(conn, entity, records, None)
            digest = None
        rows = conn.execute(f"select * from pg_temp.stg_{name} order by position").fetchall()
    return digest, rows


@pytest.mark.parametrize("body", list(WHOLE.values()), ids=list(WHOLE))
def test_a_file_copied_whole_stages_what_the_reader_stages(db, tmp_path, body):
    digest, whole = _stage(db, tmp_path, body, whole=True)
    _, read = _stage(db, tmp_path, body, whole=False)
    assert digest is not None, "the file was not COPYed whole"
    assert whole == read


@pytest.mark.parametrize("name", [e.name for e in ENTITIES])
def test_each_file_of_a_generated_book_is_copied_whole_as_the_reader_reads_it(db, tmp_path, name):
    generate_book(tmp_path, BookSpec(accounts=300, start=d(DAY), end=d(DAY), seed=5))
    digest, whole = _stage(db, tmp_path, None, whole=True, name=name)
    _, read = _stage(db, tmp_path, None, whole=False, name=name)
    assert digest is not None and len(whole) > 0
    assert whole == read


def test_the_files_compared_hold_each_kind_of_row_they_are_named_for(db, tmp_path):
    # the comparison above is only as good as what the reader makes of those files
    _, read = _stage(db, tmp_path, WHOLE["whitespace at the edges"], whole=False)
    assert [(r["account_id"], r["seq"], r["due_date"], r["amount_due"]) for r in read] == [
        ("A1", "1", "2026-11-01", "100.00"),
        (None, "2", "\u200b2026-12-01", "1 0"),  # a zero-width space is not whitespace to str.strip()
        (None, None, None, None),
    ]
    assert read[2]["parse_error"] == "row has 1 fields, header has 4"
    _, read = _stage(db, tmp_path, WHOLE["a field too long"], whole=False)
    assert [r["parse_error"] for r in read] == [
        "amount_due: field longer than 4096 characters",
        "account_id: field longer than 4096 characters",
        "account_id: field longer than 4096 characters",
    ]
    _, read = _stage(db, tmp_path, WHOLE["blank lines"], whole=False)
    assert [(r["position"], r["parse_error"]) for r in read] == [
        (2, "row has 0 fields, header has 4"),
        (3, None),
        (4, "row has 0 fields, header has 4"),
        (5, "row has 0 fields, header has 4"),
        (6, None),
    ]


@pytest.mark.parametrize("body", list(NOT_WHOLE.values())[1:], ids=list(NOT_WHOLE)[1:])
def test_a_file_copy_would_read_otherwise_is_left_to_the_reader(db, tmp_path, body):
    digest, rows = _stage(db, tmp_path, body, whole=True)
    assert digest is None and rows == []
    _, read = _stage(db, tmp_path, body, whole=False)
    assert read, "the reader stages every row of it"


def test_an_empty_file_is_refused_by_the_reader_as_before(db, tmp_path):
    with pytest.raises(FeedError, match="empty file, expected a header row"):
        _stage(db, tmp_path, NOT_WHOLE["empty"], whole=True)
