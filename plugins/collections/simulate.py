"""Simulation (SPEC section 10): a policy change tried on history before it goes live.

``simulate`` replays the days ``first``..``last`` in order, once under the baseline policy
(by default the policy of ``dags/policies`` that owns the portfolios) and once under the
candidate, each in a scratch schema of its own (``collections_sim_<hex>``) that is dropped at
the end, error or not. A replay walks the plan of the day's own steps (``plan.evaluate``,
``plan.choose_stages``, ``plan.plan_stage``, ``plan.report``) with what is stored: no feed is
loaded, no migration runs and no partner is called, so nothing is sent and no row of the
``collections`` schema changes. The statements are the daily run's own, pointed at the
scratch schema (``store.sql.in_schema``). Each side starts where history stood before
``first``: the case rows of the last evaluated day, that day's arrears, and the actions the
contact rules look back on.

The baseline replayed over days it ran reproduces the recorded ``case_day`` and ``action``
rows; every difference is listed (``differences_from_history``). Nothing here imports Airflow.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pendulum

from debt_collections import clock, plan
from debt_collections.domain.params import RunParams, parse_day
from debt_collections.domain.policy import PORTFOLIO_NAME, Policy
from debt_collections.errors import ConfigError
from debt_collections.policy.lint import policy_files
from debt_collections.policy.loader import load_policy
from debt_collections.stages import registry
from debt_collections.store import daily
from debt_collections.store import simulate as store

log = logging.getLogger(__name__)

POLICIES = Path(__file__).resolve().parents[2] / "dags" / "policies"
DIFFERENCES_SHOWN = 100  # differences_from_history lists at most this many; differences_total counts them all


@dataclass(frozen=True)
class Request:
    """What to simulate: checked dates, the policy files of both sides, and the portfolios (resolved)."""

    first: pendulum.Date
    last: pendulum.Date
    candidate: Path
    baseline: Path
    portfolios: tuple[str, ...]


def policy_path(value: str, folder: Path = POLICIES) -> Path:
    """A policy file: a path, or a file name of ``folder`` (e.g. ``standard.yaml``)."""
    path = Path(value)
    if not path.is_file() and (folder / value).is_file():
        path = folder / value
    if not path.is_file():
        raise ConfigError(f"policy file {value!r} not found (a path, or a file name of {folder})")
    return path


def owning_policy(portfolios: Sequence[str], folder: Path = POLICIES) -> Path:
    """The one policy file of ``folder`` that covers every one of ``portfolios`` (the policy in force)."""
    owners = [p for p in policy_files(folder) if all(load_policy(p).covers(x) for x in portfolios)]
    if len(owners) != 1:
        found = "none does" if not owners else f"{', '.join(p.name for p in owners)} do"
        raise ConfigError(
            f"no single policy of {folder} covers portfolios {', '.join(portfolios)} ({found}): "
            "name the policy in force with --baseline"
        )
    return owners[0]


def resolve(
    conninfo: str,
    candidate: str,
    baseline: str | None,
    first: Any,
    last: Any,
    portfolios: Sequence[str] = (),
    folder: Path = POLICIES,
) -> Request:
    """Check a simulation's input; ConfigError (the CLI's exit code 2) names what is wrong."""
    d1, d2 = parse_day(first, "--from"), parse_day(last, "--to")
    if d1 > d2:
        raise ConfigError(f"--from {d1} is after --to {d2}: the first day simulated must not be after the last")
    for p in portfolios:
        if not PORTFOLIO_NAME.match(p):
            raise ConfigError(f"portfolio {p!r} is not a portfolio name (letters, digits, _ . -)")
    cand_path = policy_path(candidate, folder)
    base_path = policy_path(baseline, folder) if baseline else None
    known = daily.known_portfolios(conninfo)
    unknown = sorted(set(portfolios) - set(known))
    if unknown:
        raise ConfigError(f"portfolio(s) {', '.join(unknown)} not in the book (it holds {', '.join(known)})")
    if not portfolios:
        owner = load_policy(base_path or cand_path)  # the portfolios of the baseline, else of the candidate
        portfolios = [p for p in known if owner.covers(p)]
        if not portfolios:
            raise ConfigError(f"{owner.source_path} covers no portfolio of the book: name them with --portfolio")
    load_policy(cand_path)  # a policy error stops the simulation before anything is built
    base_path = base_path or owning_policy(portfolios, folder)
    days = store.stored_days(conninfo, list(portfolios), d1, d2)
    if not days:
        raise ConfigError(f"no day from {d1} to {d2} was evaluated for {', '.join(portfolios)}: nothing to replay")
    return Request(d1, d2, cand_path, base_path, tuple(sorted(portfolios)))


def simulate(conninfo: str, request: Request) -> dict[str, Any]:
    """Replay the request's days under the baseline and the candidate; the result of SPEC 10 (JSON-ready)."""
    baseline, diffs = replay(conninfo, load_policy(request.baseline), request, compare=True)
    candidate, _ = replay(conninfo, load_policy(request.candidate), request, compare=False)
    total = int(diffs[0]["total"]) if diffs else 0
    return {
        "from": request.first.isoformat(),
        "to": request.last.isoformat(),
        "portfolios": list(request.portfolios),
        "baseline": {"policy": str(request.baseline), **baseline},
        "candidate": {"policy": str(request.candidate), **candidate},
        "baseline_matches_history": total == 0,
        "differences_from_history": [_difference(d) for d in diffs],
        "differences_total": total,
    }


def replay(
    conninfo: str, policy: Policy, request: Request, *, compare: bool
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One side: the days replayed in a scratch schema of its own, always dropped; its figures, and
    (``compare``) where it differs from the recorded history."""
    schema = store.new_scratch_name()
    portfolios = list(request.portfolios)
    bind = _bind(policy, request)
    try:
        copied = store.create_scratch(conninfo, schema, portfolios, request.first)
        log.info("simulate %s in %s: copied %s", policy.dag_id, schema, copied)
        with store.scratch_schema(schema):
            day = request.first
            while day <= request.last:
                _walk_day(conninfo, policy, day, portfolios, f"simulate__{schema}")
                day = day.add(days=1)
            side = _side(
                store.day_figures(conninfo, bind),
                store.rule_violations(conninfo, bind),
                store.stopped_at_send(conninfo, bind),
            )
        diffs = store.differences(conninfo, schema, {**bind, "cap": DIFFERENCES_SHOWN}) if compare else []
    finally:
        store.drop_scratch(conninfo, schema)
    return side, diffs


def _walk_day(conninfo: str, policy: Policy, as_of: pendulum.Date, portfolios: list[str], run_id: str) -> None:
    """The plan of the day without its load, its delivery and its migration check: what is stored is evaluated."""
    params = RunParams(as_of=as_of, portfolios=tuple(portfolios), stages=policy.stages, dry_run=False)
    day = plan.Day(conninfo, policy, params, run_id)
    for p in portfolios:
        plan.evaluate(day, p)
    chosen = plan.choose_stages(day, portfolios)
    for stage in chosen.stages:
        for p in portfolios:
            plan.plan_stage(day, stage, p)
    for p in portfolios:
        plan.report(day, p)


def _bind(policy: Policy, request: Request) -> dict[str, Any]:
    """The values the figures' and the comparison's statements read: the days, and the policy's contact rules."""
    contact = policy.contact
    return {
        "from": request.first,
        "to": request.last,
        "portfolios": list(request.portfolios),
        "tz": policy.timezone,
        "contact_kinds": sorted(k.name for k in registry().values() if k.stopped_by_cease_contact),
        "max_sms": contact.max_sms_per_customer_per_day,
        "attempts_per_entry": contact.call_attempts_per_entry,
        "max_calls_7_days": contact.max_call_attempts_per_account_per_7_days,
        "window_start": contact.window_start,
        "window_end": contact.window_end,
    }


def _side(figures: list[dict[str, Any]], violations: dict[date, int], stopped: dict[date, int]) -> dict[str, Any]:
    """SIDE of SPEC 10: the days' figures and their totals (money as strings)."""
    days = [
        {
            "as_of": f["as_of"].isoformat(),
            "cases_by_stage": dict(sorted(f["cases_by_stage"].items())),
            "actions_by_kind_status": dict(sorted(f["actions_by_kind_status"].items())),
            "suppressed_by_reason": dict(sorted(f["suppressed_by_reason"].items())),
            "contacts_max_per_customer_day": f["contacts_max_per_customer_day"],
            "rule_violations": violations.get(f["as_of"], 0),
            # SMS the send-time cap across portfolios would stop: never sent, so no violation
            "sms_stopped_at_send": stopped.get(f["as_of"], 0),
            "overdue_amount": str(f["overdue_amount"]),
        }
        for f in figures
    ]
    totals: dict[str, Any] = {"days": len(days)}
    for key in ("cases_by_stage", "actions_by_kind_status", "suppressed_by_reason"):
        summed: Counter[str] = Counter()
        for d in days:
            summed.update(d[key])
        totals[key] = dict(sorted(summed.items()))
    totals["contacts_max_per_customer_day"] = max((d["contacts_max_per_customer_day"] for d in days), default=0)
    totals["rule_violations"] = sum(d["rule_violations"] for d in days)
    totals["sms_stopped_at_send"] = sum(d["sms_stopped_at_send"] for d in days)
    return {"days": days, "totals": totals}


def _difference(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "as_of": row["as_of"].isoformat(),
        "account_id": row["account_id"],
        "case_id": row["case_id"],
        "kind": row["kind"],
        "column": row["column"],
        "history": row["history"],
        "replay": row["replay"],
    }


def run_and_record(conninfo: str, run_id: str, params: dict[str, Any], folder: Path = POLICIES) -> dict[str, Any]:
    """The ``collections_simulate`` DAG's task: simulate with its params (candidate, baseline, from, to,
    portfolios), keep the result in ``collections.simulation``; a summary of counts for the task's log and XCom."""
    started = clock.now("UTC")
    request = resolve(
        conninfo,
        str(params.get("candidate") or ""),
        params.get("baseline") or None,
        params.get("from"),
        params.get("to"),
        list(params.get("portfolios") or ()),
        folder,
    )
    result = simulate(conninfo, request)
    simulation_id = store.record(conninfo, run_id, params, started, clock.now("UTC"), result)
    summary = {
        "simulation_id": simulation_id,
        "baseline_matches_history": result["baseline_matches_history"],
        "differences_total": result["differences_total"],
        **{f"{side}_totals": result[side]["totals"] for side in ("baseline", "candidate")},
    }
    log.info("simulation %d: %s", simulation_id, summary)
    return summary
