"""Incremental arrears equal a full computation, day after day, through every way an account can change."""

from __future__ import annotations

import csv
from pathlib import Path

from debt_collections.domain.params import RunParams
from debt_collections.feeds.csv_source import CsvSource
from debt_collections.generator.book import BookSpec, generate_book
from debt_collections.plan import run_day
from debt_collections.policy.loader import load_policy
from debt_collections.store import daily
from debt_collections.store.db import connect
from tests.scenario import STANDARD, Scenario, d

FIRST, LAST = d("2026-11-03"), d("2026-11-14")
SKIPPED = d("2026-11-08")  # no run that day: the next day has no day before to start from


def _snapshot(db: str, day) -> tuple[list, list]:
    with connect(db) as conn:
        arrears = conn.execute(
            "select portfolio, account_id, dpd, overdue_amount from collections.account_day "
            "where as_of = %s order by portfolio, account_id",
            [day],
        ).fetchall()
        cases = conn.execute("select * from collections.case_day where as_of = %s order by case_id", [day]).fetchall()
    return arrears, cases


def _how(db: str, day) -> dict[str, dict]:
    with connect(db) as conn:
        rows = conn.execute(
            "select portfolio, incremental, accounts_computed from collections.arrears_day where as_of = %s", [day]
        ).fetchall()
    return {r["portfolio"]: r for r in rows}


def _overdue(db: str, day) -> set[str]:
    return {r["account_id"] for r in _snapshot(db, day)[0]}


def _append(path: Path, row: list[str]) -> None:
    with path.open("a", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerow(row)


def test_incremental_arrears_equal_a_full_computation_every_day(db, tmp_path):
    policy = load_policy(STANDARD)
    # (a) below delivers a reversal five days before its date: within a widened plausibility window
    policy = policy.model_copy(update={"feed": policy.feed.model_copy(update={"paid_at_days_ahead": 7})})
    root = tmp_path / "drops"
    generate_book(root, BookSpec(accounts=600, start=FIRST, end=LAST, seed=3))

    def run(day):
        run_day(db, policy, CsvSource(root, day), RunParams(day, None, policy.stages, False))

    def full_equals_incremental(day) -> dict[str, dict]:
        """Recompute every account of the day and compare: the figures must not move."""
        how = _how(db, day)
        before = _snapshot(db, day)
        for portfolio in how:
            daily.evaluate_portfolio(
                db, policy, portfolio, RunParams(day, None, policy.stages, False), incremental=False
            )
        assert _snapshot(db, day) == before, f"incremental arrears of {day} differ from a full computation"
        return how

    run(FIRST)
    assert not any(h["incremental"] for h in _how(db, FIRST).values())  # nothing to start from

    # three accounts of AUTO-EAST that are not overdue on the first day, with money paid by then
    with connect(db) as conn:
        picks = conn.execute(
            "select a.account_id, max(r.payment_id) as payment_id, "
            "       (select i.due_date::text from collections.installment i"
            "        where i.account_id = a.account_id and seq = 1) as due1, "
            "       (select i.amount_due::text from collections.installment i"
            "        where i.account_id = a.account_id and seq = 1) as amount1 "
            "from collections.account a join collections.repayment r using (account_id) "
            "where a.portfolio = 'AUTO-EAST' and a.status = 'active' and r.reverses is null and r.amount > 100 "
            "  and a.account_id not in (select account_id from collections.account_day) "
            "group by a.account_id order by a.account_id limit 3"
        ).fetchall()
        amounts = {
            r["payment_id"]: r["amount"]
            for r in conn.execute(
                "select payment_id, amount from collections.repayment where payment_id = any(%s)",
                [[p["payment_id"] for p in picks]],
            ).fetchall()
        }
    reversed_late, amended, fixed_later = picks
    # (a) a reversal dated 2026-11-10, delivered early in the drop of 2026-11-05: the day it is
    #     dated, nothing is loaded for the account, yet it is overdue
    _append(
        root / "2026-11-05" / "repayments.csv",
        [
            f"{reversed_late['payment_id']}X",
            reversed_late["account_id"],
            "2026-11-10T10:00:00+08:00",
            str(-amounts[reversed_late["payment_id"]]),
            reversed_late["payment_id"],
            "auto_debit",
        ],
    )
    # (b) the schedule amended on 2026-11-06: the first installment was 500.00 more
    _append(
        root / "2026-11-06" / "installments.csv",
        [amended["account_id"], "1", amended["due1"], f"{float(amended['amount1']) + 500:.2f}"],
    )

    # (d) an overdue account of AUTO-NORTH moves to AUTO-EAST on 2026-11-07: only its account row changes
    with (root / FIRST.to_date_string() / "accounts.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    north = {r[0]: r for r in rows[1:] if r[2] == "AUTO-NORTH"}
    moved = sorted(set(north) & _overdue(db, FIRST))[0]
    _append(root / "2026-11-07" / "accounts.csv", [*north[moved][:2], "AUTO-EAST", *north[moved][3:]])

    seen = {}
    day = FIRST.add(days=1)
    while day <= d("2026-11-12"):
        if day != SKIPPED:
            run(day)
            seen[day] = full_equals_incremental(day)
        day = day.add(days=1)

    # (c) a data fix of an old drop after later days ran: a reversal of 2026-11-04, loaded by a
    #     rerun of that day; the next day starts from 2026-11-12, which never saw it
    _append(
        root / "2026-11-04" / "repayments.csv",
        [
            f"{fixed_later['payment_id']}F",
            fixed_later["account_id"],
            "2026-11-04T09:00:00+08:00",
            str(-amounts[fixed_later["payment_id"]]),
            fixed_later["payment_id"],
            "bank",
        ],
    )
    run(d("2026-11-04"))
    full_equals_incremental(d("2026-11-04"))
    for day in (d("2026-11-13"), LAST):
        run(day)
        seen[day] = full_equals_incremental(day)

    # each change made its account overdue on the day it took effect
    assert reversed_late["account_id"] not in _overdue(db, d("2026-11-09"))
    assert reversed_late["account_id"] in _overdue(db, d("2026-11-10"))
    assert amended["account_id"] not in _overdue(db, d("2026-11-05"))
    assert amended["account_id"] in _overdue(db, d("2026-11-06"))
    assert fixed_later["account_id"] not in _overdue(db, d("2026-11-12"))
    assert fixed_later["account_id"] in _overdue(db, d("2026-11-13"))

    with connect(db) as conn:
        homes = conn.execute(
            "select as_of, portfolio from collections.account_day where account_id = %s "
            "and as_of in ('2026-11-06', '2026-11-07')",
            [moved],
        ).fetchall()
    assert {(str(r["as_of"]), r["portfolio"]) for r in homes} == {
        ("2026-11-06", "AUTO-NORTH"),
        ("2026-11-07", "AUTO-EAST"),
    }

    # most days started from the day before and computed a fraction of the accounts
    after_gap = SKIPPED.add(days=1)
    assert not any(h["incremental"] for h in seen[after_gap].values())
    incremental_days = [day for day in seen if day != after_gap]
    with connect(db) as conn:
        sizes = {
            r["portfolio"]: r["n"]
            for r in conn.execute(
                "select portfolio, count(*) as n from collections.account group by portfolio"
            ).fetchall()
        }
    for day in incremental_days:
        for portfolio, how in seen[day].items():
            assert how["incremental"], (day, portfolio)
            assert how["accounts_computed"] < sizes[portfolio] / 2, (day, portfolio, how)


def test_a_new_tolerance_computes_every_account_again(db, tmp_path):

    policy = load_policy(STANDARD)
    root = tmp_path / "drops"
    generate_book(root, BookSpec(accounts=120, start=FIRST, end=FIRST.add(days=1), seed=5))
    run_day(db, policy, CsvSource(root, FIRST), RunParams(FIRST, None, policy.stages, False))
    stricter = policy.model_copy(update={"tolerance": policy.tolerance / 2})
    nxt = FIRST.add(days=1)
    run_day(db, stricter, CsvSource(root, nxt), RunParams(nxt, None, policy.stages, False))
    assert _how(db, nxt) and not any(h["incremental"] for h in _how(db, nxt).values())


def test_money_dated_from_the_first_instant_of_the_day_is_computed_that_day(db, tmp_path):
    """A reversal loaded days before its date, at 00:00 of that date in the policy's timezone: on that
    day nothing is loaded for the account and it was not overdue the day before, yet its arrears move."""
    policy = load_policy(STANDARD)
    policy = policy.model_copy(update={"feed": policy.feed.model_copy(update={"paid_at_days_ahead": 7})})
    s = Scenario(db, tmp_path, policy=policy)
    s.account("A1", first_due="2026-11-01", months=3)
    s.pay("P1", "A1", "2026-11-01T09:00:00+08:00", "1000.00")
    s.pay("P1R", "A1", "2026-11-05T00:00:00+08:00", "-1000.00", reverses="P1")
    s.account("B1", first_due="2026-12-01", months=3)
    s.pay("P2", "B1", "2026-11-06T00:00:00+08:00", "100.00")  # dated the next day, from its first instant
    s.run_days("2026-11-03", "2026-11-05")
    assert "A1" not in _overdue(db, d("2026-11-04"))
    assert "A1" in _overdue(db, d("2026-11-05"))
    # only A1 may have changed on 2026-11-05: B1's money is dated the day after
    assert _how(db, d("2026-11-05"))["P1"] == {"portfolio": "P1", "incremental": True, "accounts_computed": 1}
