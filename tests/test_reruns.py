"""SPEC sections 6-7: reruns are no-ops, portfolio-limited runs touch nothing else, stages, dry runs."""

from __future__ import annotations

from tests.scenario import Scenario

DAYS = ("2026-11-25", "2026-11-26", "2026-11-27", "2026-11-28")


def _book(s: Scenario) -> Scenario:
    shared = s.customer("SHARED")
    for i, portfolio in enumerate(["P1", "P1", "P2", "P2", "P3"]):
        s.account(f"A{i}", portfolio=portfolio, first_due="2026-07-01", months=6, amount="2000.00")
    s.account("B1", portfolio="P1", customer=shared, first_due="2026-11-01", months=2)
    s.account("B2", portfolio="P2", customer=shared, first_due="2026-11-10", months=2)
    s.event("e1", "A2", "2026-11-26T10:00:00+08:00", "promise_to_pay", "100.00", "2026-12-10")
    s.pay("p1", "A3", "2026-11-26T10:00:00+08:00", "2000.00")
    return s


def _portfolio_rows(s: Scenario, portfolio: str) -> tuple[list, list]:
    cases = s.query(
        "select * from collections.case_day where portfolio = %(p)s order by as_of, case_id", {"p": portfolio}
    )
    actions = s.query(
        "select a.* from collections.action a join collections.account acc using (account_id) "
        "where acc.portfolio = %(p)s order by as_of, case_id, kind",
        {"p": portfolio},
    )
    return cases, actions


def test_rerunning_a_day_leaves_the_views_unchanged(db, tmp_path):
    s = _book(Scenario(db, tmp_path))
    for day in DAYS:
        s.run(day)
    once = s.views()
    assert once[0] and once[1]
    s.run(DAYS[-1])  # the whole day again
    assert s.views() == once
    s.run(DAYS[-1], portfolios=["P2"])  # one portfolio again
    assert s.views() == once
    s.run(DAYS[-2])  # an earlier day again
    assert s.views() == once


def test_a_portfolio_limited_run_changes_no_row_of_another_portfolio(db, tmp_path):
    s = _book(Scenario(db, tmp_path))
    for day in DAYS[:-1]:
        s.run(day)
    before_p1, before_p3 = _portfolio_rows(s, "P1"), _portfolio_rows(s, "P3")
    # a data fix arrives for every portfolio, but only P2 is rerun
    s.pay("fix1", "A0", "2026-11-27T10:00:00+08:00", "10000.00")
    s.pay("fix2", "A2", "2026-11-27T10:00:00+08:00", "10000.00")
    s.run(DAYS[-2], portfolios=["P2"])
    assert _portfolio_rows(s, "P1") == before_p1
    assert _portfolio_rows(s, "P3") == before_p3
    assert s.query("select count(*) as n from collections.repayment where payment_id = 'fix1'")[0]["n"] == 0
    assert s.case("A2", DAYS[-2])["status"] == "cured"
    # ... and the untouched portfolio picks the fix up when it runs
    s.run(DAYS[-2], portfolios=["P1"])
    assert s.case("A0", DAYS[-2])["status"] == "cured"


def test_rerun_after_a_data_fix_recomputes_the_day(db, tmp_path):
    s = _book(Scenario(db, tmp_path))
    s.run(DAYS[0])
    assert s.case("A0", DAYS[0])["status"] == "open"
    s.pay("late", "A0", "2026-11-24T10:00:00+08:00", "12000.00")  # arrived late, belongs to the day
    s.run(DAYS[0])
    # exactly as one run with the fixed data: the account was never overdue that day
    assert s.case("A0", DAYS[0]) is None
    assert s.actions("A0", DAYS[0]) == []


def test_stages_param_limits_which_stages_act(db, tmp_path):
    s = _book(Scenario(db, tmp_path))
    s.run(DAYS[0], stages=["call"])
    kinds = {a["kind"] for a in s.query("select kind from collections.action")}
    assert kinds == {"call"}
    assert s.query("select count(*) as n from collections.case_day")[0]["n"] == 7  # all cases evaluated
    before = s.views()[1]
    s.run(DAYS[0], stages=["visit", "legal"])
    after = s.views()[1]
    assert set(before) <= set(after)  # the calls stay
    assert {a["kind"] for a in s.query("select kind from collections.action")} == {"call", "legal"}


def test_dry_run_records_but_does_not_use_up_a_once_per_case_action(db, tmp_path):
    s = _book(Scenario(db, tmp_path))
    s.run(DAYS[0], dry_run=True)
    legal = s.query("select status, dry_run from collections.action_log where kind = 'legal' and account_id = 'A0'")
    assert legal == [{"status": "awaiting_approval", "dry_run": True}]  # what would wait for a decision
    s.run(DAYS[1])
    assert s.action("A0", DAYS[1], "legal")["status"] == "awaiting_approval"  # the real referral
    s.run(DAYS[2])
    assert s.action("A0", DAYS[2], "legal") is None


def test_a_rerun_keeps_an_action_already_handed_to_a_partner(db, tmp_path):
    s = _book(Scenario(db, tmp_path))
    s.run(DAYS[0])
    s.query("update collections.action_log set status = 'sent' where account_id = 'A0' and kind = 'legal' returning 1")
    s.pay("late", "A0", "2026-11-24T10:00:00+08:00", "12000.00")
    s.run(DAYS[0])
    assert s.case("A0", DAYS[0]) is None
    assert s.actions("A0", DAYS[0]) == [s.action("A0", DAYS[0], "legal")]
    assert s.action("A0", DAYS[0], "legal")["status"] == "sent"  # a fact: never replaced, never resent


def test_a_rerun_keeps_the_superseded_evaluation_readable_with_the_run_that_wrote_it(db, tmp_path):
    s = _book(Scenario(db, tmp_path))
    s.run(DAYS[0])
    first = s.query(
        "select status, stage, dpd, run_id from collections.case_state where account_id = 'A0' and as_of = %(d)s",
        {"d": DAYS[0]},
    )[0]
    legal = s.query("select idempotency_key, status from collections.action_log where account_id = 'A0'")
    assert first["status"] == "open" and first["run_id"].startswith("run_day__") and legal
    s.pay("late", "A0", "2026-11-24T10:00:00+08:00", "12000.00")  # the data fix
    s.run(DAYS[0])
    rerun = s.query("select distinct run_id from collections.case_state where as_of = %(d)s", {"d": DAYS[0]})
    assert len(rerun) == 1 and rerun[0]["run_id"] != first["run_id"]
    # the view shows the fixed day; the history keeps what the first run decided, and who replaced it
    assert s.case("A0", DAYS[0]) is None
    history = s.query(
        "select status, stage, dpd, run_id, superseded_by from collections.case_day_history "
        "where account_id = 'A0' and as_of = %(d)s",
        {"d": DAYS[0]},
    )
    assert history == [{**first, "superseded_by": rerun[0]["run_id"]}]
    kept = s.query(
        "select row_data ->> 'idempotency_key' as idempotency_key, row_data ->> 'status' as status "
        "from collections.superseded where entity = 'action_log' and account_id = 'A0'"
    )
    assert sorted(kept, key=str) == sorted(legal, key=str)
    # every other case of the day was superseded once, by the rerun, and its current row is the rerun's
    counts = s.query(
        "select count(*) filter (where superseded_at is null) as current, "
        "count(*) filter (where superseded_by = %(r)s) as replaced from collections.case_day_history "
        "where as_of = %(d)s",
        {"d": DAYS[0], "r": rerun[0]["run_id"]},
    )[0]
    assert counts == {"current": 6, "replaced": 7}


def test_a_dry_run_of_a_day_keeps_the_real_actions_still_waiting_to_go_out(db, tmp_path):
    s = _book(Scenario(db, tmp_path))
    s.run(DAYS[0])
    waiting = "select idempotency_key, kind, status from collections.action_log where not dry_run order by 1"
    real = s.query(waiting)
    assert real and {r["status"] for r in real} & {"planned", "deferred"}  # the outbox still holds some
    s.run(DAYS[0], dry_run=True)
    assert s.query(waiting) == real
