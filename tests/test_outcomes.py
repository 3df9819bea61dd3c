"""What a call agent learnt, checked before it is recorded (issue #14): each bad input named, nothing stored.

The account page's form and the next run's effect are tested in tests/test_ui.py (through Airflow's app
and in Chromium); these are the rules of the check itself.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from debt_collections.domain.outcomes import Outcome, OutcomeError, check_outcome

TODAY = date(2026, 11, 21)


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        (("party", "", "", ""), "open", "kind 'party' is not one of promise_to_pay"),
        (("promise_to_pay", "abc", "2026-11-30", ""), "open", "amount 'abc' is not money: write it like 1250.00"),
        (("promise_to_pay", "NaN", "2026-11-30", ""), "open", "amount 'NaN' must be more than 0.00"),
        (("promise_to_pay", "-5", "2026-11-30", ""), "open", "amount '-5' must be more than 0.00"),
        (("promise_to_pay", "0", "2026-11-30", ""), "open", "amount '0' must be more than 0.00"),
        (("promise_to_pay", "1e30", "2026-11-30", ""), "open", "must be more than 0.00 and at most"),
        (("promise_to_pay", "10.001", "2026-11-30", ""), "open", "amount '10.001' has more than two decimal places"),
        (("promise_to_pay", "", "2026-11-30", ""), "open", "a promise to pay needs an amount"),
        (("promise_to_pay", "10.00", "", ""), "open", "a promise to pay needs an until date"),
        (("promise_to_pay", "10.00", "30/11/2026", ""), "open", "until '30/11/2026' is not a date"),
        (("promise_to_pay", "10.00", "2026-11-20", ""), "open", "until 2026-11-20 is in the past: today is 2026-11-21"),
        (("payment_plan", "10.00", "2026-11-21", ""), "open", "until 2026-11-21 is in the past"),
        (("promise_to_pay", "10.00", "2027-12-01", ""), "open", "more than 366 days ahead"),
        (
            ("payment_plan", "10.00", "2027-01-31", ""),
            "cured",
            "a payment plan needs an open case, and its case is cured",
        ),
        (("promise_to_pay", "10.00", "2026-11-30", ""), None, "needs an open case, and it has no case"),
        (("delinquency_reason", "", "", "lazy"), "open", "reason 'lazy' is not one of illness"),
        (("contact_outcome", "", "", ""), "open", "reason '' is not one of right_party"),
        (("contact_outcome", "5.00", "", "no_answer"), "open", "a contact outcome has no amount and no until date"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_why(fields, status, message):
    with pytest.raises(OutcomeError, match=message.replace("(", r"\(").replace(".", r"\.")):
        check_outcome(*fields, today=TODAY, case_status=status)


def test_good_input_becomes_the_outcome_it_says():
    assert check_outcome("promise_to_pay", "1,250.5", "2026-11-21", "", today=TODAY, case_status="open") == Outcome(
        "promise_to_pay", Decimal("1250.50"), date(2026, 11, 21), None
    )
    assert check_outcome("payment_plan", "300", "2027-05-21", "", today=TODAY, case_status="on_hold") == Outcome(
        "payment_plan", Decimal("300.00"), date(2027, 5, 21), None
    )
    # what the customer says of themselves needs no open case
    assert check_outcome("delinquency_reason", "", "", "illness", today=TODAY, case_status=None) == Outcome(
        "delinquency_reason", None, None, "illness"
    )
    assert check_outcome("contact_outcome", " ", "", "wrong_number", today=TODAY, case_status="cured").reason == (
        "wrong_number"
    )


def test_the_edges_of_each_field_are_accepted_and_each_refusal_lists_what_is_allowed():
    # 0.01 and the largest amount numeric(17, 2) holds; an until exactly 366 days ahead
    assert check_outcome("promise_to_pay", "1.00", "2027-11-22", "", today=TODAY, case_status="open") == Outcome(
        "promise_to_pay", Decimal("1.00"), date(2027, 11, 22), None
    )
    biggest = check_outcome("payment_plan", "999999999999999.99", "2026-12-01", "", today=TODAY, case_status="open")
    assert biggest.amount == Decimal("999999999999999.99")
    with pytest.raises(OutcomeError) as kind:
        check_outcome("party", "", "", "", today=TODAY, case_status="open")
    assert str(kind.value) == (
        "kind 'party' is not one of promise_to_pay, payment_plan, delinquency_reason, contact_outcome"
    )
    with pytest.raises(OutcomeError) as reason:
        check_outcome("contact_outcome", "", "", "busy", today=TODAY, case_status="open")
    assert str(reason.value) == (
        "reason 'busy' is not one of right_party, no_answer, wrong_number, refused, third_party (for contact_outcome)"
    )
