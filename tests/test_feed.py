"""SPEC section 2 (input feed): loading, validation, quarantine, re-delivery, the gate."""

from __future__ import annotations

from decimal import Decimal

import pytest

from debt_collections.errors import FeedError
from debt_collections.feeds.csv_source import CsvSource
from debt_collections.feeds.entities import BY_NAME
from debt_collections.store.loading import load_drop
from tests.scenario import Scenario, d

DAY = "2026-11-28"
GOOD_ACCOUNT = "A1"


def _lenient(s: Scenario) -> Scenario:
    # enough good rows that a handful of bad ones stays under the 1% gate
    for i in range(2, 300):
        s.account(f"X{i}", months=1)
    return s


BAD_ROWS = [
    # (entity, raw csv line, expected reason prefix)
    ("customers", "C9,,+8613800000009,east,Asia/Shanghai,zh-CN,", "missing field: full_name"),
    ("customers", "C9,Name,12345,east,Asia/Shanghai,zh-CN,", "bad phone"),
    ("customers", "C9,Name,,east,Mars/Olympus,zh-CN,", "unknown timezone"),
    ("customers", "C9,Name,,east,Asia/Shanghai,fr,", "bad language"),
    ("customers", "C9,=1+2,,east,Asia/Shanghai,en,", "full_name starts with a formula character"),
    ("customers", "C9,@SUM(A1:A9),,east,Asia/Shanghai,en,", "full_name starts with a formula character"),
    ("customers", "C9,\u00e7\u008e\u008b\u00e8\u008a\u00b3,,east,Asia/Shanghai,zh-CN,", "full_name looks like moji"),
    ("customers", "C9,\u00e5\u00bc\u00a0\u00e4\u00b8\u2030,,east,Asia/Shanghai,zh-CN,", "full_name looks like moji"),
    ("customers", "C9,Wang,Fang,,east,Asia/Shanghai,en,", "row has 8 fields, header has 7"),
    ("customers", "C9," + "x" * 5000 + ",,east,Asia/Shanghai,en,", "full_name: field longer than 4096 characters"),
    ("customers", "C9,Name,,east,Asia/Shanghai,en,=HYPERLINK(1)", "address starts with a formula character"),
    ("accounts", "A9,CU-A1,P1,loan,,CNY,abc,2026-01-15,active,", "principal_outstanding is not a finite decimal"),
    ("accounts", "A9,NOPE,P1,loan,,CNY,100.00,2026-01-15,active,", "unknown customer_id"),
    ("accounts", "A9,CU-A1,P1,boat,,CNY,100.00,2026-01-15,active,", "bad product"),
    ("accounts", "A9,CU-A1,P1,loan,,CNY,100.00,2026-02-30,active,", "bad date in opened_on"),
    ("accounts", "A9,CU-A1,P 1;drop,loan,,CNY,100.00,2026-01-15,active,", "bad portfolio name"),
    ("accounts", "A9,CU-A1,P1,loan,,CNY,100.00,2026-01-15,active,grade A!", "bad risk_grade"),
    ("installments", "A1,99,2026-13-01,100.00", "bad date in due_date"),
    ("installments", "A1,99,2026-12-01,NaN", "amount_due is not a finite decimal"),
    ("installments", "A1,99,2026-12-01,Infinity", "amount_due is not a finite decimal"),
    ("installments", "A1,99,2026-12-01,1e400", "amount_due is not a finite decimal"),
    ("installments", "A1,99,2026-12-01,12.345", "amount_due is not a finite decimal"),
    ("installments", "GHOST,1,2026-12-01,100.00", "unknown account_id"),
    ("installments", "A1,x,2026-12-01,100.00", "seq is not a whole number"),
    ("repayments", "pay9,A1,2026-11-20 10:00:00,100.00,,", "bad timestamp in paid_at"),
    ("repayments", "pay9,A1,2026-11-20T25:00:00+08:00,100.00,,", "bad timestamp in paid_at"),
    ("repayments", "pay9,A1,2026-02-30T10:00:00+08:00,100.00,,", "bad timestamp in paid_at"),
    # offsets the server cannot read (at most 15:59): refused, not a cast error that stops the whole load
    ("repayments", "pay9,A1,2026-11-20T10:00:00+16:00,100.00,,", "bad timestamp in paid_at"),
    ("repayments", "pay9,A1,2026-11-20T10:00:00+08:75,100.00,,", "bad timestamp in paid_at"),
    ("repayments", "pay9,A1,2026-11-20T10:00:00+08:00,100.001,,", "amount is not a finite decimal"),
    ("repayments", "pay9,A1,2026-11-20T10:00:00+08:00,,,", "missing field: amount"),
    ("repayments", "pay9,A1,2026-11-20T10:00:00+08:00,-5.00,,", "amount must be positive"),
    ("repayments", "pay9,A1,2026-11-20T10:00:00+08:00,-5.00,nosuch,", "reverses unknown payment_id"),
    ("repayments", "pay9,GHOST,2026-11-20T10:00:00+08:00,5.00,,", "unknown account_id"),
    ("repayments", "pay9,A1,2026-11-20T10:00:00+08:00,5.00,,,extra", "row has 7 fields, header has 6"),
    # a payment from the future: paid_at after the end of the drop's day (Shanghai) plus feed.paid_at_days_ahead (1)
    ("repayments", "pay9,A1,2099-11-20T10:00:00+08:00,999999.00,,", "paid_at 2099-11-20T10:00:00+08:00 is later than"),
    ("repayments", "pay9,A1,2026-11-30T00:00:00+08:00,5.00,,", "paid_at 2026-11-30T00:00:00+08:00 is later than"),
    ("events", "ev9,A1,2026-11-20T10:00:00+08:00,party,,,,", "bad kind"),
    ("events", "ev9,A1,2026-11-20T10:00:00-16:00,dispute,,,,", "bad timestamp in at"),
    ("events", "ev9,A1,2026-11-20T10:00:00+08:00,promise_to_pay,,2026-12-01,,", "missing field: amount"),
    ("events", "ev9,A1,2026-11-20T10:00:00+08:00,promise_to_pay,100.00,,,", "missing field: until"),
    ("events", "ev9,A1,2026-11-20T10:00:00+08:00,payment_plan,100.00,2026-02-29,,", "bad date in until"),
    # delinquency reasons and contact outcomes (SPEC 2): a reason code from their lists, a known source
    ("events", "ev9,A1,2026-11-20T10:00:00+08:00,delinquency_reason,,,,", "missing field: reason (required for"),
    ("events", "ev9,A1,2026-11-20T10:00:00+08:00,delinquency_reason,,,lazy,", "bad reason for delinquency_reason"),
    ("events", "ev9,A1,2026-11-20T10:00:00+08:00,contact_outcome,,,,dialer", "missing field: reason (required for"),
    ("events", "ev9,A1,2026-11-20T10:00:00+08:00,contact_outcome,,,busy,dialer", "bad reason for contact_outcome"),
    ("events", "ev9,A1,2026-11-20T10:00:00+08:00,dispute,,,illness,", "reason is only for delinquency_reason"),
    ("events", "ev9,A1,2026-11-20T10:00:00+08:00,contact_outcome,,,no_answer,robot", "bad source"),
]


@pytest.mark.parametrize(("entity", "line", "reason"), BAD_ROWS, ids=[r[2] + f"#{i}" for i, r in enumerate(BAD_ROWS)])
def test_each_bad_row_is_quarantined_with_its_reason(db, tmp_path, entity, line, reason):
    s = _lenient(Scenario(db, tmp_path))
    s.account(GOOD_ACCOUNT)
    s.extra_lines[entity] = [line]
    out = s.run(DAY)
    rows = s.query("select * from collections.quarantine")
    assert len(rows) == 1, rows
    q = rows[0]
    assert q["entity"] == entity and q["reason"].startswith(reason), q["reason"]
    assert q["source"].endswith(f"{DAY}/{entity}.csv")
    assert q["raw"] == line
    # the position is the line number in the file (header is line 1)
    expected_line = 1 + len(s.rows[entity]) + 1
    assert q["position"] == expected_line
    assert out.load.quarantined[entity] == 1
    # every good row was loaded all the same
    assert s.query("select count(*) as n from collections.account")[0]["n"] == 299


def test_invalid_utf8_and_nul_are_quarantined_not_fatal(db, tmp_path):
    s = _lenient(Scenario(db, tmp_path))
    s.account(GOOD_ACCOUNT)
    folder = s.write_drop(d(DAY))
    with (folder / "customers.csv").open("ab") as fh:
        fh.write(b"C8,Bad \xff\xfe name,,east,Asia/Shanghai,zh-CN\n")
        fh.write(b"C7,Nul\x00name,,east,Asia/Shanghai,zh-CN\n")
    s.run(DAY, write=False)
    reasons = sorted(r["reason"] for r in s.query("select reason from collections.quarantine"))
    assert reasons == ["contains a NUL character", "text is not valid UTF-8"]
    raws = sorted(r["raw"] for r in s.query("select raw from collections.quarantine"))
    assert raws == ["C7,Nul\\x00name,,east,Asia/Shanghai,zh-CN", "C8,Bad \\xff\\xfe name,,east,Asia/Shanghai,zh-CN"]


def test_redelivered_rows_are_no_ops_and_conflicts_are_quarantined(db, tmp_path):
    s = _lenient(Scenario(db, tmp_path))
    s.account(GOOD_ACCOUNT)
    s.pay("pay1", GOOD_ACCOUNT, "2026-11-01T10:00:00+08:00", "1000.00")
    s.event("ev1", GOOD_ACCOUNT, "2026-11-01T10:00:00+08:00", "dispute")
    s.run("2026-11-27")
    # the next drop re-delivers pay1 and ev1 unchanged (a full snapshot) plus conflicting copies
    s.extra_lines["repayments"] = ["pay1,A1,2026-11-01T10:00:00+08:00,999.00,,bank"]
    s.extra_lines["events"] = ["ev1,A1,2026-11-02T10:00:00+08:00,dispute,,,,"]
    s.run(DAY)
    reasons = sorted(r["reason"] for r in s.query("select reason from collections.quarantine"))
    assert reasons == [
        "conflicting re-delivery: event_id ev1 was loaded before with other content",
        "conflicting re-delivery: payment_id pay1 was loaded before with other content",
    ]
    stored = s.query("select amount from collections.repayment where payment_id = 'pay1'")
    assert stored == [{"amount": Decimal("1000.00")}]


def test_conflicting_duplicates_within_one_drop(db, tmp_path):
    s = _lenient(Scenario(db, tmp_path))
    s.account(GOOD_ACCOUNT)
    s.pay("pay1", GOOD_ACCOUNT, "2026-11-01T10:00:00+08:00", "1000.00")
    s.extra_lines["repayments"] = [
        "pay1,A1,2026-11-01T10:00:00+08:00,1000.00,,bank",  # identical: fine
        "pay1,A1,2026-11-01T10:00:00+08:00,5.00,,bank",
    ]  # conflict
    s.run(DAY)
    rows = s.query("select reason, position from collections.quarantine")
    assert [r["reason"] for r in rows] == [
        "conflicting re-delivery: payment_id pay1 repeated in this drop with other content"
    ]
    assert s.query("select amount from collections.repayment") == [{"amount": Decimal("1000.00")}]


@pytest.mark.parametrize("first_load", [True, False], ids=["first load", "later drop"])
def test_a_key_repeated_in_one_drop_keeps_its_first_row_and_quarantines_other_content(db, tmp_path, first_load):
    s = _lenient(Scenario(db, tmp_path))
    s.account(GOOD_ACCOUNT)
    if not first_load:
        s.run("2026-11-27")  # the book is stored: the drop's rows are upserted, not bulk-inserted
    s.extra_lines["installments"] = [
        "A1,98,2027-11-01,100.00",
        "A1,98,2027-11-01,100.00",  # the same row again: fine
        "A1,99,2027-12-01,100.00",
        "A1,99,2027-12-01,90.00",  # the same key with another amount: quarantined
        "A1,99,2027-12-02,100.00",  # and with another date
    ]
    s.extra_lines["events"] = [
        "ev7,A1,2026-11-02T10:00:00+08:00,dispute,,,,",
        "ev7,A1,2026-11-02T10:00:00+08:00,dispute,,,,",  # the same row again: fine
        "ev8,A1,2026-11-03T10:00:00+08:00,dispute,,,,",
        "ev8,A1,2026-11-04T10:00:00+08:00,dispute,,,,",  # the same id at another time: quarantined
    ]
    s.extra_lines["repayments"] = [
        "pay8,A1,2026-11-02T10:00:00+08:00,50.00,,bank",
        "pay8,A1,2026-11-02T10:00:00+08:00,50.00,,bank",  # the same payment again: fine
        "pay8,A1,2026-11-02T10:00:00+08:00,50.00,,cash",  # another channel: quarantined
        "pay8,A1,2026-11-03T10:00:00+08:00,50.00,,bank",  # another time
        "pay8,X2,2026-11-02T10:00:00+08:00,50.00,,bank",  # another account
        "pay9,A1,2026-11-02T11:00:00+08:00,30.00,,bank",
        "rev8,A1,2026-11-04T10:00:00+08:00,-30.00,pay9,bank",
        "rev8,A1,2026-11-04T10:00:00+08:00,-30.00,pay8,bank",  # the reversal of another payment
    ]
    s.run(DAY)
    rows = s.query(
        "select entity, reason from collections.quarantine where feed_date = %s order by entity desc, position", [DAY]
    )
    assert [(r["entity"], r["reason"]) for r in rows] == [
        *[("repayments", "conflicting re-delivery: payment_id pay8 repeated in this drop with other content")] * 3,
        ("repayments", "conflicting re-delivery: payment_id rev8 repeated in this drop with other content"),
        ("installments", "installment (account_id, seq) repeated in this drop with other content"),
        ("installments", "installment (account_id, seq) repeated in this drop with other content"),
        ("events", "conflicting re-delivery: event_id ev8 repeated in this drop with other content"),
    ]
    paid = s.query(
        "select payment_id, account_id, paid_at, channel, reverses from collections.repayment "
        "where payment_id in ('pay8', 'rev8') order by payment_id"
    )
    assert [
        (r["payment_id"], r["account_id"], r["paid_at"].isoformat(), r["channel"], r["reverses"]) for r in paid
    ] == [
        ("pay8", "A1", "2026-11-02T02:00:00+00:00", "bank", None),
        ("rev8", "A1", "2026-11-04T02:00:00+00:00", "bank", "pay9"),
    ]
    stored = s.query(
        "select seq, due_date, amount_due from collections.installment where account_id = 'A1' and seq > 97 "
        "order by seq"
    )
    assert stored == [
        {"seq": 98, "due_date": d("2027-11-01"), "amount_due": Decimal("100.00")},
        {"seq": 99, "due_date": d("2027-12-01"), "amount_due": Decimal("100.00")},
    ]
    events = s.query("select event_id, at from collections.event where event_id in ('ev7', 'ev8') order by event_id")
    assert [(e["event_id"], e["at"].isoformat()) for e in events] == [
        ("ev7", "2026-11-02T02:00:00+00:00"),
        ("ev8", "2026-11-03T02:00:00+00:00"),
    ]


def test_a_repeat_is_judged_by_its_values_not_its_spelling(db, tmp_path):
    """The same key spelt twice (seq 097 is seq 97) with other content is quarantined, not dropped unseen;
    the same values spelt twice (100 and 100.00, one instant at two offsets) are one row, not a conflict."""
    s = _lenient(Scenario(db, tmp_path))
    s.account(GOOD_ACCOUNT)
    s.extra_lines["installments"] = [
        "A1,97,2027-10-01,100.00",
        "A1,097,2027-10-01,90.00",  # seq 97 again, another amount
        "A1,96,2027-09-01,100",
        "A1,96,2027-09-01,100.00",  # the same amount
        "A1,0000095,2027-08-01,90.00",  # not a seq (7 digits): refused on its own, not the first of seq 95
        "A1,95,2027-08-01,100.00",
    ]
    s.extra_lines["repayments"] = [
        "pay7,A1,2026-11-01T10:00:00+08:00,50,,bank",
        "pay7,A1,2026-11-01T02:00:00+00:00,50.00,,bank",  # the same payment, spelt otherwise
    ]
    s.extra_lines["events"] = [
        "ev9,A1,2026-11-02T10:00:00+08:00,promise_to_pay,100,2026-11-20,,",
        "ev9,A1,2026-11-02T02:00:00+00:00,promise_to_pay,100.00,2026-11-20,,",  # the same promise, spelt otherwise
    ]
    s.run(DAY)
    rows = s.query("select entity, reason from collections.quarantine where feed_date = %s", [DAY])
    assert sorted((r["entity"], r["reason"]) for r in rows) == [
        ("installments", "installment (account_id, seq) repeated in this drop with other content"),
        ("installments", "seq is not a whole number: 0000095"),
    ]
    stored = s.query(
        "select seq, amount_due from collections.installment where account_id = 'A1' and seq between 95 and 97 "
        "order by seq"
    )
    assert stored == [
        {"seq": 95, "amount_due": Decimal("100.00")},
        {"seq": 96, "amount_due": Decimal("100.00")},
        {"seq": 97, "amount_due": Decimal("100.00")},
    ]
    assert s.query("select amount from collections.repayment where payment_id = 'pay7'") == [
        {"amount": Decimal("50.00")}
    ]
    assert s.query("select amount, until from collections.event where event_id = 'ev9'") == [
        {"amount": Decimal("100.00"), "until": d("2026-11-20")}
    ]


def test_reject_ratio_gate_fails_after_quarantining_and_loads_nothing(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account(GOOD_ACCOUNT, months=1)  # 3 good rows (customer, account, installment)
    s.extra_lines["installments"] = ["GHOST,1,2026-12-01,100.00"]  # 1 bad of 4: 25% > 1%
    with pytest.raises(FeedError, match=r"1 of 4 rows quarantined .*max_reject_ratio 0.01.*nothing was loaded"):
        s.run(DAY)
    assert len(s.query("select * from collections.quarantine")) == 1
    assert s.query("select count(*) as n from collections.account")[0]["n"] == 0
    assert s.query("select count(*) as n from collections.case_day")[0]["n"] == 0


def test_missing_drop_is_an_error_naming_the_path(db, tmp_path):
    s = Scenario(db, tmp_path)
    with pytest.raises(FeedError, match=f"missing drop: folder {tmp_path}/{DAY} does not exist"):
        s.run(DAY, write=False)
    s.write_drop(d(DAY))
    (tmp_path / DAY / "repayments.csv").unlink()
    with pytest.raises(FeedError, match=f"{tmp_path}/{DAY}/repayments.csv not found"):
        s.run(DAY, write=False)


def test_events_file_is_optional(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account(GOOD_ACCOUNT)
    s.write_drop(d(DAY))
    (tmp_path / DAY / "events.csv").unlink()
    out = s.run(DAY, write=False)
    assert "events" not in out.load.rows_in


def test_header_without_a_required_column_names_file_and_column(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account(GOOD_ACCOUNT)
    folder = s.write_drop(d(DAY))
    (folder / "accounts.csv").write_text("account_id,customer_id\nA1,CU-A1\n", encoding="utf-8")
    with pytest.raises(FeedError, match=r"accounts.csv: header lacks required column\(s\) portfolio, product"):
        s.run(DAY, write=False)


def test_csv_source_reads_quoted_fields_and_optional_columns(tmp_path):
    folder = tmp_path / DAY
    folder.mkdir()
    (folder / "customers.csv").write_text(
        'customer_id,full_name,region,timezone,language\nC1,"Li, ""Lucky"" Wei",east,Asia/Shanghai,zh-CN\n',
        encoding="utf-8",
    )
    records = list(CsvSource(tmp_path, d(DAY)).records(BY_NAME["customers"]))
    # phone and address are optional columns: a file written to SPEC section 2 alone reads as before
    assert records[0].fields == ("C1", 'Li, "Lucky" Wei', None, "east", "Asia/Shanghai", "zh-CN", None)
    assert records[0].position == 2 and records[0].parse_error is None


def test_load_is_idempotent(db, tmp_path):
    s = _lenient(Scenario(db, tmp_path))
    s.account(GOOD_ACCOUNT)
    s.pay("pay1", GOOD_ACCOUNT, "2026-11-01T10:00:00+08:00", "1000.00")
    s.extra_lines["installments"] = ["GHOST,1,2026-12-01,100.00"]
    s.write_drop(d(DAY))
    source = CsvSource(tmp_path, d(DAY))
    snapshot = (
        "select (select count(*) from collections.installment) i, (select count(*) from collections.repayment) r, "
        "(select count(*) from collections.quarantine) q, (select count(*) from collections.customer) c"
    )
    load_drop(db, source, d(DAY), portfolios=None, max_reject_ratio=Decimal("0.01"))
    first = s.query(snapshot)
    load_drop(db, source, d(DAY), portfolios=None, max_reject_ratio=Decimal("0.01"))
    assert s.query(snapshot) == first


def test_real_names_are_not_taken_for_formulas_or_mojibake(db, tmp_path):
    s = Scenario(db, tmp_path)
    names = ["张三", "欧阳娜娜", "Zoë Müller", "José-María Ñúñez", "O'Brien, Seán", 'Ångström "Åke"']
    for i, name in enumerate(names):
        s.account(f"A{i}", customer=s.customer(f"C{i}", full_name=name))
    s.run(DAY)
    assert s.query("select count(*) as n from collections.quarantine")[0]["n"] == 0
    assert sorted(r["full_name"] for r in s.query("select full_name from collections.customer")) == sorted(names)


def test_a_payment_late_on_the_day_after_the_drop_still_loads(db, tmp_path):
    # the edge of feed.paid_at_days_ahead (1): the last second of the next day, Shanghai time, is plausible
    s = _lenient(Scenario(db, tmp_path))
    s.account(GOOD_ACCOUNT)
    s.pay("payEdge", GOOD_ACCOUNT, "2026-11-29T23:59:59+08:00", "5.00")
    s.run(DAY)
    assert s.query("select count(*) as n from collections.quarantine")[0]["n"] == 0
    assert s.query("select payment_id from collections.repayment where payment_id = 'payEdge'")
