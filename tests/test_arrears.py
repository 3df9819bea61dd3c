"""SPEC section 3 (money, time and arrears), each rule through the real SQL."""

from __future__ import annotations

from decimal import Decimal

import pytest

from debt_collections.domain.arrears import bucket
from debt_collections.store.db import connect
from tests.scenario import Scenario

# Account default: 12 monthly installments of 1000.00 due on the 1st from 2026-08-01.


def test_waterfall_pays_oldest_installment_first(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account("A1")
    # 1500 paid in October: covers August in full and half of September
    s.pay("p1", "A1", "2026-10-02T10:00:00+08:00", "1500.00")
    s.run("2026-10-10")
    case = s.case("A1", "2026-10-10")
    # oldest past-due installment is September's (due 09-01): dpd 39
    assert case["dpd"] == 39
    assert case["overdue_amount"] == Decimal("1500.00")  # 500 of Sept + 1000 of Oct
    assert case["bucket"] == "M2"


def test_an_account_that_never_paid_owes_every_installment_due(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account("A1")  # 1000.00 a month from 2026-08-01, no payment at all
    s.run("2026-10-10")
    case = s.case("A1", "2026-10-10")
    assert (case["dpd"], case["overdue_amount"]) == (70, Decimal("3000.00"))


def test_overpayment_carries_to_later_installments(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account("A1")
    s.pay("p1", "A1", "2026-08-01T10:00:00+08:00", "2000.00")  # pays August and September
    s.run("2026-09-20")
    assert s.case("A1", "2026-09-20") is None
    s.run("2026-10-03")
    assert s.case("A1", "2026-10-03")["dpd"] == 2  # October unpaid


@pytest.mark.parametrize(
    ("paid", "overdue"),
    [("999.00", None), ("998.99", Decimal("1.01"))],
    ids=["unpaid-1.00-is-within-tolerance", "unpaid-1.01-is-outstanding"],
)
def test_tolerance(db, tmp_path, paid, overdue):
    s = Scenario(db, tmp_path)
    s.account("A1", months=2)
    s.pay("p1", "A1", "2026-08-01T10:00:00+08:00", paid)
    s.pay("p2", "A1", "2026-09-01T10:00:00+08:00", "1000.00")
    s.run("2026-09-10")
    case = s.case("A1", "2026-09-10")
    if overdue is None:
        assert case is None
    else:
        # waterfall: August is paid in full, September is 1.01 short
        assert case["dpd"] == 9 and case["overdue_amount"] == overdue


def test_installment_due_on_as_of_is_not_past_due(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-09-05")
    s.run("2026-09-05")
    assert s.case("A1", "2026-09-05") is None
    s.run("2026-09-06")
    assert s.case("A1", "2026-09-06")["dpd"] == 1


def test_payment_counts_by_its_date_in_the_policy_timezone(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-09-01", months=1)
    s.account("A2", first_due="2026-09-01", months=1)
    # 23:30 in Shanghai on 09-03: counts for as_of 09-03
    s.pay("p1", "A1", "2026-09-03T23:30:00+08:00", "1000.00")
    # 16:30 UTC on 09-03 is 00:30 on 09-04 in Shanghai: does not count for 09-03
    s.pay("p2", "A2", "2026-09-03T16:30:00Z", "1000.00")
    s.run("2026-09-03")
    assert s.case("A1", "2026-09-03") is None
    assert s.case("A2", "2026-09-03")["dpd"] == 2
    s.run("2026-09-04")
    assert s.case("A2", "2026-09-04")["status"] == "cured"


def test_a_payment_at_midnight_counts_for_the_day_it_starts(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-09-01", months=1)
    s.pay("p1", "A1", "2026-09-04T00:00:00+08:00", "1000.00")  # the first instant of 09-04 in Shanghai
    s.run("2026-09-03")
    assert s.case("A1", "2026-09-03")["dpd"] == 2
    s.run("2026-09-04")
    case = s.case("A1", "2026-09-04")
    assert (case["status"], case["dpd"], case["overdue_amount"]) == (
        "cured",
        0,
        Decimal("0"),
    )  # a cured case owes nothing


def test_reversal_subtracts(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-09-01", months=1)
    s.pay("p1", "A1", "2026-09-01T09:00:00+08:00", "1000.00")
    s.run("2026-09-02")
    assert s.case("A1", "2026-09-02") is None
    s.pay("p1r", "A1", "2026-09-02T09:00:00+08:00", "-1000.00", reverses="p1")
    s.run("2026-09-03")
    case = s.case("A1", "2026-09-03")
    assert case["dpd"] == 2 and case["overdue_amount"] == Decimal("1000.00")


@pytest.mark.parametrize("dpd", [0, 1, 30, 31, 60, 61, 90, 91, 120, 121, 150, 151, 180, 181, 400])
def test_bucket_boundaries_sql_and_python_agree(module_db, dpd):
    expected = {
        0: "M0",
        1: "M1",
        30: "M1",
        31: "M2",
        60: "M2",
        61: "M3",
        90: "M3",
        91: "M4",
        120: "M4",
        121: "M5",
        150: "M5",
        151: "M6",
        180: "M6",
        181: "M7+",
        400: "M7+",
    }[dpd]
    with connect(module_db) as conn:
        assert conn.execute("select collections.bucket(%s) as b", (dpd,)).fetchone()["b"] == expected
    assert bucket(dpd) == expected


def test_money_is_numeric_in_the_views(db):
    with connect(db) as conn:
        types = {
            r["column_name"]: r["data_type"]
            for r in conn.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'collections' and table_name = 'case_day'"
            ).fetchall()
        }
    assert types["overdue_amount"] == "numeric"
    assert list(types) == [
        "as_of",
        "account_id",
        "portfolio",
        "case_id",
        "dpd",
        "bucket",
        "overdue_amount",
        "stage",
        "status",
        "hold_reason",
        "variant",  # SPEC 6: added later, after the others
    ]


def test_the_products_connections_compile_nothing_with_jit_and_start_outside_a_transaction(db):
    """ops/session_defaults.sql: JIT compiling cost more than running the daily statements (bench/RESULTS.md);
    a connection given to a caller has no transaction open, so the caller's transaction is its own."""
    from psycopg.pq import TransactionStatus

    for autocommit in (False, True):
        with connect(db, autocommit=autocommit) as conn:
            assert conn.info.transaction_status == TransactionStatus.IDLE
            assert conn.execute("show jit").fetchone() == {"jit": "off"}
