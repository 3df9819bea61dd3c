"""SPEC section 4 (cases and the default ladder), each rule through the real SQL."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.scenario import Scenario, d

DAY = "2026-11-28"


def overdue_by(s: Scenario, account_id: str, dpd: int, amount: str = "1000.00", **kw) -> str:
    """An account whose single installment fell due ``dpd`` days before DAY."""
    return s.account(account_id, first_due=d(DAY).subtract(days=dpd).to_date_string(), months=1, amount=amount, **kw)


@pytest.mark.parametrize(
    ("dpd", "amount", "stage", "bucket"),
    [
        (1, "1000.00", "notice", "M1"),
        (7, "1000.00", "notice", "M1"),
        (8, "1000.00", "call", "M1"),
        (30, "1000.00", "call", "M1"),
        (31, "1000.00", "visit", "M2"),
        (91, "4999.99", "visit", "M4"),
        (91, "5000.00", "legal", "M4"),
        (200, "9000.00", "legal", "M7+"),
    ],
)
def test_stage_is_the_highest_rung_whose_entry_holds(db, tmp_path, dpd, amount, stage, bucket):
    s = Scenario(db, tmp_path)
    overdue_by(s, "A1", dpd, amount)
    s.run(DAY)
    case = s.case("A1", DAY)
    assert (case["dpd"], case["stage"], case["bucket"], case["status"]) == (dpd, stage, bucket, "open")
    assert case["overdue_amount"] == Decimal(amount)
    assert case["case_id"] == "C-A1-20261128"


def test_a_rung_with_no_amount_threshold_takes_any_amount_past_the_tolerance(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.policy = s.policy.model_copy(update={"tolerance": Decimal("0.10")})
    overdue_by(s, "A1", 1, amount="0.50")
    s.run(DAY)
    case = s.case("A1", DAY)
    assert (case["overdue_amount"], case["stage"]) == (Decimal("0.50"), "notice")


def test_not_overdue_or_inactive_accounts_open_no_case(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account("PAID", first_due="2026-11-01", months=1)
    s.pay("p", "PAID", "2026-11-01T10:00:00+08:00", "1000.00")
    overdue_by(s, "CLOSED", 10, status="closed")
    overdue_by(s, "WO", 10, status="written_off")
    s.run(DAY)
    assert s.query("select count(*) as n from collections.case_day")[0]["n"] == 0


def test_one_action_per_stage_kind_with_channel_template_and_assignee(db, tmp_path):
    s = Scenario(db, tmp_path)
    overdue_by(s, "N", 1, customer=s.customer("CN", region="north", language="en"))
    overdue_by(s, "L", 1, customer=s.customer("CL", phone=None))
    overdue_by(s, "C", 8)
    overdue_by(s, "V", 31, customer=s.customer("CV", region="west"))
    overdue_by(s, "G", 95, amount="6000.00", customer=s.customer("CG", region="south"))
    s.run(DAY)
    got = {a["account_id"]: a for a in s.query("select * from collections.action where as_of = %(d)s", {"d": DAY})}
    assert len(got) == 5
    assert (got["N"]["kind"], got["N"]["channel"], got["N"]["template"], got["N"]["status"]) == (
        "notice",
        "sms",
        "notice_sms.en",
        "planned",
    )
    assert (got["L"]["kind"], got["L"]["channel"], got["L"]["template"]) == ("notice", "letter", "notice_letter.zh-CN")
    assert (got["C"]["kind"], got["C"]["channel"]) == ("call", "dialer")
    assert (got["V"]["kind"], got["V"]["assignee"]) == ("visit", "field-agent:west")
    # a legal referral cannot be taken back: it waits for a person's decision (SPEC 11)
    assert (got["G"]["kind"], got["G"]["assignee"], got["G"]["status"]) == (
        "legal",
        "law-firm:south",
        "awaiting_approval",
    )
    # the call queue entry carries a priority score (0-100: dpd and amount)
    prio = s.query("select priority from collections.action_log where account_id = 'C'")[0]["priority"]
    assert prio == Decimal("6.94")  # 8/90*50 + 1000/20000*50


def test_repeat_schedules_notice_every_3_days_call_daily_visit_every_14(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-08-01", months=12, amount="1000.00")
    s.run_days("2026-08-02", "2026-09-16")  # dpd 1 .. 46
    rows = s.query("select as_of, kind from collections.action where account_id = 'A1' order by as_of")
    by_kind: dict[str, list[int]] = {}
    for r in rows:
        by_kind.setdefault(r["kind"], []).append((r["as_of"] - d("2026-08-01")).days)  # dpd of the action
    assert by_kind["notice"] == [1, 4, 7]  # entering at dpd 1, then every 3 days
    assert by_kind["call"] == list(range(8, 31))  # every day in the call stage
    assert by_kind["visit"] == [31, 45]  # entering at dpd 31, then every 14 days
    assert "legal" not in by_kind


def test_case_id_is_stable_and_a_new_overdue_after_cure_opens_a_new_case(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-09-01", months=3)
    s.run("2026-09-02")
    s.run("2026-09-03")
    assert s.case("A1", "2026-09-02")["case_id"] == s.case("A1", "2026-09-03")["case_id"] == "C-A1-20260902"
    s.pay("p1", "A1", "2026-09-04T10:00:00+08:00", "1000.00")
    s.run("2026-09-04")
    cured = s.case("A1", "2026-09-04")
    assert (cured["status"], cured["dpd"], cured["bucket"], cured["stage"]) == ("cured", 0, "M0", None)
    s.run("2026-09-05")
    assert s.case("A1", "2026-09-05") is None  # closed case: no more rows
    s.run("2026-10-02")
    assert s.case("A1", "2026-10-02")["case_id"] == "C-A1-20261002"


@pytest.mark.parametrize("new_status", ["closed", "written_off"])
def test_account_closing_closes_its_case(db, tmp_path, new_status):
    s = Scenario(db, tmp_path)
    overdue_by(s, "A1", 40)
    s.run("2026-11-27")
    s.set_status("A1", new_status)
    s.run(DAY)
    case = s.case("A1", DAY)
    assert case["status"] == "closed"
    assert s.actions("A1", DAY) == []


def test_partial_payment_de_escalates(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-09-01", months=3)
    s.run("2026-10-05")  # Sept and Oct unpaid: dpd 34, visit
    assert s.case("A1", "2026-10-05")["stage"] == "visit"
    s.pay("p1", "A1", "2026-10-06T10:00:00+08:00", "1000.00")  # pays September
    s.run("2026-10-06")
    case = s.case("A1", "2026-10-06")
    assert (case["dpd"], case["stage"]) == (5, "notice")
    assert [a["kind"] for a in s.actions("A1", "2026-10-06")] == ["notice"]  # re-entering notice sends one


def test_legal_is_sticky_and_referred_once(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-06-01", months=6, amount="2000.00")
    s.run("2026-09-01")  # June..Aug unpaid: dpd 92, overdue 6000 -> legal
    assert s.case("A1", "2026-09-01")["stage"] == "legal"
    assert s.action("A1", "2026-09-01", "legal")["status"] == "awaiting_approval"
    s.pay("p1", "A1", "2026-09-02T10:00:00+08:00", "4000.00")  # June and July paid: dpd 32, 2000 overdue
    s.run("2026-09-02")
    case = s.case("A1", "2026-09-02")
    assert (case["dpd"], case["stage"]) == (32, "legal")  # would be visit, but legal is sticky
    assert s.actions("A1", "2026-09-02") == []  # the referral was planned once (it waits for a decision)
    s.run("2026-09-03")
    assert s.actions("A1", "2026-09-03") == []
    s.pay("p2", "A1", "2026-09-04T10:00:00+08:00", "4000.00")
    s.run("2026-09-04")
    assert s.case("A1", "2026-09-04")["status"] == "cured"


def test_legal_stays_even_when_its_referral_could_not_be_sent(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-06-01", months=6, amount="2000.00")
    s.event("e1", "A1", "2026-08-30T10:00:00+08:00", "promise_to_pay", "2000.00", "2026-09-05")
    s.run("2026-09-01")
    assert s.case("A1", "2026-09-01")["stage"] == "legal"
    assert s.action("A1", "2026-09-01", "legal")["status"] == "suppressed"
    s.pay("p1", "A1", "2026-09-02T10:00:00+08:00", "2000.00")  # promise kept, dpd falls to 62
    s.run("2026-09-02")
    assert s.case("A1", "2026-09-02")["stage"] == "legal"
    # after the promise, the referral that never went out is due again
    s.run("2026-09-06")
    assert s.action("A1", "2026-09-06", "legal")["status"] == "awaiting_approval"


@pytest.mark.parametrize("kind", ["dispute", "bankruptcy", "deceased"])
def test_holds_compute_but_take_no_action(db, tmp_path, kind):
    s = Scenario(db, tmp_path)
    overdue_by(s, "A1", 40)
    s.event("e1", "A1", "2026-11-20T10:00:00+08:00", kind)
    s.run(DAY)
    case = s.case("A1", DAY)
    assert (case["status"], case["hold_reason"], case["dpd"], case["stage"]) == ("on_hold", kind, 40, "visit")
    assert s.actions("A1", DAY) == []


@pytest.mark.parametrize(("hold", "lift"), [("dispute", "dispute_resolved"), ("bankruptcy", "bankruptcy_dismissed")])
def test_the_lifting_event_lifts_its_hold_from_its_day_on(db, tmp_path, hold, lift):
    s = Scenario(db, tmp_path)
    overdue_by(s, "A1", 10)
    s.event("e1", "A1", "2026-11-20T10:00:00+08:00", hold)
    s.event("e2", "A1", "2026-11-28T09:00:00+08:00", lift)
    s.run("2026-11-27")  # the lift is dated the next day: the hold stands
    before = s.case("A1", "2026-11-27")
    assert (before["status"], before["hold_reason"]) == ("on_hold", hold)
    s.run(DAY)
    case = s.case("A1", DAY)
    assert (case["status"], case["hold_reason"]) == ("open", None)
    assert [a["kind"] for a in s.actions("A1", DAY)] == ["call"]


def test_a_bankruptcy_filed_again_after_a_dismissal_holds_again(db, tmp_path):
    s = Scenario(db, tmp_path)
    overdue_by(s, "A1", 10)
    s.event("e1", "A1", "2026-11-10T10:00:00+08:00", "bankruptcy")
    s.event("e2", "A1", "2026-11-15T10:00:00+08:00", "bankruptcy_dismissed")
    s.event("e3", "A1", "2026-11-25T10:00:00+08:00", "bankruptcy")
    s.run(DAY)
    assert s.case("A1", DAY)["hold_reason"] == "bankruptcy" and s.actions("A1", DAY) == []


def test_contact_allowed_lifts_cease_contact_from_its_day_on(db, tmp_path):
    s = Scenario(db, tmp_path)
    overdue_by(s, "C", 9)  # in the call stage (daily) on both days
    s.event("e1", "C", "2026-11-01T10:00:00+08:00", "cease_contact")
    s.event("e2", "C", "2026-11-28T08:00:00+08:00", "contact_allowed")
    s.run("2026-11-27")  # the lift is dated the next day: still ceased
    before = s.action("C", "2026-11-27", "call")
    assert (before["status"], before["reason"]) == ("suppressed", "cease_contact")
    s.run(DAY)
    call = s.action("C", DAY, "call")
    assert (call["status"], call["reason"]) == ("planned", None)


@pytest.mark.parametrize(
    ("hold", "lift"),
    [("dispute", "dispute_resolved"), ("bankruptcy", "bankruptcy_dismissed"), ("cease_contact", "contact_allowed")],
)
def test_a_lift_at_the_same_instant_as_its_hold_lifts_it(db, tmp_path, hold, lift):
    s = Scenario(db, tmp_path)
    overdue_by(s, "A1", 10)
    s.event("e1", "A1", "2026-11-20T10:00:00+08:00", hold)
    s.event("e2", "A1", "2026-11-20T10:00:00+08:00", lift)  # "from its at on": the same instant included
    s.run(DAY)
    case = s.case("A1", DAY)
    assert (case["status"], case["hold_reason"]) == ("open", None)
    assert [(a["kind"], a["status"]) for a in s.actions("A1", DAY)] == [("call", "planned")]  # not ceased either


def test_event_after_as_of_in_policy_timezone_is_not_applied(db, tmp_path):
    s = Scenario(db, tmp_path)
    overdue_by(s, "A1", 10)
    s.event("e1", "A1", "2026-11-28T16:30:00Z", "dispute")  # 00:30 on 11-29 in Shanghai
    s.run(DAY)
    assert s.case("A1", DAY)["status"] == "open"


def actions_on_every_rung_with_event(s: Scenario, *event: str) -> dict[str, tuple]:
    """One account per rung (notice, call, visit, legal), each with the same event; kind -> (status, reason)."""
    for account, dpd, amount in (("N", 1, "1000.00"), ("C", 8, "1000.00"), ("V", 31, "1000.00"), ("G", 95, "6000.00")):
        overdue_by(s, account, dpd, amount)
        s.event(f"e{account}", account, *event)
    s.run(DAY)
    return {a["kind"]: (a["status"], a["reason"]) for a in s.query("select * from collections.action")}


def test_cease_contact_suppresses_contact_but_not_legal(db, tmp_path):
    got = actions_on_every_rung_with_event(Scenario(db, tmp_path), "2026-11-01T10:00:00+08:00", "cease_contact")
    assert got == {
        "notice": ("suppressed", "cease_contact"),
        "call": ("suppressed", "cease_contact"),
        "visit": ("suppressed", "cease_contact"),
        "legal": ("awaiting_approval", None),  # allowed, and waits for a person's decision (SPEC 11)
    }


def test_promise_to_pay_suppresses_escalation_but_not_notices(db, tmp_path):
    s = Scenario(db, tmp_path)
    got = actions_on_every_rung_with_event(s, "2026-11-27T10:00:00+08:00", "promise_to_pay", "500.00", "2026-12-05")
    assert got == {
        "notice": ("planned", None),
        "call": ("suppressed", "promise_to_pay"),
        "visit": ("suppressed", "promise_to_pay"),
        "legal": ("suppressed", "promise_to_pay"),
    }
    assert s.case("C", DAY)["stage"] == "call"  # the stage is computed as usual


def test_broken_promise_resumes_escalation_the_next_day(db, tmp_path):
    s = Scenario(db, tmp_path)
    overdue_by(s, "A1", 15)  # in the call stage from 11-21
    s.event("e1", "A1", "2026-11-20T10:00:00+08:00", "promise_to_pay", "1000.00", "2026-11-25")
    s.pay("p1", "A1", "2026-11-22T10:00:00+08:00", "300.00")  # short of the promised amount
    s.run("2026-11-25")
    assert s.action("A1", "2026-11-25", "call")["reason"] == "promise_to_pay"  # last day of the promise
    s.run("2026-11-26")
    assert s.action("A1", "2026-11-26", "call")["status"] == "planned"
    status = s.query("select promise_status from collections.case_state where as_of = '2026-11-26'")[0]
    assert status["promise_status"] == "broken"


def test_kept_promise_is_recorded_as_kept(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-11-10", months=2, amount="1000.00")
    s.event("e1", "A1", "2026-11-20T10:00:00+08:00", "promise_to_pay", "400.00", "2026-11-30")
    s.pay("p1", "A1", "2026-11-21T10:00:00+08:00", "500.00")  # kept, but 500 still overdue
    s.run(DAY)
    row = s.query("select promise_status, status from collections.case_state")[0]
    assert row == {"promise_status": "kept", "status": "open"}
    assert s.action("A1", DAY, "call")["reason"] == "promise_to_pay"  # active until 11-30


def test_money_paid_at_the_instant_of_the_promise_or_on_its_last_day_keeps_it(db, tmp_path):
    s = Scenario(db, tmp_path)
    for account, paid_at in (("AT_ONCE", "2026-11-27T10:00:00+08:00"), ("LAST_DAY", "2026-11-28T20:00:00+08:00")):
        s.account(account, first_due="2026-11-10", months=2, amount="1000.00")
        s.event(f"e-{account}", account, "2026-11-27T10:00:00+08:00", "promise_to_pay", "400.00", DAY)
        s.pay(f"p-{account}", account, paid_at, "400.00")
    s.run(DAY)
    rows = s.query("select account_id, promise_status from collections.case_state order by account_id")
    assert rows == [
        {"account_id": "AT_ONCE", "promise_status": "kept"},
        {"account_id": "LAST_DAY", "promise_status": "kept"},
    ]


def test_money_paid_before_the_promise_was_made_does_not_keep_it(db, tmp_path):
    # a promise is of money still to come: what was paid a second before it does not count towards it
    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-11-10", months=2, amount="1000.00")
    s.pay("p1", "A1", "2026-11-27T09:59:59+08:00", "400.00")
    s.event("e1", "A1", "2026-11-27T10:00:00+08:00", "promise_to_pay", "400.00", "2026-11-30")
    s.run(DAY)
    assert s.query("select promise_status from collections.case_state") == [{"promise_status": "pending"}]


def test_a_promise_made_today_suppresses_todays_escalation(db, tmp_path):
    s = Scenario(db, tmp_path)
    overdue_by(s, "A1", 15)  # in the call stage
    s.event("e1", "A1", f"{DAY}T09:00:00+08:00", "promise_to_pay", "1000.00", "2026-12-05")
    s.run(DAY)
    assert s.query("select suppress_reason from collections.case_state") == [{"suppress_reason": "promise_to_pay"}]
    assert s.action("A1", DAY, "call")["reason"] == "promise_to_pay"


def test_a_promise_short_on_its_last_day_is_pending_and_broken_the_day_after(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-11-10", months=2, amount="1000.00")
    s.event("e1", "A1", "2026-11-25T10:00:00+08:00", "promise_to_pay", "400.00", DAY)
    s.pay("p1", "A1", "2026-11-26T10:00:00+08:00", "100.00")
    s.run(DAY)
    s.run("2026-11-29")
    rows = s.query("select as_of, promise_status from collections.case_state order by as_of")
    assert [r["promise_status"] for r in rows] == ["pending", "broken"]


def test_payment_plan_suppresses_while_each_period_is_paid(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-10-01", months=3, amount="300.00")
    s.event("e1", "A1", "2026-10-01T10:00:00+08:00", "payment_plan", "300.00", "2027-03-01")
    s.pay("p1", "A1", "2026-10-05T10:00:00+08:00", "300.00")  # period 10-01..10-30: paid
    s.pay("p2", "A1", "2026-11-05T10:00:00+08:00", "100.00")  # period 10-31..11-29: short
    s.run("2026-11-29")  # the short period has not ended yet: still suppressed
    assert s.case("A1", "2026-11-29")["stage"] == "call"
    assert (s.action("A1", "2026-11-29", "call")["status"], s.action("A1", "2026-11-29", "call")["reason"]) == (
        "suppressed",
        "payment_plan",
    )
    s.run("2026-11-30")  # it ended on 11-29 short: the plan is broken, escalation resumes
    row = s.query("select plan_status from collections.case_state where as_of = '2026-11-30'")[0]
    assert row["plan_status"] == "broken"
    assert s.action("A1", "2026-11-30", "call")["status"] == "planned"


def test_a_paid_plan_suppresses_on_its_last_day_and_is_completed_the_day_after(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-10-01", months=3, amount="300.00")
    s.event("e1", "A1", "2026-10-01T10:00:00+08:00", "payment_plan", "300.00", "2026-11-28")
    s.pay("p1", "A1", "2026-10-05T10:00:00+08:00", "300.00")  # period 10-01..10-30: paid
    s.run("2026-11-28")  # the plan's last day: still active
    s.run("2026-11-29")
    rows = s.query("select as_of, plan_status, suppress_reason from collections.case_state order by as_of")
    assert [(r["plan_status"], r["suppress_reason"]) for r in rows] == [("active", "payment_plan"), ("completed", None)]
    assert s.action("A1", "2026-11-28", "call")["reason"] == "payment_plan"


def test_a_payment_on_the_first_day_of_the_third_period_does_not_make_up_the_second(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-10-01", months=3, amount="1000.00")
    s.event("e1", "A1", "2026-10-01T10:00:00+08:00", "payment_plan", "300.00", "2027-03-01")
    s.pay("p1", "A1", "2026-10-05T10:00:00+08:00", "300.00")  # period 10-01..10-30: paid
    s.pay("p2", "A1", "2026-11-05T10:00:00+08:00", "100.00")  # period 10-31..11-29: short
    s.pay("p3", "A1", "2026-11-30T10:00:00+08:00", "300.00")  # the first day of period 11-30..12-29
    s.run("2026-11-30")
    assert s.query("select plan_status from collections.case_state") == [{"plan_status": "broken"}]


def test_a_plan_of_one_yuan_a_period_with_nothing_paid_is_broken(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-10-01", months=3, amount="300.00")
    s.event("e1", "A1", "2026-10-01T10:00:00+08:00", "payment_plan", "1.00", "2027-03-01")
    s.run("2026-10-30")  # the first period's last day: nothing due of the plan yet
    s.run("2026-10-31")  # the first period ended with nothing paid
    rows = s.query("select plan_status from collections.case_state order by as_of")
    assert [r["plan_status"] for r in rows] == ["active", "broken"]


def test_a_cured_case_owes_nothing_and_is_0_days_past_due(db, tmp_path):
    s = Scenario(db, tmp_path)
    overdue_by(s, "A1", 10)
    s.run("2026-11-27")
    s.pay("p1", "A1", "2026-11-28T09:00:00+08:00", "1000.00")
    s.run(DAY)
    cured = s.query("select status, dpd, overdue_amount from collections.case_state where as_of = %(d)s", {"d": DAY})
    assert cured == [{"status": "cured", "dpd": 0, "overdue_amount": 0}]


def test_each_portfolios_actions_are_planned_under_it(db, tmp_path):
    s = Scenario(db, tmp_path)
    for portfolio in ("P1", "P2", "P3"):
        overdue_by(s, f"{portfolio}-A", 10, portfolio=portfolio)
    s.run(DAY)
    rows = s.query(
        "select al.portfolio, a.portfolio as account_portfolio from collections.action_log al"
        " join collections.account a using (account_id) order by al.portfolio"
    )
    assert [(r["portfolio"], r["account_portfolio"]) for r in rows] == [("P1", "P1"), ("P2", "P2"), ("P3", "P3")]


def test_a_payment_on_the_first_day_of_a_period_does_not_make_up_the_one_before(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-10-01", months=3, amount="1000.00")
    s.event("e1", "A1", "2026-10-01T10:00:00+08:00", "payment_plan", "300.00", "2027-03-01")
    s.pay("p1", "A1", "2026-10-31T10:00:00+08:00", "300.00")  # the first day of the second period
    s.run("2026-10-31")  # the first period, 10-01..10-30, ended with nothing paid in it
    assert s.query("select plan_status from collections.case_state")[0]["plan_status"] == "broken"


def test_one_sms_per_customer_per_day_across_accounts(db, tmp_path):
    s = Scenario(db, tmp_path)
    cu = s.customer("CU1")
    overdue_by(s, "A1", 1, amount="1000.00", customer=cu)
    overdue_by(s, "A2", 1, amount="3000.00", customer=cu)
    s.run(DAY)
    got = {a["account_id"]: (a["status"], a["reason"]) for a in s.query("select * from collections.action")}
    # the account with more overdue money gets the day's SMS
    assert got == {"A2": ("planned", None), "A1": ("suppressed", "max_sms_per_customer_per_day")}


def test_contact_waits_for_the_window_in_the_customers_own_timezone(db, tmp_path):
    s = Scenario(db, tmp_path)
    overdue_by(s, "SH", 1, customer=s.customer("C1", timezone="Asia/Shanghai"))
    overdue_by(s, "UR", 1, customer=s.customer("C2", timezone="Asia/Urumqi"))
    s.run(DAY)
    rows = {
        r["account_id"]: r
        for r in s.query(
            "select account_id, window_opens_at at time zone 'UTC' as opens, "
            "window_closes_at at time zone 'UTC' as closes "
            "from collections.action_log"
        )
    }
    # 08:00-21:00 local on the day after as_of
    assert str(rows["SH"]["opens"]) == "2026-11-29 00:00:00" and str(rows["SH"]["closes"]) == "2026-11-29 13:00:00"
    assert str(rows["UR"]["opens"]) == "2026-11-29 02:00:00" and str(rows["UR"]["closes"]) == "2026-11-29 15:00:00"


def test_at_most_three_calls_per_debtor_per_day_across_accounts(db, tmp_path):
    s = Scenario(db, tmp_path)
    cu = s.customer("CU1")
    for i, amount in enumerate(["1000.00", "5000.00", "3000.00", "4000.00", "2000.00"]):
        overdue_by(s, f"A{i}", 10, amount=amount, customer=cu)
    s.run(DAY)
    got = {a["account_id"]: (a["status"], a["reason"]) for a in s.query("select * from collections.action")}
    # the three accounts with the most overdue money are queued; the others are stopped by the rule
    assert got == {
        "A1": ("planned", None),
        "A3": ("planned", None),
        "A2": ("planned", None),
        "A4": ("suppressed", "max_connected_calls_per_debtor_per_day"),
        "A0": ("suppressed", "max_connected_calls_per_debtor_per_day"),
    }


def test_an_account_is_never_queued_more_than_7_times_in_7_days(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-10-01", months=2)
    s.run_days("2026-10-09", "2026-10-28")  # 20 days in the call stage
    days = [
        r["as_of"]
        for r in s.query(
            "select as_of from collections.action where kind = 'call' and status = 'planned' order by as_of"
        )
    ]
    assert len(days) == 20
    assert max(sum(1 for x in days if 0 <= (day - x).days < 7) for day in days) == 7


def test_calls_deferred_to_the_customers_window_count_in_the_7_day_allowance(db, tmp_path):
    """A customer in London: each delivery (noon in Shanghai, 04:00 there) defers the day's call to the window,
    and the hourly outbox sends it then. A deferred call still goes, so it counts in the allowance (here 3
    attempts in any 7 days, one an entry): at most 3 entries in any 7 days, the rest suppressed. Before,
    deferred calls did not count, and each of the 20 days queued one."""
    s = Scenario(db, tmp_path)
    contact = s.policy.contact.model_copy(update={"max_call_attempts_per_account_per_7_days": 3})
    s.policy = s.policy.model_copy(update={"contact": contact})
    s.account("A1", first_due="2026-10-01", months=2, customer=s.customer("C1", timezone="Europe/London"))
    s.run_days("2026-10-09", "2026-10-28")
    calls = s.query("select as_of, status, reason from collections.action where kind = 'call' order by as_of")
    queued = [r["as_of"] for r in calls if r["status"] == "deferred"]
    assert {r["reason"] for r in calls if r["status"] == "deferred"} == {"contact_window"}
    assert len(calls) == 20 and max(sum(1 for x in queued if 0 <= (day - x).days < 7) for day in queued) == 3
    assert {r["reason"] for r in calls if r["status"] == "suppressed"} == {"max_call_attempts_per_account_per_7_days"}


def test_a_tighter_7_day_call_allowance_suppresses_the_entries_beyond_it(db, tmp_path):
    # 3 dial attempts per account in any 7 days, one attempt an entry: at most 3 entries in any 7 days,
    # the others suppressed naming the rule (with the rule disabled, all 20 days would be queued)
    s = Scenario(db, tmp_path)
    contact = s.policy.contact.model_copy(update={"max_call_attempts_per_account_per_7_days": 3})
    s.policy = s.policy.model_copy(update={"contact": contact})
    s.account("A1", first_due="2026-10-01", months=2)
    s.run_days("2026-10-09", "2026-10-28")
    calls = s.query("select as_of, status, reason from collections.action where kind = 'call' order by as_of")
    planned = [r["as_of"] for r in calls if r["status"] == "planned"]
    suppressed = {r["reason"] for r in calls if r["status"] == "suppressed"}
    assert len(calls) == 20 and 0 < len(planned) < 20
    assert max(sum(1 for x in planned if 0 <= (day - x).days < 7) for day in planned) == 3
    assert suppressed == {"max_call_attempts_per_account_per_7_days"}


def test_delinquency_reasons_and_contact_outcomes_are_kept_on_the_case_and_counted(db, tmp_path):
    """SPEC 2 and 8: why a customer is late, and how the last contact went, from the events of any source."""
    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-11-10", months=2)
    s.account("A2", first_due="2026-11-10", months=2)
    s.event("r1", "A1", "2026-11-20T10:00:00+08:00", "delinquency_reason", reason="illness")
    s.event("r2", "A1", "2026-11-26T10:00:00+08:00", "delinquency_reason", reason="income_drop", source="field_app")
    s.event("o1", "A1", "2026-11-27T10:00:00+08:00", "contact_outcome", reason="right_party", source="dialer")
    s.event("r3", "A2", "2026-11-29T10:00:00+08:00", "delinquency_reason", reason="forgot")  # after the day
    s.run(DAY)
    a1, a2 = s.query(
        "select account_id, delinquency_reason, contact_outcome from collections.case_state order by account_id"
    )
    assert (a1["delinquency_reason"], a1["contact_outcome"]) == ("income_drop", "right_party")  # the latest
    assert (a2["delinquency_reason"], a2["contact_outcome"]) == (None, None)
    assert s.query("select source from collections.event where event_id = 'r2'") == [{"source": "field_app"}]
    assert s.query("select source from collections.event where event_id = 'r1'") == [{"source": "feed"}]
    figures = s.query("select figures from collections.portfolio_day")[0]["figures"]
    assert (figures["delinquency_reasons"], figures["contact_outcomes"]) == ({"income_drop": 1}, {"right_party": 1})


@pytest.mark.parametrize("outcome", ["wrong_number", "third_party"])
def test_a_number_that_reached_someone_else_is_not_called_and_a_notice_goes_by_letter(db, tmp_path, outcome):
    """SPEC 5, nobody but the customer: an outcome on any of the customer's accounts stops calls and SMS to the
    number, until a later right_party outcome says it is the customer's again."""
    s = Scenario(db, tmp_path)
    who = s.customer("CU-1", phone="+8613800000042", address="1 Road, Shanghai")
    s.account("CALL", customer=who, first_due="2026-11-10", months=2)  # dpd 18: a call a day
    s.account("NOTE", customer=who, first_due="2026-11-27", months=2)  # dpd 1: the first notice
    s.event("o1", "CALL", "2026-11-27T10:00:00+08:00", "contact_outcome", reason=outcome, source="dialer")
    # another customer's outcome is theirs alone
    s.account("ELSE", customer=s.customer("CU-2", phone="+8613800000043"), first_due="2026-11-10", months=2)
    s.run(DAY)
    call, notice = s.action("CALL", DAY, "call"), s.action("NOTE", DAY, "notice")
    assert (call["status"], call["reason"]) == ("suppressed", "not_the_customers_number")
    assert (notice["status"], notice["channel"]) == ("planned", "letter")
    assert (s.action("ELSE", DAY, "call")["status"], s.action("ELSE", DAY, "call")["reason"]) == ("planned", None)
    # neither an event of another kind after it nor an outcome after the day lifts it
    s.event("r1", "CALL", "2026-11-28T09:00:00+08:00", "delinquency_reason", reason="income_drop", source="feed")
    s.event("o3", "CALL", "2026-11-29T09:00:00+08:00", "contact_outcome", reason="right_party", source="ui")
    s.run(DAY)
    call, notice = s.action("CALL", DAY, "call"), s.action("NOTE", DAY, "notice")
    assert (call["status"], call["reason"], notice["channel"]) == ("suppressed", "not_the_customers_number", "letter")
    s.event("o2", "NOTE", "2026-11-28T18:00:00+08:00", "contact_outcome", reason="right_party", source="ui")
    s.run(DAY)  # the same day again, with the agent's word that the number is the customer's
    call, notice = s.action("CALL", DAY, "call"), s.action("NOTE", DAY, "notice")
    assert (call["status"], call["reason"]) == ("planned", None)
    assert notice["channel"] == "sms"


def test_the_output_views_carry_the_variant_after_the_columns_of_spec_6(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-11-10", months=2)
    s.run(DAY)
    columns = {
        view: [
            r["column_name"]
            for r in s.query(
                "select column_name from information_schema.columns where table_schema = 'collections' "
                "and table_name = %(v)s order by ordinal_position",
                {"v": view},
            )
        ]
        for view in ("case_day", "action")
    }
    assert columns["case_day"] == [
        *("as_of", "account_id", "portfolio", "case_id", "dpd", "bucket", "overdue_amount", "stage", "status"),
        *("hold_reason", "variant"),
    ]
    assert columns["action"] == [
        *("as_of", "account_id", "case_id", "kind", "status", "reason", "channel", "assignee", "template", "variant"),
        "approved_by",  # SPEC 11
    ]
    # without variants in the policy there is one, named champion (SPEC 9)
    assert {r["variant"] for r in s.query("select variant from collections.case_day")} == {"champion"}
    assert {r["variant"] for r in s.query("select variant from collections.action")} == {"champion"}


def test_a_plan_paid_early_in_each_30_day_period_stays_kept_in_its_fourth_period(db, tmp_path):
    """Periods are 30 days from the plan's day (07-01, 07-31, 08-30, 09-29, ...), not months or 31 days."""
    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-06-01", months=12, amount="1000.00")
    s.event("e1", "A1", "2026-07-01T10:00:00+08:00", "payment_plan", "300.00", "2027-06-01")
    for i, day in enumerate(("2026-07-02", "2026-08-01", "2026-08-31", "2026-09-29")):  # one in each period
        s.pay(f"p{i}", "A1", f"{day}T10:00:00+08:00", "300.00")
    s.run("2026-10-30")  # four periods have ended (the last on 10-28), each paid
    row = s.query("select plan_status, suppress_reason from collections.case_state")[0]
    assert (row["plan_status"], row["suppress_reason"]) == ("active", "payment_plan")


def test_a_promise_of_one_yuan_with_nothing_paid_is_pending_then_broken_never_kept(db, tmp_path):
    # (a mutation run found nothing checking the promise's own paid total when nothing was paid)
    s = Scenario(db, tmp_path)
    s.account("ONE", first_due="2026-11-10", months=3)
    s.event("e1", "ONE", "2026-11-20T10:00:00+08:00", "promise_to_pay", "1.00", "2026-11-21")
    for day in ("2026-11-20", "2026-11-22"):
        s.run(day)
    statuses = s.query("select as_of::text, promise_status from collections.case_state where account_id = 'ONE'")
    assert {r["as_of"]: r["promise_status"] for r in statuses} == {"2026-11-20": "pending", "2026-11-22": "broken"}
