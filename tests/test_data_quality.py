"""Data-quality gates: an empty, repeated or balance-shifting drop stops before any action, until confirmed."""

from __future__ import annotations

import pytest

from debt_collections.domain.policy import DataQuality
from debt_collections.errors import FeedError
from tests.scenario import Scenario, d


def gated(s: Scenario) -> Scenario:
    s.policy = s.policy.model_copy(update={"data_quality": DataQuality(min_book_accounts=0)})
    for i in range(10):
        s.account(f"A{i}", first_due="2026-11-01", months=2)
    return s


def _counts(s: Scenario) -> tuple:
    row = s.query(
        "select (select count(*) from collections.case_day) c, (select count(*) from collections.action) a, "
        "(select sum(principal_outstanding) from collections.account) p"
    )[0]
    return row["c"], row["a"], row["p"]


def test_a_repeated_drop_stops_until_confirmed(db, tmp_path):
    s = gated(Scenario(db, tmp_path))
    s.run("2026-11-27")
    before = _counts(s)
    s.write_drop(d("2026-11-28"))
    with pytest.raises(
        FeedError,
        match="drop 2026-11-28 repeats the previous drop row for row. Nothing was loaded. "
        "If the drop is right, rerun with the param confirm_data_quality = true",
    ):
        s.run("2026-11-28", write=False)
    assert _counts(s) == before  # no case, no action for the day
    s.run("2026-11-28", write=False, confirm=True)
    assert _counts(s)[0] > before[0]


def test_an_empty_drop_stops(db, tmp_path):
    s = gated(Scenario(db, tmp_path))
    s.run("2026-11-27")
    for rows in s.rows.values():
        rows.clear()
    with pytest.raises(FeedError, match="drop 2026-11-28 has no valid rows"):
        s.run("2026-11-28")


def test_a_large_balance_shift_stops_and_loads_nothing(db, tmp_path):
    s = gated(Scenario(db, tmp_path))
    s.run("2026-11-27")
    for row in s.rows["accounts"][:5]:
        row["status"] = "written_off"
    with pytest.raises(
        FeedError,
        match=r"moves the active balance from 100000.00 to 50000.00 \(-50.0%, more than "
        r"max_balance_shift 20%\)",
    ):
        s.run("2026-11-28")
    assert s.query("select count(*) as n from collections.account where status = 'written_off'")[0]["n"] == 0


def test_the_gates_leave_small_books_alone(db, tmp_path):
    s = Scenario(db, tmp_path)  # standard policy: gates from 1,000 accounts
    s.account("A1", first_due="2026-11-01")
    s.run("2026-11-27")
    s.run("2026-11-28")  # the same snapshot again: normal for a quiet, tiny book
    assert s.case("A1", "2026-11-28")["dpd"] == 27
