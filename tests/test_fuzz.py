"""Property-based fuzzing (hypothesis) of the csv and http parsers and of the load itself."""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from debt_collections.feeds.csv_source import CsvSource
from debt_collections.feeds.entities import BY_NAME
from debt_collections.feeds.http_source import _record
from debt_collections.store.db import connect
from debt_collections.store.loading import load_drop
from tests.scenario import Scenario, d

DAY = "2026-11-28"
REPAYMENTS = BY_NAME["repayments"]


def _well_formed(records, width: int) -> None:
    last = 1
    for rec in records:
        assert len(rec.fields) == width
        assert "\x00" not in rec.raw
        rec.raw.encode("utf-8")  # storable as text
        for value in rec.fields:
            assert value is None or ("\x00" not in value and value == value.strip() and value)
        if rec.parse_error:
            assert rec.fields == (None,) * width
        assert rec.position > last
        last = rec.position


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=2000))
def test_the_csv_parser_survives_any_bytes(tmp_path, body):
    folder = tmp_path / DAY
    folder.mkdir(exist_ok=True)
    (folder / "repayments.csv").write_bytes(b"payment_id,account_id,paid_at,amount,reverses,channel\n" + body)
    _well_formed(list(CsvSource(tmp_path, d(DAY)).records(REPAYMENTS)), len(REPAYMENTS.fields))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(item=json_values | st.dictionaries(st.sampled_from(REPAYMENTS.fields), json_values, max_size=6))
def test_the_http_item_parser_survives_any_json(item):
    rec = _record(REPAYMENTS, json.loads(json.dumps(item, allow_nan=True), parse_float=str), 2)
    _well_formed([rec], len(REPAYMENTS.fields))


cells = st.one_of(
    st.sampled_from(
        [
            "",
            "A1",
            "GHOST",
            "2026-11-20T10:00:00+08:00",
            "2026-11-20",
            "2026-02-30T10:00:00Z",
            "100.00",
            "-5.00",
            "NaN",
            "Infinity",
            "1e9",
            "12.345",
            '=HYPERLINK("x")',
            "p1",
            "p2",
        ]
    ),
    st.text(max_size=12),
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(cells, min_size=4, max_size=7), max_size=25))
def test_every_row_is_loaded_or_quarantined_never_lost(db, tmp_path_factory, rows):
    root = tmp_path_factory.mktemp("drops")
    s = Scenario(db, root)
    s.account("A1", months=1)
    folder = s.write_drop(d(DAY))
    with (folder / "repayments.csv").open("a", encoding="utf-8", newline="") as fh:
        import csv

        csv.writer(fh).writerows(rows)
    with connect(db) as conn:  # each example starts from an empty store
        conn.execute(
            "truncate collections.repayment, collections.installment, collections.account, "
            "collections.customer, collections.quarantine, collections.feed_fingerprint cascade"
        )
    records = list(CsvSource(root, d(DAY)).records(REPAYMENTS))
    result = load_drop(db, CsvSource(root, d(DAY)), d(DAY), portfolios=None, max_reject_ratio=Decimal(1))
    with connect(db) as conn:
        quarantined = {
            r["position"]
            for r in conn.execute("select position from collections.quarantine where entity = 'repayments'").fetchall()
        }
        stored = {r["payment_id"] for r in conn.execute("select payment_id from collections.repayment").fetchall()}
    assert result.rows_in.get("repayments", 0) == len(records)
    assert result.quarantined.get("repayments", 0) == len(quarantined)
    # every row is either quarantined or loaded (a valid repeat of an id already loaded is a no-op)
    assert stored == {rec.fields[0] for rec in records if rec.position not in quarantined}
