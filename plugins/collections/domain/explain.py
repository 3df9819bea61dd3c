"""Why a case sits where it does: the ladder read for one dpd and overdue amount (pure Python)."""

from __future__ import annotations

from decimal import Decimal

from debt_collections.domain.policy import Policy


def ladder_table(policy: Policy) -> list[dict[str, str]]:
    """One row per rung, as people read a ladder."""
    rows = []
    for r in policy.ladder:
        enters = f"dpd >= {r.dpd_at_least}"
        if r.overdue_amount_at_least is not None:
            enters += f" and overdue >= {r.overdue_amount_at_least}"
        rows.append({
            "stage": r.stage, "enters when": enters, "action": f"{r.action} via {r.channel}",
            "repeats": f"every {r.repeat_every_days} day(s)" if r.repeat_every_days else "once per case",
            "sticky": "yes" if r.sticky else "", "template": r.template, "assignee": r.assignee or "",
        })
    return rows


def rungs_reached(policy: Policy, dpd: int, overdue: Decimal, previous_stage: str | None = None) -> list[str]:
    """For each rung, whether its entry holds and why; the last line names the stage."""
    lines, stage = [], None
    for r in policy.ladder:
        holds = dpd >= r.dpd_at_least and (r.overdue_amount_at_least is None or overdue >= r.overdue_amount_at_least)
        why = f"dpd {dpd} {'>=' if dpd >= r.dpd_at_least else '<'} {r.dpd_at_least}"
        if r.overdue_amount_at_least is not None:
            why += f", overdue {overdue} {'>=' if overdue >= r.overdue_amount_at_least else '<'} {r.overdue_amount_at_least}"
        lines.append(f"{r.stage:<10} {'enters' if holds else 'no':<7} ({why})")
        if holds:
            stage = r.stage
    order = [r.stage for r in policy.ladder]
    sticky = previous_stage is not None and policy.rung(previous_stage).sticky if previous_stage in order else False
    if sticky and (stage is None or order.index(previous_stage) > order.index(stage)):
        lines.append(f"stage: {previous_stage} (sticky: the case entered it before and stays until it closes)")
    else:
        lines.append(f"stage: {stage or 'none (not overdue)'} (the highest rung whose entry holds)")
    return lines
