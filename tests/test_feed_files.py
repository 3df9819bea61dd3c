"""A CSV file of the drop COPYed whole (store/loading.py, ``_copy_file``) stages exactly the rows that the
row-by-row reader (feeds/csv_source.py) stages: the same position, raw text, parse error and values, whether
COPY's CSV reader read it straight into staging or its lines were split in SQL (whitespace at a field's edge,
a long line, a row of another width, a column that is not the entity's). A file that COPY would read
otherwise (a quote, NUL, \\x01, \\x02, a line ``\\.``, bytes that are not UTF-8, line ends that change) is
not staged whole, and the reader reads it."""

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
    "columns reordered": b"seq,amount_due,due_date,account_id\n1,100.00,2026-11-01,A1\n2,,2026-12-01,A1\n",
    "spaces inside fields": INSTALLMENTS + "A 1,1,2026-11-01,1 0\n王 芳,2,x y,\n".encode(),
    "blank lines": INSTALLMENTS + b"\nA1,1,2026-11-01,100.00\n\n\nA1,2,2026-12-01,100.00\n",
    "whitespace at the edges": INSTALLMENTS
    + " A1 ,\u3000 1\u3000,2026-11-01 ,\t100.00\xa0\n\u2003\u2003,\x1c2\x1f,\u200b2026-12-01,1 0\n   \n".encode(),
    "fields of one line's whitespace only": INSTALLMENTS + " , ,\u3000,\n".encode(),
    # each alone, for the checks that send a file to the split in SQL
    "a space at a field's end": INSTALLMENTS + b"A1 ,1,2026-11-01,100.00\n",
    "a space at a field's start": INSTALLMENTS + b"A1,1, 2026-11-01,100.00\n",
    "a tab at a line's start": INSTALLMENTS + b"A1,1,2026-11-01,100.00\n\tA2,1,2026-11-01,5\n",
    "a space at a line's end": INSTALLMENTS + b"A1,1,2026-11-01,100.00 \nA2,1,2026-11-01,5\n",
    "a space before a crlf": b"account_id,seq,due_date,amount_due\r\nA1,1,2026-11-01,100.00 \r\n",
    "a space at the file's end": INSTALLMENTS + b"A1,1,2026-11-01,100.00 ",
    "a wide space at a field's edge": INSTALLMENTS + "A1,1,2026-11-01,100.00\u3000\n".encode(),
    "a no-break space at a field's edge": INSTALLMENTS + "A1,1,2026-11-01,\xa0100.00\n".encode(),
    "wrong width": INSTALLMENTS + b"A1,1,2026-11-01\nA1,1,2026-11-01,1,extra\n,,,\n",
    "a field too long": INSTALLMENTS + f"A1,1,2026-11-01,{LONG}\n{LONG},1,2026-11-01,1\n{LONG},1,x,{LONG}\n".encode(),
    "4096 characters is not too long": INSTALLMENTS + f"A1,1,2026-11-01,{LONG[1:]}\n".encode(),
    "no final line end": INSTALLMENTS + b"A1,1,2026-11-01,100.00",
    "only the header": INSTALLMENTS,
    "backslashes": INSTALLMENTS + b"A\\1,1,2026-11-01,100.00\n\\N,\\,x\\y,.\\\n",
    "non-ascii text": INSTALLMENTS + "账户1,一,2026-11-01,１００\n".encode(),
}
# the files COPY's CSV reader reads straight into staging; the others of WHOLE are split in SQL (a line of
# 4097 bytes or more is split, though its fields may all be short enough)
STRAIGHT = {
    "plain",
    "crlf",
    "bom",
    "columns reordered",
    "spaces inside fields",
    "no final line end",
    "only the header",
    "backslashes",
    "non-ascii text",
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
) -> tuple[bytes | None, list[dict], bool | None]:
    """Stage ``body`` (None: the file as it is) as the drop's file of ``name``, whole or row by row; the
    file's digest (whole and COPYed), the staged rows, and whether the file's lines were split in SQL."""
    folder = tmp_path / DAY
    folder.mkdir(exist_ok=True)
    if body is not None:
        (folder / f"{name}.csv").write_bytes(body)
    source, entity = CsvSource(tmp_path, d(DAY)), BY_NAME[name]
    with connect(db, autocommit=True) as conn, conn.transaction():
        run(conn, "load/create_staging.sql")
        if whole:
            file = source.file(entity)
            copied = None if file is None else loading._copy_file(conn, entity, file)
            digest = None if copied is None else copied.digest
            split = None if copied is None else copied.split_in_sql
            if file is None:
                list(source.records(entity) or ())  # the reader's errors, as the loader would meet them
        else:
            records = source.records(entity)
            assert records is not None
            loading._copy_records(conn, entity, records, None)
            digest = split = None
        rows = conn.execute(f"select * from pg_temp.stg_{name} order by position").fetchall()
    return digest, rows, split


@pytest.mark.parametrize("chunk", [loading.CHUNK, 1, 2], ids=["chunks of 1 MiB", "of 1 byte", "of 2 bytes"])
@pytest.mark.parametrize("case", list(WHOLE))
def test_a_file_copied_whole_stages_what_the_reader_stages(module_db, tmp_path, monkeypatch, case, chunk):
    # small chunks: every check of the bytes as they stream meets a line, a field and a character cut
    monkeypatch.setattr(loading, "CHUNK", chunk)
    digest, whole, split = _stage(module_db, tmp_path, WHOLE[case], whole=True)
    _, read, _ = _stage(module_db, tmp_path, WHOLE[case], whole=False)
    assert digest is not None, "the file was not COPYed whole"
    assert split is (case not in STRAIGHT), "read straight by COPY" if split is False else "split in SQL"
    assert whole == read


@pytest.mark.parametrize("name", [e.name for e in ENTITIES])
def test_each_file_of_a_generated_book_is_copied_whole_as_the_reader_reads_it(module_db, tmp_path, name):
    generate_book(tmp_path, BookSpec(accounts=300, start=d(DAY), end=d(DAY), seed=5))
    digest, whole, split = _stage(module_db, tmp_path, None, whole=True, name=name)
    _, read, _ = _stage(module_db, tmp_path, None, whole=False, name=name)
    assert digest is not None and len(whole) > 0
    assert split is False, "a generated book's file is read straight into staging by COPY"
    assert whole == read


def test_the_files_compared_hold_each_kind_of_row_they_are_named_for(module_db, tmp_path):
    # the comparison above is only as good as what the reader makes of those files
    _, read, _ = _stage(module_db, tmp_path, WHOLE["whitespace at the edges"], whole=False)
    assert [(r["account_id"], r["seq"], r["due_date"], r["amount_due"]) for r in read] == [
        ("A1", "1", "2026-11-01", "100.00"),
        (None, "2", "\u200b2026-12-01", "1 0"),  # a zero-width space is not whitespace to str.strip()
        (None, None, None, None),
    ]
    assert read[2]["parse_error"] == "row has 1 fields, header has 4"
    _, read, _ = _stage(module_db, tmp_path, WHOLE["a field too long"], whole=False)
    assert [r["parse_error"] for r in read] == [
        "amount_due: field longer than 4096 characters",
        "account_id: field longer than 4096 characters",
        "account_id: field longer than 4096 characters",
    ]
    _, read, _ = _stage(module_db, tmp_path, WHOLE["blank lines"], whole=False)
    assert [(r["position"], r["parse_error"]) for r in read] == [
        (2, "row has 0 fields, header has 4"),
        (3, None),
        (4, "row has 0 fields, header has 4"),
        (5, "row has 0 fields, header has 4"),
        (6, None),
    ]


@pytest.mark.parametrize("body", list(NOT_WHOLE.values())[1:], ids=list(NOT_WHOLE)[1:])
def test_a_file_copy_would_read_otherwise_is_left_to_the_reader(module_db, tmp_path, body):
    digest, rows, _ = _stage(module_db, tmp_path, body, whole=True)
    assert digest is None and rows == []
    _, read, _ = _stage(module_db, tmp_path, body, whole=False)
    assert read, "the reader stages every row of it"


def test_an_empty_file_is_refused_by_the_reader_as_before(module_db, tmp_path):
    with pytest.raises(FeedError, match="empty file, expected a header row"):
        _stage(module_db, tmp_path, NOT_WHOLE["empty"], whole=True)
