"""The policy language beyond the default ladder: pre-due reminders, entry conditions on
bucket, risk grade and broken promises, and the jurisdiction presets of the contact rules.
Each runs a small book through the real SQL on the real database."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pendulum
import pytest
import requests

from debt_collections.delivery.http import PartnerClient, RetryPolicy
from debt_collections.errors import ConfigError
from debt_collections.policy.loader import load_policy, parse_policy
from debt_collections.simulator.server import SimulatorServer
from debt_collections.store import outbox
from tests.scenario import REPO, STANDARD, Scenario, d

LEASE = REPO / "dags" / "policies" / "lease.yaml"
DEFAULTS = REPO / "dags" / "policies" / "defaults.yaml"
DAY = "2026-11-28"


def policy_text(path: Path, old: str = "", new: str = "", *, append: str = "") -> str:
    text = path.read_text()
    if old:
        assert old in text
        text = text.replace(old, new, 1)
    return text + append


def policy(text: str, name: str = "test.yaml"):
    return parse_policy(text, name, defaults=(DEFAULTS.read_text(), str(DEFAULTS)))


# -- pre-due courtesy reminders (lease.yaml) ----------------------------------------------


def lease(s: Scenario, account_id: str, *, first_due: str, **kw) -> str:
    return s.account(account_id, portfolio="OPL-1", product="lease", first_due=first_due, months=3, **kw)


def test_courtesy_reminder_goes_three_days_before_an_unpaid_due_date(db, tmp_path):
    s = Scenario(db, tmp_path, policy=load_policy(LEASE))
    lease(s, "DUE", first_due="2026-12-01")  # falls due 3 days after DAY
    lease(s, "PAID", first_due="2026-12-01")
    s.pay("p1", "PAID", "2026-11-27T09:00:00+08:00", "1000.00")  # paid ahead: nothing to remind
    lease(s, "LATER", first_due="2026-12-02")  # 4 days: not yet
    lease(s, "SILENT", first_due="2026-12-01")
    s.event("e1", "SILENT", "2026-11-20T09:00:00+08:00", "cease_contact")
    lease(s, "GONE", first_due="2026-12-01")
    s.event("e2", "GONE", "2026-11-20T09:00:00+08:00", "deceased")
    lease(s, "LATE", first_due="2026-11-01")  # overdue: the ladder, not a reminder, applies
    s.run(DAY)

    reminder = s.action("DUE", DAY, "reminder")
    assert reminder == {
        "as_of": d(DAY),
        "account_id": "DUE",
        "case_id": None,
        "kind": "reminder",
        "status": "planned",
        "reason": None,
        "channel": "sms",
        "assignee": None,
        "template": "courtesy_sms.zh-CN",
        "variant": "champion",
        "approved_by": None,
    }
    assert s.action("PAID", DAY, "reminder") is None
    assert s.action("LATER", DAY, "reminder") is None
    assert (s.action("SILENT", DAY, "reminder")["status"], s.action("SILENT", DAY, "reminder")["reason"]) == (
        "suppressed",
        "cease_contact",
    )
    assert s.action("GONE", DAY, "reminder")["reason"] == "deceased"
    assert s.action("LATE", DAY, "reminder") is None and s.action("LATE", DAY, "call")["status"] == "planned"
    assert s.case("DUE", DAY) is None  # a reminder opens no case

    before = s.query("select * from collections.action order by account_id, kind")
    s.run(DAY)  # a rerun is a no-op
    assert s.query("select * from collections.action order by account_id, kind") == before
    s.run("2026-11-29")  # the next day: the installment is 2 days away, no second reminder
    assert s.action("DUE", "2026-11-29", "reminder") is None


def test_a_partly_prepaid_installment_is_reminded_of_what_is_left(db, tmp_path):
    s = Scenario(db, tmp_path, policy=load_policy(LEASE))
    lease(s, "PART", first_due="2026-12-01", amount="1000.00")
    s.pay("p1", "PART", "2026-11-27T09:00:00+08:00", "400.00")
    lease(s, "NEARLY", first_due="2026-12-01", amount="1000.00")
    s.pay("p2", "NEARLY", "2026-11-27T09:00:00+08:00", "999.50")  # within the 1.00 tolerance
    lease(s, "EXACT", first_due="2026-12-01", amount="1000.00")
    s.pay("p3", "EXACT", "2026-11-27T09:00:00+08:00", "999.00")  # 1.00 left: at the tolerance, not over it
    s.run(DAY)
    assert s.query("select amount_due, due_date from collections.action_log where account_id = 'PART'") == [
        {"amount_due": pytest.approx(600), "due_date": d("2026-12-01")}
    ]
    assert s.action("NEARLY", DAY, "reminder") is None
    assert s.action("EXACT", DAY, "reminder") is None


def test_money_paid_on_the_reminders_own_day_counts_and_the_next_days_does_not(db, tmp_path):
    # paid in full late on the day of the reminder (policy timezone): no reminder; the same paid
    # the first minute of the next day comes after the reminder's day and does not count yet
    s = Scenario(db, tmp_path, policy=load_policy(LEASE))
    lease(s, "TODAY", first_due="2026-12-01", amount="1000.00")
    s.pay("p1", "TODAY", f"{DAY}T23:59:00+08:00", "1000.00")
    lease(s, "TOMORROW", first_due="2026-12-01", amount="1000.00")
    s.pay("p2", "TOMORROW", "2026-11-29T00:01:00+08:00", "1000.00")
    s.run(DAY)
    assert s.action("TODAY", DAY, "reminder") is None
    assert s.query("select amount_due from collections.action_log where account_id = 'TOMORROW'") == [
        {"amount_due": pytest.approx(1000)}
    ]


def test_the_reminder_reaches_the_customer_with_its_due_date_once(db, tmp_path):
    s = Scenario(db, tmp_path, policy=load_policy(LEASE))
    lease(
        s,
        "ACC0007",
        first_due="2026-12-01",
        amount="2150.00",
        customer=s.customer("C7", language="en", full_name="Li Lei"),
    )
    s.run(DAY)
    server = SimulatorServer().start()
    try:
        client = PartnerClient(server.url, requests.Session(), RetryPolicy(attempts=3), rng=random.Random(1))
        for _ in range(2):
            outbox.deliver(
                db,
                "OPL-1",
                d(DAY),
                "reminder",
                {"sms": client, "letter": client},
                now=pendulum.datetime(2026, 11, 29, 9, tz="Asia/Shanghai"),
                caps=s.policy.contact,
                messages=s.policy.messages,
            )
        accepted = requests.get(server.url + "/_accepted", timeout=5).json()
    finally:
        server.shutdown()
        server.server_close()
    assert [a["body"]["text"] for a in accepted] == [
        "[Anda Auto Finance] Hello Li Lei, a friendly reminder: CNY 2,150.00 on your car finance account ending 0007 "
        "falls due on 2026-12-01. Pay online: https://pay.anda.cn/r/ACC0007 If you have already paid, thank you."
    ]
    assert accepted[0]["body"]["due_date"] == "2026-12-01" and accepted[0]["body"]["dpd"] is None
    assert s.action("ACC0007", DAY, "reminder")["status"] == "sent"


def test_a_reminder_stops_for_a_hold_and_goes_once_the_hold_is_lifted(db, tmp_path):
    s = Scenario(db, tmp_path, policy=load_policy(LEASE))
    events = {
        "BANKRUPT": [("bankruptcy", "2026-11-20T09:00:00+08:00")],
        "DISMISSED": [
            ("bankruptcy", "2026-11-10T09:00:00+08:00"),
            ("bankruptcy_dismissed", "2026-11-20T09:00:00+08:00"),
        ],
        "DISPUTED": [("dispute", "2026-11-20T09:00:00+08:00")],
        "RESOLVED": [("dispute", "2026-11-10T09:00:00+08:00"), ("dispute_resolved", "2026-11-20T09:00:00+08:00")],
        "ALLOWED": [("cease_contact", "2026-11-10T09:00:00+08:00"), ("contact_allowed", "2026-11-20T09:00:00+08:00")],
        # a lift at the very instant of its hold lifts it ("from its at on")
        "SAME_BANKRUPTCY": [
            ("bankruptcy", "2026-11-20T09:00:00+08:00"),
            ("bankruptcy_dismissed", "2026-11-20T09:00:00+08:00"),
        ],
        "SAME_DISPUTE": [("dispute", "2026-11-20T09:00:00+08:00"), ("dispute_resolved", "2026-11-20T09:00:00+08:00")],
        "SAME_CEASE": [
            ("cease_contact", "2026-11-20T09:00:00+08:00"),
            ("contact_allowed", "2026-11-20T09:00:00+08:00"),
        ],
        # an event dated after as_of (in the policy's timezone) is not applied yet
        "LATER_HOLD": [("bankruptcy", "2026-11-28T16:30:00Z")],
        # ... and one late on the reminder's own day (in the policy's timezone) is
        "TODAY_HOLD": [("dispute", "2026-11-28T23:00:00+08:00")],
    }
    for account, happened in events.items():
        lease(s, account, first_due="2026-12-01")
        for n, (kind, at) in enumerate(happened):
            s.event(f"{account}-{n}", account, at, kind)
    s.run(DAY)
    got = {a: (s.action(a, DAY, "reminder")["status"], s.action(a, DAY, "reminder")["reason"]) for a in events}
    assert got == {
        "BANKRUPT": ("suppressed", "bankruptcy"),
        "DISMISSED": ("planned", None),
        "DISPUTED": ("suppressed", "dispute"),
        "RESOLVED": ("planned", None),
        "ALLOWED": ("planned", None),
        "SAME_BANKRUPTCY": ("planned", None),
        "SAME_DISPUTE": ("planned", None),
        "SAME_CEASE": ("planned", None),
        "LATER_HOLD": ("planned", None),
        "TODAY_HOLD": ("suppressed", "dispute"),
    }


def test_reminders_can_be_left_out_of_a_run_by_its_stages_param(db, tmp_path):
    s = Scenario(db, tmp_path, policy=load_policy(LEASE))
    lease(s, "DUE", first_due="2026-12-01")
    s.run(DAY, stages=["notice"])
    assert s.action("DUE", DAY, "reminder") is None
    s.run(DAY, stages=["courtesy"])
    assert s.action("DUE", DAY, "reminder")["status"] == "planned"


# -- entry conditions ------------------------------------------------------------------------


def overdue(s: Scenario, account_id: str, dpd: int, **kw) -> str:
    return s.account(
        account_id,
        portfolio="OPL-1",
        product="lease",
        months=1,
        first_due=d(DAY).subtract(days=dpd).to_date_string(),
        **kw,
    )


def test_the_call_priority_caps_dpd_at_90_and_the_amount_at_20000(db, tmp_path):
    # the lease ladder keeps an account on the call rung past 90 dpd (no broken promise, no risk grade)
    s = Scenario(db, tmp_path, policy=load_policy(LEASE))
    for account, dpd, amount in (("A95", 95, "25000.00"), ("A17", 17, "25000.00"), ("A10", 10, "25000.00")):
        overdue(s, account, dpd, amount=amount)
    overdue(s, "SMALL", 10, amount="3.64")
    s.run(DAY)
    rows = s.query("select account_id, priority from collections.action_log where kind = 'call'")
    # round(least(dpd, 90) * 50 / 90 + least(overdue, 20000) * 50 / 20000, 2)
    assert {r["account_id"]: r["priority"] for r in rows} == {
        "A95": Decimal("100.00"),
        "A17": Decimal("59.44"),  # 9.4444 + 50
        "A10": Decimal("55.56"),  # 5.5556 + 50
        "SMALL": Decimal("5.56"),  # 5.5556 + 0.0091: rounded once, to 2 places
    }


def test_risk_grade_decides_the_legal_rung(db, tmp_path):
    s = Scenario(db, tmp_path, policy=load_policy(LEASE))
    overdue(s, "RISKY", 130, amount="9000.00", risk_grade="D")
    overdue(s, "SAFE", 130, amount="9000.00", risk_grade="A")
    overdue(s, "UNGRADED", 130, amount="9000.00")
    s.run(DAY)
    assert s.case("RISKY", DAY)["stage"] == "legal"
    assert s.case("SAFE", DAY)["stage"] == "call"  # no broken promise: no visit either
    assert s.case("UNGRADED", DAY)["stage"] == "call"


def test_a_broken_promise_opens_the_visit_rung(db, tmp_path):
    s = Scenario(db, tmp_path, policy=load_policy(LEASE))
    overdue(s, "BROKE", 40, amount="3000.00")
    s.event("p1", "BROKE", "2026-11-20T10:00:00+08:00", "promise_to_pay", "3000.00", "2026-11-25")
    s.pay("r1", "BROKE", "2026-11-24T10:00:00+08:00", "100.00")  # short of the promise
    overdue(s, "KEPT", 40, amount="3000.00")
    s.event("p2", "KEPT", "2026-11-20T10:00:00+08:00", "promise_to_pay", "100.00", "2026-11-25")
    s.pay("r2", "KEPT", "2026-11-24T10:00:00+08:00", "100.00")
    overdue(s, "PENDING", 40, amount="3000.00")
    s.event("p3", "PENDING", "2026-11-27T10:00:00+08:00", "promise_to_pay", "3000.00", "2026-11-28")
    s.run(DAY)
    assert s.case("BROKE", DAY)["stage"] == "visit"
    assert s.case("KEPT", DAY)["stage"] == "call"
    assert s.case("PENDING", DAY)["stage"] == "call"  # not broken until its until has passed


def test_a_promise_paid_at_its_instant_or_on_its_last_day_is_not_broken(db, tmp_path):
    s = Scenario(db, tmp_path, policy=load_policy(LEASE))
    for account, paid_at in (("AT_ONCE", "2026-11-20T10:00:00+08:00"), ("LAST_DAY", "2026-11-25T20:00:00+08:00")):
        overdue(s, account, 40, amount="6000.00")  # half of it still overdue once the promise is kept
        s.event(f"p-{account}", account, "2026-11-20T10:00:00+08:00", "promise_to_pay", "3000.00", "2026-11-25")
        s.pay(f"r-{account}", account, paid_at, "3000.00")
    s.run(DAY)
    assert (s.case("AT_ONCE", DAY)["stage"], s.case("LAST_DAY", DAY)["stage"]) == ("call", "call")


def test_a_promise_of_one_yuan_with_nothing_paid_is_broken(db, tmp_path):
    s = Scenario(db, tmp_path, policy=load_policy(LEASE))
    overdue(s, "SMALL", 40, amount="3000.00")
    s.event("p1", "SMALL", "2026-11-20T10:00:00+08:00", "promise_to_pay", "1.00", "2026-11-25")
    s.run(DAY)
    assert s.case("SMALL", DAY)["stage"] == "visit"


def test_a_promise_broken_before_this_overdue_episode_does_not_count(db, tmp_path):
    s = Scenario(db, tmp_path, policy=load_policy(LEASE))
    overdue(s, "OLD", 40, amount="3000.00")
    s.event("p1", "OLD", "2026-09-01T10:00:00+08:00", "promise_to_pay", "3000.00", "2026-09-05")
    s.run(DAY)
    assert s.case("OLD", DAY)["stage"] == "call"  # the account fell behind (2026-10-19) after that promise


def test_a_promise_made_the_day_the_account_fell_behind_counts(db, tmp_path):
    s = Scenario(db, tmp_path, policy=load_policy(LEASE))
    overdue(s, "SAME_DAY", 40, amount="3000.00")  # fell due 2026-10-19
    s.event("p1", "SAME_DAY", "2026-10-19T10:00:00+08:00", "promise_to_pay", "3000.00", "2026-10-25")
    s.run(DAY)
    assert s.case("SAME_DAY", DAY)["stage"] == "visit"


def test_bucket_threshold_is_the_bucket_of_spec_section_3(db, tmp_path):
    text = policy_text(STANDARD, "enter: {dpd_at_least: 31}", "enter: {bucket_at_least: M2}")
    s = Scenario(db, tmp_path, policy=policy(text, "standard.yaml"))
    s.account("D30", months=1, first_due=d(DAY).subtract(days=30).to_date_string())
    s.account("D31", months=1, first_due=d(DAY).subtract(days=31).to_date_string())
    s.run(DAY)
    assert (s.case("D30", DAY)["bucket"], s.case("D30", DAY)["stage"]) == ("M1", "call")
    assert (s.case("D31", DAY)["bucket"], s.case("D31", DAY)["stage"]) == ("M2", "visit")


def test_a_rung_for_some_products_is_reached_by_their_accounts_only(db, tmp_path):
    leases = "enter: {dpd_at_least: 31, products: [lease, finance_lease]}"
    text = policy_text(STANDARD, "enter: {dpd_at_least: 31}", leases)
    s = Scenario(db, tmp_path, policy=policy(text, "standard.yaml"))
    for account, product in (("LOAN", "loan"), ("LEASE", "lease"), ("FINANCE", "finance_lease")):
        s.account(account, product=product, months=1, first_due=d(DAY).subtract(days=40).to_date_string())
    s.run(DAY)
    stages = {a: s.case(a, DAY)["stage"] for a in ("LOAN", "LEASE", "FINANCE")}
    assert stages == {"LOAN": "call", "LEASE": "visit", "FINANCE": "visit"}


# -- contact-rule presets ----------------------------------------------------------------------


def us_policy(extra: str = ""):
    return policy(policy_text(STANDARD, append=f"contact:\n  preset: us\n{extra}"), "standard.yaml")


def test_presets_set_the_numbers_and_a_policy_can_override_one():
    cn = load_policy(STANDARD).contact
    assert (cn.preset, cn.no_call_days_after_conversation, cn.max_call_attempts_per_account_per_7_days) == ("cn", 0, 7)
    us = us_policy().contact
    assert (
        us.preset,
        us.window_start.hour,
        us.window_end.hour,
        us.max_call_attempts_per_account_per_7_days,
        us.no_call_days_after_conversation,
        us.max_connected_calls_per_debtor_per_day,
    ) == ("us", 8, 21, 7, 7, 1)
    # each daily call-queue entry gets an even share of the 7-day allowance of attempts
    assert cn.call_attempts_per_entry == us.call_attempts_per_entry == 1
    wider = policy(policy_text(STANDARD, append="contact:\n  max_call_attempts_per_account_per_7_days: 21\n"))
    assert wider.contact.call_attempts_per_entry == 3
    tighter = us_policy('  window: {start: "09:00", end: "20:00"}\n').contact
    assert (tighter.window_start.hour, tighter.window_end.hour, tighter.no_call_days_after_conversation) == (9, 20, 7)
    with pytest.raises(ConfigError, match=r"test.yaml:\d+: contact.preset: Input should be 'cn' or 'us', got 'eu'"):
        policy(policy_text(STANDARD, append="contact:\n  preset: eu\n"), "test.yaml")
    with pytest.raises(ConfigError, match=r"contact.preset: Input should be 'cn' or 'us'"):
        policy(policy_text(STANDARD, append="contact:\n  preset: [us]\n"), "test.yaml")


@pytest.mark.parametrize(("days_before", "suppressed"), [(0, True), (5, True), (6, False), (9, False)])
def test_us_preset_no_call_within_seven_days_after_a_conversation(db, tmp_path, days_before, suppressed):
    # the call goes out the day after as_of; the conversation's day is the first of the seven
    s = Scenario(db, tmp_path, policy=us_policy())
    s.account("A1", months=1, first_due=d(DAY).subtract(days=20).to_date_string())
    talked = d(DAY).subtract(days=days_before)
    s.event("c1", "A1", f"{talked.to_date_string()}T15:00:00+08:00", "conversation")
    s.run(DAY)
    call = s.action("A1", DAY, "call")
    assert (call["status"], call["reason"]) == (
        ("suppressed", "no_call_days_after_conversation") if suppressed else ("planned", None)
    )


def test_cn_preset_ignores_conversations(db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account("A1", months=1, first_due=d(DAY).subtract(days=20).to_date_string())
    s.event("c1", "A1", "2026-11-27T15:00:00+08:00", "conversation")
    s.run(DAY)
    assert s.action("A1", DAY, "call")["status"] == "planned"


def test_call_attempts_per_account_in_any_seven_days(db, tmp_path):
    text = policy_text(STANDARD, append="contact:\n  max_call_attempts_per_account_per_7_days: 2\n")
    s = Scenario(db, tmp_path, policy=policy(text, "standard.yaml"))
    s.account("A1", months=1, first_due="2026-11-10")
    s.run_days("2026-11-18", "2026-11-26")
    calls = s.query("select as_of, status, reason from collections.action where kind = 'call' order by as_of")
    assert [(c["as_of"].day, c["status"]) for c in calls] == [
        (18, "planned"),
        (19, "planned"),
        (20, "suppressed"),
        (21, "suppressed"),
        (22, "suppressed"),
        (23, "suppressed"),
        (24, "suppressed"),
        (25, "planned"),
        (26, "planned"),
    ]
    assert {c["reason"] for c in calls if c["status"] == "suppressed"} == {"max_call_attempts_per_account_per_7_days"}


def test_another_accounts_money_does_not_keep_a_promise(db, tmp_path):
    s = Scenario(db, tmp_path, policy=load_policy(LEASE))
    overdue(s, "BROKE", 40, amount="3000.00")
    s.event("p1", "BROKE", "2026-11-20T10:00:00+08:00", "promise_to_pay", "3000.00", "2026-11-25")
    overdue(s, "OTHER", 40, amount="3000.00")
    s.pay("r1", "OTHER", "2026-11-22T10:00:00+08:00", "5000.00")  # in the promise's window, on another account
    s.run(DAY)
    assert s.case("BROKE", DAY)["stage"] == "visit"  # its own promise is broken all the same


def test_a_promise_paid_after_its_last_day_stays_broken_and_counts_for_the_rung_after_broken_promises(db, tmp_path):
    # lease.yaml's visit rung needs a broken promise (and M2): money paid after the promise's last day does
    # not keep it, nor take it off the broken promises the rung counts
    s = Scenario(db, tmp_path, policy=load_policy(LEASE))
    for account, late in (("LATE", True), ("NONE", False)):
        lease(s, account, first_due="2026-10-20", amount="1000.00")  # dpd 39 on DAY
        s.event(f"e-{account}", account, "2026-11-10T10:00:00+08:00", "promise_to_pay", "400.00", "2026-11-20")
        if late:
            s.pay(f"p-{account}", account, "2026-11-22T10:00:00+08:00", "400.00")
    s.run(DAY)
    rows = s.query("select account_id, promise_status, stage from collections.case_state order by account_id")
    assert rows == [
        {"account_id": "LATE", "promise_status": "broken", "stage": "visit"},
        {"account_id": "NONE", "promise_status": "broken", "stage": "visit"},
    ]
