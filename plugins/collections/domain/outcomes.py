"""What a call agent learnt, recorded on the account page (issue #14): checked here, pure Python.

A promise to pay, a payment plan, a delinquency reason or a contact outcome (SPEC 2) is stored as
an event with source ``ui`` and the user's name, in effect from the next run. Bad input gets a
message that names the field and what is wrong, and nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from debt_collections.errors import ConfigError

REASONS = {
    "delinquency_reason": ("illness", "unemployment", "income_drop", "dispute", "forgot", "fraud", "other"),
    "contact_outcome": ("right_party", "no_answer", "wrong_number", "refused", "third_party"),
}
MONEY_KINDS = ("promise_to_pay", "payment_plan")
KINDS = (*MONEY_KINDS, *REASONS)
OPEN = ("open", "on_hold")
MAX_AMOUNT = Decimal("999999999999999.99")  # numeric(17, 2)
MAX_DAYS_AHEAD = 366  # a promise or a plan further out than a year is a typing slip


class OutcomeError(ConfigError):
    """What the agent typed cannot be recorded; the message says which field and why."""


@dataclass(frozen=True)
class Outcome:
    """One checked outcome, ready to be stored as an event."""

    kind: str
    amount: Decimal | None
    until: date | None
    reason: str | None


def _money(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        raise OutcomeError(f"amount {text!r} is not money: write it like 1250.00") from None
    if not value.is_finite() or value <= 0 or value > MAX_AMOUNT:
        raise OutcomeError(f"amount {text!r} must be more than 0.00 and at most {MAX_AMOUNT:,}")
    if value != value.quantize(Decimal("0.01")):
        raise OutcomeError(f"amount {text!r} has more than two decimal places")
    return value.quantize(Decimal("0.01"))


def _until(text: str, today: date, kind: str) -> date:
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        raise OutcomeError(f"until {text!r} is not a date: write it like {today.isoformat()}") from None
    if value < today or (kind == "payment_plan" and value == today):
        raise OutcomeError(f"until {value} is in the past: today is {today} (the policy's timezone)")
    if (value - today).days > MAX_DAYS_AHEAD:
        raise OutcomeError(f"until {value} is more than {MAX_DAYS_AHEAD} days ahead of today {today}")
    return value


def check_outcome(kind: str, amount: str, until: str, reason: str, *, today: date, case_status: str | None) -> Outcome:
    """The outcome the form describes, checked against the account's case on ``today``; OutcomeError if not."""
    if kind not in KINDS:
        raise OutcomeError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    if kind in MONEY_KINDS:
        if case_status not in OPEN:
            state = f"its case is {case_status}" if case_status else "it has no case"
            raise OutcomeError(f"a {kind.replace('_', ' ')} needs an open case, and {state}")
        if not amount.strip():
            raise OutcomeError(f"a {kind.replace('_', ' ')} needs an amount")
        if not until.strip():
            raise OutcomeError(f"a {kind.replace('_', ' ')} needs an until date")
        return Outcome(kind, _money(amount), _until(until, today, kind), None)
    if reason not in REASONS[kind]:
        raise OutcomeError(f"reason {reason!r} is not one of {', '.join(REASONS[kind])} (for {kind})")
    if amount.strip() or until.strip():
        raise OutcomeError(f"a {kind.replace('_', ' ')} has no amount and no until date")
    return Outcome(kind, None, None, reason)
