"""SPEC 8: recoveries, credited to the last contact before the payment within attribution_days.

A book whose payments follow contacts by known delays, run day by day: every row of
`collections.recovery` is checked against what the SPEC says it must be (last touch,
the window's edge at exactly attribution_days and one second past it, a reversal, a
self-cure, a payment on the day its case opened), and the invariants: every qualifying
repayment appears exactly once, and per day and portfolio the sums are equal.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pendulum

from tests.scenario import Scenario, d

TZ = "Asia/Shanghai"


def _sent(s: Scenario, account: str, as_of: str, at: str) -> None:
    """The day's call of ``account`` handed to the dialer at ``at``."""
    done = s.query(
        "update collections.action_log set status = 'sent', sent_at = %(at)s "
        "where account_id = %(a)s and as_of = %(d)s and kind = 'call' returning 1",
        {"a": account, "d": as_of, "at": at},
    )
    assert done, f"no call of {account} on {as_of}"


def _book(s: Scenario) -> Scenario:
    for account in ("A1", "A2", "A3", "A4", "A6"):
        s.account(account, first_due="2026-11-01", months=3)  # dpd 19 on 11-20: the call rung, every day
    s.account("A5", first_due="2026-11-23", months=3)  # overdue from 11-24: its case opens that day
    s.run("2026-11-20")
    _sent(s, "A1", "2026-11-20", "2026-11-21T10:00:00+08:00")
    _sent(s, "A2", "2026-11-20", "2026-11-20T12:00:00+08:00")
    _sent(s, "A3", "2026-11-20", "2026-11-20T12:00:00+08:00")
    _sent(s, "A6", "2026-11-20", "2026-11-21T10:00:00+08:00")
    s.run("2026-11-21")
    s.run("2026-11-22")
    _sent(s, "A6", "2026-11-22", "2026-11-23T10:00:00+08:00")  # the later touch
    payments = {
        "2026-11-23": [("p1", "A1", "2026-11-23T09:00:00+08:00", "10.00", "")],
        "2026-11-24": [
            ("p6", "A6", "2026-11-24T09:00:00+08:00", "10.00", ""),
            ("p4", "A4", "2026-11-24T11:00:00+08:00", "10.00", ""),
            ("p5", "A5", "2026-11-24T15:00:00+08:00", "10.00", ""),
        ],
        "2026-11-25": [],
        "2026-11-26": [("p1r", "A1", "2026-11-26T09:00:00+08:00", "-10.00", "p1")],
        "2026-11-27": [
            ("p2", "A2", "2026-11-27T12:00:00+08:00", "10.00", ""),  # exactly 7 days after its call
            ("p3", "A3", "2026-11-27T12:00:01+08:00", "10.00", ""),  # one second past the window
        ],
    }
    for day, rows in payments.items():
        for payment_id, account, at, amount, reverses in rows:
            s.pay(payment_id, account, at, amount, reverses=reverses)
        s.run(day)
    return s


def test_each_repayment_is_credited_to_the_last_contact_within_the_window(db, tmp_path):
    s = _book(Scenario(db, tmp_path))
    rows = {
        r["payment_id"]: r
        for r in s.query(
            "select payment_id, paid_on::text, case_id, amount, bucket, stage, variant, action_kind, "
            "action_channel, action_as_of::text, days_after_action from collections.recovery"
        )
    }
    call = ("call", "dialer")

    def credited(payment: str) -> tuple:
        r = rows[payment]
        return (
            r["paid_on"],
            r["amount"],
            (r["action_kind"], r["action_channel"]),
            r["action_as_of"],
            r["days_after_action"],
        )

    assert credited("p1") == ("2026-11-23", Decimal("10.00"), call, "2026-11-20", 2)
    assert credited("p6") == ("2026-11-24", Decimal("10.00"), call, "2026-11-22", 1)  # the last touch, not the first
    assert credited("p2") == ("2026-11-27", Decimal("10.00"), call, "2026-11-20", 7)  # the window's edge holds
    assert credited("p1r") == ("2026-11-26", Decimal("-10.00"), call, "2026-11-20", 2)  # as the payment it reverses
    for self_cure in ("p4", "p3"):  # no contact at all; a contact 7 days and 1 second before
        assert credited(self_cure)[2:] == ((None, None), None, None)
    assert "p5" not in rows  # paid on the day its case opened: no case the day before
    case = s.case("A1", "2026-11-22")
    assert (rows["p1"]["case_id"], rows["p1"]["bucket"], rows["p1"]["stage"]) == (
        case["case_id"],
        case["bucket"],
        case["stage"],
    )
    assert {r["variant"] for r in rows.values()} == {"champion"}


def test_every_qualifying_repayment_appears_once_and_the_sums_of_each_day_agree(db, tmp_path):
    s = _book(Scenario(db, tmp_path))
    open_days = {
        (c["account_id"], c["as_of"])
        for c in s.query("select account_id, as_of from collections.case_day where status in ('open', 'on_hold')")
    }
    expected: Counter = Counter()
    qualifying = set()
    for r in s.query(
        "select r.payment_id, r.account_id, r.paid_at, r.amount, a.portfolio from collections.repayment r "
        "join collections.account a using (account_id)"
    ):
        paid_on = pendulum.instance(r["paid_at"]).in_timezone(TZ).date()
        if (r["account_id"], paid_on.subtract(days=1)) in open_days:
            qualifying.add(r["payment_id"])
            expected[(paid_on, r["portfolio"])] += r["amount"]
    recovered = s.query("select payment_id, paid_on, portfolio, amount from collections.recovery")
    assert sorted(r["payment_id"] for r in recovered) == sorted(qualifying)  # each once, none missing
    sums: Counter = Counter()
    for r in recovered:
        sums[(r["paid_on"], r["portfolio"])] += r["amount"]
    assert sums == expected
    # the day's report carries the same money, by stage and by action
    figures = s.query(
        "select figures from collections.portfolio_day where portfolio = 'P1' and as_of = %(d)s", {"d": d("2026-11-27")}
    )[0]["figures"]
    assert Decimal(figures["recovered"]) == expected[(d("2026-11-27"), "P1")] == Decimal("20.00")
    assert figures["recovered_by_action"] == {"call dialer": "10.00", "unattributed": "10.00"}
    assert figures["recovered_unattributed"] == "10.00"
