"""The daily evaluation of one portfolio, in a few set-based SQL statements.

Each function is one transaction under the ``(portfolio, as_of)`` advisory lock,
and replaces exactly the rows it owns, so that running it again is a no-op.
"""

from __future__ import annotations

import time
from typing import Any

from debt_collections.domain.params import RunParams
from debt_collections.domain.policy import Policy
from debt_collections.faults import crash_point
from debt_collections.stages import registry
from debt_collections.store.db import (
    fetch_all,
    fetch_one,
    fetch_row,
    lock_portfolio_data,
    lock_portfolio_day,
    run,
    transaction,
)

# The statements of a portfolio's evaluation, in order (bench/explain.py shows their plans):
# each step fills and analyses its work tables, then runs its one big statement.
ARREARS_WORK = (
    "arrears/clear_day.sql",
    "arrears/create_work.sql",
    "arrears/choose_work.sql",  # every account, or only those that may have changed since the day before
    "arrears/analyze_work.sql",
)
CASES_WORK = (
    "cases/clear_day.sql",
    "cases/create_prev.sql",
    "cases/create_arrears.sql",
    "cases/fill_work.sql",
    "cases/analyze_work.sql",
)
EVALUATE_STATEMENTS = (*ARREARS_WORK, "arrears/compute.sql", *CASES_WORK, "cases/evaluate.sql")


def evaluate_portfolio(
    conninfo: str,
    policy: Policy,
    portfolio: str,
    params: RunParams,
    *,
    incremental: bool = True,
    run_id: str | None = None,
) -> dict[str, Any]:
    """Arrears, then cases, for one portfolio on ``params.as_of``; counts of what was written, and seconds.

    With ``incremental`` (the default) the arrears start from the day before when it
    was evaluated, and only the accounts that may have changed are computed; the
    figures are the same as computing every account (``incremental=False``). The rows
    carry ``run_id``; the day's earlier rows are superseded, and kept, under it.
    """
    bind = evaluate_params(policy, portfolio, params, incremental=incremental, run_id=run_id)
    with transaction(conninfo) as conn:
        lock_portfolio_data(conn, [portfolio])
        lock_portfolio_day(conn, [portfolio], params.as_of)
        run(conn, "ops/session_for_bulk.sql")  # sorts of a large portfolio stay in memory
        began = time.monotonic()
        for name in ARREARS_WORK:
            run(conn, name, bind)
        overdue = run(conn, "arrears/compute.sql", bind)
        how = fetch_row(conn, "arrears/how_computed.sql", bind)
        arrears_done = time.monotonic()
        crash_point("evaluate.arrears")  # inside the transaction: nothing of it may survive
        for name in CASES_WORK:
            run(conn, name, bind)
        cases = run(conn, "cases/evaluate.sql", bind)
        cases_done = time.monotonic()
        # Unsent actions of the chosen stages are planned again by the stage
        # tasks; a stage with no work today then leaves none behind.
        run(conn, "actions/clear_unsent.sql", bind)
    crash_point("evaluate.done")
    seconds = {"arrears": round(arrears_done - began, 3), "cases": round(cases_done - arrears_done, 3)}
    return {
        "overdue_accounts": overdue,
        "cases": cases,
        "accounts_computed": how["accounts_computed"],
        "incremental": how["incremental"],
        "seconds": seconds,
    }


def evaluate_params(
    policy: Policy, portfolio: str, params: RunParams, *, incremental: bool = True, run_id: str | None = None
) -> dict[str, Any]:
    """The values bound to the statements of ``evaluate_portfolio``."""
    return {
        "run_id": run_id,
        "portfolio": portfolio,
        "as_of": params.as_of,
        "tz": policy.timezone,
        "tolerance": policy.tolerance,
        "kinds": sorted({policy.rung(s).action for s in params.stages}),
        "dry_run": params.dry_run,
        "incremental": incremental,
        **policy.ladder_params(),
    }


def known_portfolios(conninfo: str) -> list[str]:
    """Every portfolio the book holds."""
    with transaction(conninfo) as conn:
        return [r["portfolio"] for r in fetch_all(conn, "ops/known_portfolios.sql")]


def stage_work(conninfo: str, portfolios: list[str], params: RunParams) -> dict[str, int]:
    """Open cases due an action today, per stage, over ``portfolios``."""
    with transaction(conninfo) as conn:
        rows = fetch_all(conn, "actions/stage_work.sql", {"portfolios": portfolios, "as_of": params.as_of})
    return {r["stage"]: r["due"] for r in rows}


def stages_to_follow(policy: Policy, params: RunParams, work: dict[str, int]) -> list[str]:
    """The run's stages that may act today: rungs with cases due, and every pre-due reminder."""
    return [s for s in params.stages if work.get(s) or policy.rung(s).days_before_due]


def plan_stage(
    conninfo: str, policy: Policy, stage: str, portfolio: str, params: RunParams, *, run_id: str | None = None
) -> int:
    """Write the day's actions of one rung for one portfolio; how many were written."""
    bind = plan_params(policy, stage, portfolio, params, run_id=run_id)
    with transaction(conninfo) as conn:
        lock_portfolio_day(conn, [portfolio], params.as_of)
        if bind["roster_on"]:
            run(conn, "actions/lock_capacity.sql", bind)
        written = run(conn, plan_statement(policy, stage), bind)
    crash_point("plan.done")
    return written


def plan_statement(policy: Policy, stage: str) -> str:
    """The statement that writes a rung's actions: its kind's (``actions/plan.sql`` unless the kind has its own)."""
    return registry()[policy.rung(stage).action].plan_sql


def plan_params(
    policy: Policy, stage: str, portfolio: str, params: RunParams, *, run_id: str | None = None
) -> dict[str, Any]:
    """What a rung's plan statement (``actions/plan.sql`` or its kind's own) binds for one portfolio and day."""
    rung = policy.rung(stage)
    kind = registry()[rung.action]
    return {
        **kind.plan_params(),
        **variant_plan_params(policy, stage),
        **policy.roster_params(rung.action),
        "portfolio": portfolio,
        "as_of": params.as_of,
        "stage": stage,
        "kind": rung.action,
        "tz": policy.timezone,
        "tolerance": policy.tolerance,
        "days_before_due": rung.days_before_due or 0,
        "dry_run": params.dry_run,
        "run_id": run_id,
        "approval": rung.needs_approval,
    }


# the per-customer daily caps of a plan: channel and the rule named on what it stops
_CAPS = (("sms", "max_sms_per_customer_per_day"), ("dialer", "max_connected_calls_per_debtor_per_day"))


def variant_plan_params(policy: Policy, stage: str) -> dict[str, Any]:
    """What ``actions/plan.sql`` binds per variant (SPEC 9): the rung's channel, template and assignee and the
    contact rules each variant gives, as parallel arrays, and the daily caps per variant and channel."""
    sides = policy.variant_policies()
    out: dict[str, Any] = {"dag_id": policy.dag_id, "variant_upto": policy.variant_upto()}
    columns: dict[str, list[Any]] = {k: [] for k in ("v_names", "v_channel", "v_template", "v_assignee")}
    caps: dict[str, list[Any]] = {"cap_variants": [], "cap_channels": [], "cap_limits": [], "cap_rules": []}
    for name, _, side in sides:
        rung, contact = side.rung(stage), side.contact
        row = {
            "v_names": name,
            "v_channel": rung.channel,
            "v_template": rung.template,
            "v_assignee": rung.assignee,
            "v_max_calls_7_days": contact.max_call_attempts_per_account_per_7_days,
            "v_attempts_per_entry": contact.call_attempts_per_entry,
            "v_no_call_days": contact.no_call_days_after_conversation,
            "v_window_start": contact.window_start,
            "v_window_end": contact.window_end,
        }
        for key, value in row.items():
            columns.setdefault(key, []).append(value)
        for channel, rule in _CAPS:
            for key, value in zip(caps, (name, channel, getattr(contact, rule), rule), strict=True):
                caps[key].append(value)
    return {**out, **columns, **caps}


def report_portfolio(
    conninfo: str, policy: Policy, portfolio: str, params: RunParams, *, run_id: str | None
) -> dict[str, Any]:
    """Write and return the day's figures for one portfolio (counts and sums only, no personal data)."""
    bind = {
        "portfolio": portfolio,
        "as_of": params.as_of,
        "dag_id": policy.dag_id,
        "run_id": run_id,
        "dry_run": params.dry_run,
        "tz": policy.timezone,
        "attribution_days": policy.attribution_days,
        "cost_kinds": list(policy.cost),
        "cost_amounts": list(policy.cost.values()),
    }
    with transaction(conninfo) as conn:
        lock_portfolio_day(conn, [portfolio], params.as_of)
        run(conn, "report/portfolio_policy.sql", bind)
        row = fetch_one(conn, "report/portfolio_day.sql", bind)
    crash_point("report.done")
    return row["figures"] if row else {}
