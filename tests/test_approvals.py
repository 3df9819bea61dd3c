"""Approvals for the steps that cannot be taken back (SPEC 11), below Airflow: what an answer means,
what waits, what a decision does to the actions and the audit trail, what a rerun keeps, and that
only approved actions reach the partner. The live human-in-the-loop run: tests/test_live_approvals.py."""

from __future__ import annotations

from decimal import Decimal

import pendulum
import pytest

from debt_collections import plan
from debt_collections.domain import approvals
from debt_collections.domain.approvals import APPROVE_ALL, Awaiting, read_answer
from debt_collections.errors import ConfigError
from debt_collections.policy.loader import load_policy
from debt_collections.store import outbox
from tests.scenario import STANDARD, Scenario
from tests.test_delivery import clients, faults, sim_log

DAY = "2026-09-01"  # three installments of 2000.00 unpaid since June: dpd 92, 6000.00 overdue, legal
NOW = pendulum.datetime(2026, 9, 2, 10, tz="Asia/Shanghai")


def item(account: str, key: str | None = None) -> Awaiting:
    return Awaiting(key or f"{account}:legal", account, DAY, "legal", 92, Decimal("6000.00"), "CNY")


LISTED = [item("A1"), item("A2"), item("A3")]


# -- what an answer means (domain/approvals.py) ------------------------------------------------------


def test_approve_all_approves_every_listed_action_and_leaves_nothing_undecided():
    got = read_answer(LISTED, [APPROVE_ALL], [], None)
    assert (got.approve, got.reject, got.undecided, got.problems) == (
        ("A1:legal", "A2:legal", "A3:legal"),
        (),
        (),
        (),
    )


def test_an_answer_approves_by_label_or_account_rejects_with_its_reason_and_leaves_the_rest():
    got = read_answer(LISTED, [approvals.label(LISTED[0])], ["A2"], " paid in branch ")
    assert (got.approve, got.reject, got.reason, got.undecided, got.problems) == (
        ("A1:legal",),
        ("A2:legal",),
        "paid in branch",
        ("A3:legal",),
        (),
    )


def test_a_rejection_without_a_reason_and_an_action_both_approved_and_rejected_stay_undecided():
    no_reason = read_answer(LISTED, ["A1"], ["A2"], "  ")
    assert (no_reason.approve, no_reason.reject, no_reason.undecided) == (("A1:legal",), (), ("A2:legal", "A3:legal"))
    assert no_reason.problems == ("1 rejection(s) without a reason: left undecided (a rejection needs one)",)
    both = read_answer(LISTED, [APPROVE_ALL], ["A3"], "wrong address")
    assert (both.approve, both.reject, both.undecided) == (("A1:legal", "A2:legal"), (), ("A3:legal",))
    assert both.problems == ("1 action(s) both approved and rejected: left undecided",)


def test_an_account_not_listed_is_named_and_decides_nothing():
    got = read_answer(LISTED, ["A9"], [], None)
    assert (got.approve, got.undecided) == ((), ("A1:legal", "A2:legal", "A3:legal"))
    assert got.problems == ("approved 'A9' is not one of the listed actions (give an account id of the list)",)


def test_the_request_names_the_count_the_amounts_and_links_to_the_list():
    subject, body = approvals.request_text("P1", LISTED, "/collections/approvals?portfolio=P1")
    assert subject == "P1: 3 legal action(s) to approve, 18,000.00 CNY overdue"
    assert "| A2 | legal | 2026-09-01 | 92 | 6,000.00 CNY |" in body
    assert body.endswith("[The list in the Collections view](/collections/approvals?portfolio=P1)")


def test_an_answer_is_read_value_by_value():
    # blanks skipped, several accounts approved, the reason kept only with a rejection
    got = read_answer(LISTED, ["", "A1", "A2"], [], "not needed")
    assert (got.approve, got.reject, got.reason, got.undecided, got.problems) == (
        ("A1:legal", "A2:legal"),
        (),
        "",
        ("A3:legal",),
        (),
    )
    unknown = read_answer(LISTED, [], ["A9"], "gone")
    assert unknown.problems == ("rejected 'A9' is not one of the listed actions (give an account id of the list)",)
    no_reason = read_answer(LISTED, [], ["A1"], None)
    assert (no_reason.reject, no_reason.reason, no_reason.undecided) == ((), "", ("A1:legal", "A2:legal", "A3:legal"))


def test_an_action_waiting_reads_as_the_approver_sees_it():
    row = {"idempotency_key": "k1", "account_id": "A1", "as_of": DAY, "kind": "legal", "dpd": 92}
    bare = Awaiting.from_row(row)
    assert bare == Awaiting("k1", "A1", DAY, "legal", 92, None, "")
    assert approvals.label(bare) == "A1 · legal of 2026-09-01 · dpd 92 · - overdue"
    full = Awaiting.from_row({**row, "overdue_amount": "6000.5", "currency": "CNY"})
    assert full.overdue_amount == Decimal("6000.50")
    assert approvals.label(full) == "A1 · legal of 2026-09-01 · dpd 92 · 6,000.50 CNY overdue"
    assert approvals.money(Decimal("1234.5"), "") == "1,234.50"


def test_the_request_reads_whole():
    subject, body = approvals.request_text("P1", [item("A1"), item("A2")], None)
    assert subject == "P1: 2 legal action(s) to approve, 12,000.00 CNY overdue"
    assert body == (
        "These actions of **P1** cannot be taken back once sent. Choose the ones to approve (or *Approve all "
        "listed*); to reject some, list their account ids under *reject* and give the *reason*. What you leave "
        "undecided waits and is asked about again the next day.\n\n"
        "| account | action | planned for | dpd | overdue |\n|---|---|---|---|---|\n"
        "| A1 | legal | 2026-09-01 | 92 | 6,000.00 CNY |\n| A2 | legal | 2026-09-01 | 92 | 6,000.00 CNY |\n\n"
        "Total overdue: **12,000.00 CNY**."
    )


def test_a_request_of_two_kinds_without_a_currency_or_an_amount_reads_whole():
    listed = [
        Awaiting("k1", "A1", DAY, "legal", 92, None, ""),
        Awaiting("k2", "A2", DAY, "repossession", 120, Decimal("10.00"), ""),
    ]
    subject, body = approvals.request_text("P2", listed, None)
    assert subject == "P2: 2 legal and repossession action(s) to approve, 10.00 overdue"
    assert body.endswith(
        "| A1 | legal | 2026-09-01 | 92 | - |\n| A2 | repossession | 2026-09-01 | 120 | 10.00 |\n\n"
        "Total overdue: **10.00**."
    )


def test_the_shipped_policies_ask_for_approval_of_legal_referrals_and_repossessions():
    asked = {
        name: [r.stage for r in load_policy(STANDARD.with_name(f"{name}.yaml")).approval_rungs]
        for name in ("standard", "subprime", "lease")
    }
    assert asked == {"standard": ["legal"], "subprime": ["repossession", "legal"], "lease": ["legal"]}


def test_an_approval_setting_out_of_range_is_refused_naming_the_key(tmp_path):
    text = STANDARD.read_text(encoding="utf-8").replace(
        "approval: {required: true, timeout_hours: 24}", "approval: {required: true, timeout_hours: 0}"
    )
    bad = tmp_path / "standard.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="timeout_hours"):
        load_policy(bad)


# -- in the database ------------------------------------------------------------------------------


def three_in_legal(s: Scenario) -> None:
    for account in ("A1", "A2", "A3"):
        s.account(account, first_due="2026-06-01", months=6, amount="2000.00")
    s.account("N1", first_due="2026-08-01", months=6, amount="2000.00")  # dpd 31: a visit, no approval


def test_a_referral_waits_for_a_decision_and_nothing_goes_to_the_partner(db, tmp_path, simulator):
    s = Scenario(db, tmp_path)
    three_in_legal(s)
    s.run(DAY)
    waiting = s.query("select account_id, status, approved_by from collections.action where kind = 'legal' order by 1")
    assert waiting == [
        {"account_id": a, "status": "awaiting_approval", "approved_by": None} for a in ("A1", "A2", "A3")
    ]
    assert s.action("N1", DAY, "visit")["status"] == "planned"  # a visit needs no decision
    assert plan.waiting_for_approval(db, s.policy) == ["P1"]
    # the outbox sends what may go out: the visit, never a referral that waits
    sent = plan.send_approved(db, s.policy, "P1", clients(simulator), NOW)
    assert sent == {"sent": 0, "failed": 0, "deferred": 0, "waiting": 0}
    for kind in ("visit", "legal"):
        plan.send_waiting(db, s.policy, plan.Waiting("P1", pendulum.Date(2026, 9, 1), kind), clients(simulator))
    _, accepted = sim_log(simulator)
    assert sorted(a["key"].split(":")[1] for a in accepted) == ["visit"]


def test_the_approval_task_logs_say_what_was_listed_decided_and_sent(db, tmp_path, simulator, caplog):
    """What an operator reads in the approvals DAG's task logs, and what a request nobody answered leaves."""
    s = Scenario(db, tmp_path)
    three_in_legal(s)
    s.run(DAY)
    caplog.set_level("INFO", logger="debt_collections.plan")
    caplog.clear()  # the run's own lines (captured when logging is already at INFO, as after an Airflow test)
    listed = plan.approval_request(db, s.policy, "P1")
    assert plan.no_answer("P1", listed) == plan.Decided("P1", 3, undecided=3, timed_out=True)
    decided = plan.apply_answer(
        db, "P1", listed, read_answer(listed, ["A1"], [], None), decided_by="lead", via="collections_view"
    )
    assert decided == plan.Decided("P1", 3, approved=1, undecided=2, decided_by="lead")
    plan.send_approved(db, s.policy, "P1", clients(simulator), NOW)
    assert [r.getMessage() for r in caplog.records if r.name == "debt_collections.plan"] == [
        "approvals portfolio=P1 listed=3",
        "approvals portfolio=P1: no decision in time; 3 action(s) stay awaiting_approval",
        "approvals portfolio=P1 by=lead via=collections_view approved=1 rejected=0 undecided=2 decided_before=0",
        "approvals portfolio=P1 send sent=1 failed=0 deferred=0 waiting=0",
    ]


def test_a_rerun_after_a_referral_went_out_evaluates_the_case_as_the_first_run_did(db, tmp_path, simulator):
    # a referral acts once per case: the one sent today is not "an earlier one" on a rerun of today
    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-06-01", months=6, amount="2000.00")
    s.run(DAY)
    listed = plan.approval_request(db, s.policy, "P1")
    plan.apply_answer(
        db, "P1", listed, read_answer(listed, [APPROVE_ALL], [], None), decided_by="al", via="collections_view", now=NOW
    )
    assert plan.send_approved(db, s.policy, "P1", clients(simulator), NOW)["sent"] == 1
    first = s.query("select stage, status, action_due from collections.case_state")
    s.run(DAY)
    assert s.query("select stage, status, action_due from collections.case_state") == first
    assert first == [{"stage": "legal", "status": "open", "action_due": True}]


def test_approving_some_sends_exactly_those_and_a_rejection_keeps_its_reason_and_reviewer(db, tmp_path, simulator):
    s = Scenario(db, tmp_path)
    three_in_legal(s)
    s.run(DAY)
    listed = plan.approval_request(db, s.policy, "P1")
    assert [i.account_id for i in listed] == ["A1", "A2", "A3"]
    answer = read_answer(listed, ["A1"], ["A2"], "customer in hospital, agreed a plan by phone")
    done = plan.apply_answer(db, "P1", listed, answer, decided_by="alice", via="airflow", request="r/1", now=NOW)
    assert (done.approved, done.rejected, done.undecided, done.decided_before) == (1, 1, 1, 0)

    got = {
        r["account_id"]: (r["status"], r["reason"], r["approved_by"])
        for r in s.query("select * from collections.action where kind = 'legal'")
    }
    assert got == {
        "A1": ("planned", None, "alice"),
        "A2": ("rejected", "customer in hospital, agreed a plan by phone", None),
        "A3": ("awaiting_approval", None, None),
    }
    trail = s.query(
        "select account_id, decision, reason, decided_by, via, request, decided_at from collections.approval_decision "
        "order by account_id"
    )
    assert [(t["account_id"], t["decision"], t["reason"], t["decided_by"], t["via"], t["request"]) for t in trail] == [
        ("A1", "approved", None, "alice", "airflow", "r/1"),
        ("A2", "rejected", "customer in hospital, agreed a plan by phone", "alice", "airflow", "r/1"),
    ]
    assert {t["decided_at"] for t in trail} == {NOW}

    # a second answer to the same list (another request, or the Collections view) decides only what still waits
    again = plan.apply_answer(
        db, "P1", listed, read_answer(listed, [APPROVE_ALL], [], None), decided_by="bob", via="collections_view"
    )
    assert (again.approved, again.decided_before) == (1, 2)  # A3 now; A1 and A2 stay as alice decided

    sent = plan.send_approved(db, s.policy, "P1", clients(simulator), NOW)
    assert sent["sent"] == 2
    _, accepted = sim_log(simulator)
    assert sorted(a["key"] for a in accepted) == sorted(
        r["idempotency_key"]
        for r in s.query("select idempotency_key from collections.action_log where account_id in ('A1', 'A3')")
    )
    assert plan.send_approved(db, s.policy, "P1", clients(simulator), NOW)["sent"] == 0  # nothing twice


def test_an_undecided_referral_is_listed_again_the_next_day_and_never_planned_twice(db, tmp_path):
    s = Scenario(db, tmp_path)
    three_in_legal(s)
    s.run(DAY)
    s.run("2026-09-02")
    listed = plan.approval_request(db, s.policy, "P1")
    assert [(i.account_id, i.as_of) for i in listed] == [("A1", DAY), ("A2", DAY), ("A3", DAY)]
    assert s.query("select count(*) as n from collections.action where kind = 'legal'")[0]["n"] == 3
    assert s.case("A1", "2026-09-02")["stage"] == "legal"


def test_a_rerun_keeps_the_decisions_and_supersedes_nothing_it_should_keep(db, tmp_path):
    s = Scenario(db, tmp_path)
    three_in_legal(s)
    s.run(DAY)
    listed = plan.approval_request(db, s.policy, "P1")
    plan.apply_answer(
        db, "P1", listed, read_answer(listed, ["A1"], ["A2"], "disputed"), decided_by="alice", via="airflow"
    )
    before = s.query(
        "select account_id, status, reason, approved_by from collections.action where kind = 'legal' order by 1"
    )
    s.run(DAY)  # the rerun plans the day again: the decisions stand
    after = s.query(
        "select account_id, status, reason, approved_by from collections.action where kind = 'legal' order by 1"
    )
    assert after == before
    assert (
        s.query(
            "select count(*) as n from collections.superseded where entity = 'action_log' "
            "and row_data->>'kind' = 'legal'"
        )[0]["n"]
        == 3
    )


def test_a_case_cured_before_anyone_decided_is_not_listed(db, tmp_path):
    s = Scenario(db, tmp_path)
    three_in_legal(s)
    s.run(DAY)
    s.pay("p1", "A1", "2026-09-02T10:00:00+08:00", "8000.00")  # June to September: all that was due
    s.run("2026-09-02")
    assert s.case("A1", "2026-09-02")["status"] == "cured"
    assert [i.account_id for i in plan.approval_request(db, s.policy, "P1")] == ["A2", "A3"]


def test_an_approval_answered_after_the_case_changed_sends_nothing_the_day_would_not(db, tmp_path, simulator):
    """A request may be answered a day or more after it was asked (its timeout is up to two weeks), with the list
    as it was asked: approving it still sends no referral for a case cured since, put on hold, or under a promise
    (SPEC 4 and 11). The send-time rules look at the case's latest evaluation; the decision stays on record."""
    s = Scenario(db, tmp_path)
    three_in_legal(s)
    s.account("A4", first_due="2026-06-01", months=6, amount="2000.00")  # nothing changes: its referral goes
    s.run(DAY)
    listed = plan.approval_request(db, s.policy, "P1")
    assert [i.account_id for i in listed] == ["A1", "A2", "A3", "A4"]
    s.pay("p1", "A1", "2026-09-02T09:00:00+08:00", "8000.00")  # June to September: cured
    s.event("e2", "A2", "2026-09-02T09:00:00+08:00", "dispute")
    s.event("e3", "A3", "2026-09-02T09:00:00+08:00", "promise_to_pay", "2000.00", "2026-09-09")
    s.run("2026-09-02")
    latest = s.query(
        "select status, hold_reason, suppress_reason from collections.case_state where as_of = '2026-09-02' "
        "and account_id in ('A1', 'A2', 'A3') order by account_id"
    )
    assert [tuple(c.values()) for c in latest] == [
        ("cured", None, None),
        ("on_hold", "dispute", None),
        ("open", None, "promise_to_pay"),
    ]
    # a request asked now lists only the referral the day would still plan
    assert [i.account_id for i in plan.approval_request(db, s.policy, "P1")] == ["A4"]
    answer = read_answer(listed, [APPROVE_ALL], [], None)  # the answer to the request of the day before
    assert plan.apply_answer(db, "P1", listed, answer, decided_by="lead", via="airflow", now=NOW).approved == 4
    assert plan.send_approved(db, s.policy, "P1", clients(simulator), NOW)["sent"] == 1
    got = {
        r["account_id"]: (r["status"], r["reason"], r["approved_by"])
        for r in s.query("select * from collections.action_log where kind = 'legal' and as_of = %(d)s", {"d": DAY})
    }
    assert got == {
        "A1": ("suppressed", "case_cured", "lead"),
        "A2": ("suppressed", "dispute", "lead"),
        "A3": ("suppressed", "promise_to_pay", "lead"),
        "A4": ("sent", None, "lead"),
    }
    _, accepted = sim_log(simulator)
    assert [a["key"].split("-")[1] for a in accepted] == ["A4"]


def test_a_referral_deferred_while_the_law_firm_was_down_is_the_cases_one_and_not_planned_again(
    db, tmp_path, simulator
):
    """Approved, then deferred (the law firm's circuit open): it goes with the next delivery, so it is the
    case's one referral, and the next day plans no second one for a person to approve and send twice."""
    s = Scenario(db, tmp_path)
    for account in ("A1", "A2"):
        s.account(account, first_due="2026-06-01", months=6, amount="2000.00")
    s.run(DAY)
    s.approve_all("lead")
    faults(simulator, error_rate=1.0)
    down = clients(simulator, attempts=1, breaker=1)  # A1's request fails and opens the circuit; A2 waits
    assert outbox.deliver(db, "P1", pendulum.Date(2026, 9, 1), "legal", down, now=NOW, concurrency=1) == {
        "sent": 0,
        "failed": 1,
        "deferred": 1,
        "waiting": 0,
    }
    assert s.action("A2", DAY, "legal")["status"] == "deferred"
    s.run("2026-09-02")
    assert s.action("A2", "2026-09-02", "legal") is None
    due = s.query("select action_due from collections.case_state where account_id = 'A2' and as_of = '2026-09-02'")
    assert due == [{"action_due": False}]


def test_a_dry_run_plans_no_referral_for_anyone_to_approve(db, tmp_path):
    s = Scenario(db, tmp_path)
    three_in_legal(s)
    s.run(DAY, dry_run=True)
    assert plan.waiting_for_approval(db, s.policy) == []
