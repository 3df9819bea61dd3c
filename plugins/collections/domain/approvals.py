"""Approvals for the steps that cannot be taken back (SPEC 11), free of Airflow and of the database.

A request lists the actions of one portfolio that wait for a decision. A person answers with
the ones approved (every one, or some) and the ones rejected, with a reason; the rest stay
undecided and are asked about again the next day. What the answer means is worked out here,
once, for both places a person answers: Airflow's human-in-the-loop request (its options are
the listed actions, :func:`label` each, plus :data:`APPROVE_ALL`; its form has the
``reject`` and ``reason`` fields) and the Collections view's approvals page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

APPROVE_ALL = "Approve all listed"
# the request's form fields (Airflow params): the accounts rejected, and why
REJECT_FIELD = "reject"
REASON_FIELD = "reason"


@dataclass(frozen=True)
class Awaiting:
    """One action waiting for a decision, as the approver sees it."""

    idempotency_key: str
    account_id: str
    as_of: str
    kind: str
    dpd: int | None
    overdue_amount: Decimal | None
    currency: str

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Awaiting:
        amount = row.get("overdue_amount")
        return cls(
            row["idempotency_key"],
            row["account_id"],
            row["as_of"],
            row["kind"],
            row.get("dpd"),
            Decimal(amount) if amount is not None else None,
            row.get("currency") or "",
        )


def money(amount: Decimal | None, currency: str) -> str:
    return "-" if amount is None else f"{amount:,.2f} {currency}".strip()


def label(item: Awaiting) -> str:
    """What a request offers for one action: the account first (the form's ``reject`` field takes it)."""
    overdue = money(item.overdue_amount, item.currency)
    return f"{item.account_id} · {item.kind} of {item.as_of} · dpd {item.dpd} · {overdue} overdue"


@dataclass(frozen=True)
class Decision:
    """What an answer decides: the keys approved, the keys rejected (with the reason), the rest undecided."""

    approve: tuple[str, ...] = ()
    reject: tuple[str, ...] = ()
    reason: str = ""
    undecided: tuple[str, ...] = ()
    problems: tuple[str, ...] = field(default=())


def read_answer(
    listed: Sequence[Awaiting], approved: Iterable[str], rejected: Iterable[str], reason: str | None
) -> Decision:
    """The decision an answer makes on the ``listed`` actions.

    ``approved`` holds options of the request (labels, or :data:`APPROVE_ALL`) or account
    ids; ``rejected`` account ids (or labels). A rejection needs a reason; an action both
    approved and rejected, or rejected without a reason, is left undecided (nothing
    irreversible goes out on an unclear answer), and each problem is named.
    """
    by_account: dict[str, list[Awaiting]] = {}
    by_label = {label(i): i for i in listed}
    for item in listed:
        by_account.setdefault(item.account_id, []).append(item)
    problems: list[str] = []

    def pick(values: Iterable[str], what: str) -> set[str]:
        keys: set[str] = set()
        for raw in values:
            value = str(raw).strip()
            if not value:
                continue
            if value == APPROVE_ALL:
                keys |= {i.idempotency_key for i in listed}
            elif value in by_label:
                keys.add(by_label[value].idempotency_key)
            elif value in by_account:
                keys |= {i.idempotency_key for i in by_account[value]}
            else:
                problems.append(f"{what} {value!r} is not one of the listed actions (give an account id of the list)")
        return keys

    approve = pick(approved, "approved")
    reject = pick(rejected, "rejected")
    reason = (reason or "").strip()
    both = approve & reject
    if both:
        problems.append(f"{len(both)} action(s) both approved and rejected: left undecided")
    if reject and not reason:
        problems.append(f"{len(reject)} rejection(s) without a reason: left undecided (a rejection needs one)")
        reject = set()
    approve -= both
    reject -= both
    order = [i.idempotency_key for i in listed]
    undecided = tuple(k for k in order if k not in approve and k not in reject)
    return Decision(
        tuple(k for k in order if k in approve),
        tuple(k for k in order if k in reject),
        reason if reject else "",
        undecided,
        tuple(problems),
    )


def request_text(portfolio: str, listed: Sequence[Awaiting], link: str | None) -> tuple[str, str]:
    """The subject and the Markdown body of the request for ``portfolio``: the count, the amounts, the list."""
    total = sum((i.overdue_amount or Decimal(0) for i in listed), Decimal(0))
    currency = next((i.currency for i in listed if i.currency), "")
    kinds = sorted({i.kind for i in listed})
    subject = f"{portfolio}: {len(listed)} {' and '.join(kinds)} action(s) to approve, {money(total, currency)} overdue"
    rows = "\n".join(
        f"| {i.account_id} | {i.kind} | {i.as_of} | {i.dpd} | {money(i.overdue_amount, i.currency)} |" for i in listed
    )
    body = (
        f"These actions of **{portfolio}** cannot be taken back once sent. Choose the ones to approve "
        f"(or *{APPROVE_ALL}*); to reject some, list their account ids under *{REJECT_FIELD}* and give the "
        f"*{REASON_FIELD}*. What you leave undecided waits and is asked about again the next day.\n\n"
        "| account | action | planned for | dpd | overdue |\n|---|---|---|---|---|\n"
        f"{rows}\n\nTotal overdue: **{money(total, currency)}**."
    )
    if link:
        body += f"\n\n[The list in the Collections view]({link})"
    return subject, body
