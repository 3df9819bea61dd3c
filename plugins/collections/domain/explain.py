"""Why a case sits where it does: the ladder read for one account's facts (pure Python)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from debt_collections.domain.arrears import BUCKETS, bucket
from debt_collections.domain.policy import ContactRules, Policy, Reminder, Rung, Step


@dataclass(frozen=True)
class Facts:
    """What a rung's entry condition reads about a case on a day."""

    dpd: int
    overdue: Decimal
    product: str = "loan"
    risk_grade: str | None = None
    broken_promises: int = 0  # promises to pay of this overdue episode that ended short

    @classmethod
    def of_case(cls, case: Mapping[str, Any]) -> Facts:
        """The facts of a case's explain row (``ops/explain_case.sql``)."""
        return cls(
            dpd=case["dpd"],
            overdue=case["overdue_amount"],
            product=case["product"],
            risk_grade=case["risk_grade"],
            broken_promises=case["broken_promises"],
        )


def entry_text(r: Step) -> str:
    """A rung's entry condition as people read it."""
    if isinstance(r, Reminder):
        return f"{r.days_before_due} day(s) before an unpaid installment falls due (not overdue)"
    e = r.enter
    parts = [f"dpd >= {r.min_dpd}"]
    if e.overdue_amount_at_least is not None:
        parts.append(f"overdue >= {e.overdue_amount_at_least}")
    if e.bucket_at_least:
        parts.append(f"bucket >= {e.bucket_at_least}")
    if e.products:
        parts.append(f"product in {', '.join(e.products)}")
    if e.risk_grades:
        parts.append(f"risk grade in {', '.join(e.risk_grades)}")
    if e.broken_promises_at_least:
        parts.append(f"broken promises >= {e.broken_promises_at_least}")
    return " and ".join(parts)


def repeats_text(r: Step) -> str:
    if isinstance(r, Reminder):
        return "once per installment"
    return f"every {r.repeat_every_days} day(s)" if r.repeat_every_days else "once per case"


def ladder_table(policy: Policy) -> list[dict[str, str]]:
    """One row per reminder and rung, as people read a ladder."""
    return [
        {
            "stage": r.stage,
            "enters when": entry_text(r),
            "action": f"{r.action} via {r.channel}",
            "repeats": repeats_text(r),
            "sticky": "yes" if r.sticky else "",
            "template": r.template,
            "assignee": r.assignee or "",
        }
        for r in policy.steps
    ]


def _checks(rung: Rung, f: Facts) -> list[tuple[bool, str]]:
    r, low = rung.enter, rung.min_dpd
    checks = [(f.dpd >= low, f"dpd {f.dpd} {'>=' if f.dpd >= low else '<'} {low}")]
    if r.overdue_amount_at_least is not None:
        ok = f.overdue >= r.overdue_amount_at_least
        checks.append((ok, f"overdue {f.overdue} {'>=' if ok else '<'} {r.overdue_amount_at_least}"))
    if r.bucket_at_least:
        ok = BUCKETS.index(bucket(f.dpd)) >= BUCKETS.index(r.bucket_at_least)
        checks.append((ok, f"bucket {bucket(f.dpd)} {'>=' if ok else '<'} {r.bucket_at_least}"))
    if r.products:
        ok = f.product in r.products
        checks.append((ok, f"product {f.product} {'in' if ok else 'not in'} {', '.join(r.products)}"))
    if r.risk_grades:
        ok = f.risk_grade in r.risk_grades
        checks.append(
            (ok, f"risk grade {f.risk_grade or 'none'} {'in' if ok else 'not in'} {', '.join(r.risk_grades)}")
        )
    if r.broken_promises_at_least:
        ok = f.broken_promises >= r.broken_promises_at_least
        checks.append((ok, f"broken promises {f.broken_promises} {'>=' if ok else '<'} {r.broken_promises_at_least}"))
    return checks


def rungs_reached(policy: Policy, facts: Facts, previous_stage: str | None = None) -> list[str]:
    """For each rung, whether its entry holds and why; the last line names the stage."""
    lines, stage = [], None
    for r in policy.ladder:
        checks = _checks(r, facts)
        holds = all(ok for ok, _ in checks)
        lines.append(f"{r.stage:<12} {'enters' if holds else 'no':<7} ({', '.join(why for _, why in checks)})")
        if holds:
            stage = r.stage
    order = [r.stage for r in policy.ladder]
    sticky = previous_stage is not None and policy.rung(previous_stage).sticky if previous_stage in order else False
    if sticky and previous_stage is not None and (stage is None or order.index(previous_stage) > order.index(stage)):
        lines.append(f"stage: {previous_stage} (sticky: the case entered it before and stays until it closes)")
    else:
        lines.append(f"stage: {stage or 'none (not overdue)'} (the highest rung whose entry holds)")
    return lines


def describe_contact(c: ContactRules) -> str:
    """The contact rules in one sentence."""
    text = (
        f"window {c.window_start:%H:%M}-{c.window_end:%H:%M} customer local time; "
        f"at most {c.max_sms_per_customer_per_day} SMS per customer per day, "
        f"{c.max_connected_calls_per_debtor_per_day} connected calls per debtor per day, "
        f"{c.max_dial_attempts_per_number_per_day} dial attempts per number per day, "
        f"{c.max_call_attempts_per_account_per_7_days} call attempts per account in 7 days"
    )
    if c.no_call_days_after_conversation:
        text += f"; no call within {c.no_call_days_after_conversation} days after a conversation"
    return text


def case_rules(case: Mapping[str, Any]) -> list[str]:
    """The contact rules in force on a case, in words (from its explain row)."""
    rules = []
    if case["cease_contact"]:
        rules.append("cease_contact: notices, calls and visits suppressed")
    if case["suppress_reason"]:
        rules.append(f"{case['suppress_reason']} active: calls, visits and legal suppressed")
    if case["promise_status"]:
        rules.append(f"latest promise to pay: {case['promise_status']}")
    if case["plan_status"]:
        rules.append(f"latest payment plan: {case['plan_status']}")
    return rules


def next_steps(policy: Policy, facts: Facts, stage: str | None, since: dt.date | None, as_of: dt.date) -> list[str]:
    """What the ladder does next with a case that stays unpaid, after ``as_of``: its rung's next action
    (the day its repeat falls due, or none more when the rung acts once per case) and the first higher
    rung, from the day its dpd would reach it. The contact rules, holds and capacity may still stop or
    defer an action on the day."""
    steps = []
    order = [r.stage for r in policy.ladder]
    here = policy.rung(stage) if stage in order else None
    if here is not None and since is not None:
        every = here.repeat_every_days
        if every:
            due = since + dt.timedelta(days=((as_of - since).days // every + 1) * every)
            repeat = f"every {every} day(s) on {here.stage}"
            steps.append(f"{here.action} via {here.channel} on {due.isoformat()} ({repeat})")
        else:
            steps.append(f"{here.action} via {here.channel}: once per case on {here.stage}, not repeated")
    above = order.index(stage) + 1 if stage in order else 0
    for r in policy.ladder[above:]:
        if r.min_dpd > facts.dpd:
            when = as_of + dt.timedelta(days=r.min_dpd - facts.dpd)
            steps.append(f"{r.stage} from {when.isoformat()} if still unpaid ({entry_text(r)})")
            break
    return steps
