"""The plan of the day: the steps of a daily run, in order, written once.

    prepare -> load_feed -> evaluate[portfolio] -> choose_stages
        -> <stage>[portfolio]   (each chosen stage: plan, then deliver)
        -> report[portfolio]

Each step is a typed function of the resolved run (:class:`Day`: the database, the
policy and the run's params) and returns a frozen dataclass of counts: no personal
data, since results go to task logs and XCom. The Airflow adapter
(``airflow/factory.py``) turns each step into a task (mapped over portfolios);
:func:`run_day` walks the same steps in one process for ``collections run-day``,
the demo, the benchmarks and the tests. A difference between the two is a bug.

Each step logs one line of figures and passes the crash point ``step:<task id>``
(``debt_collections.faults``) when its work is done; a rung's task passes two,
``step:<stage>.plan`` once its actions are written and ``step:<stage>.deliver`` once
they are delivered. Nothing here imports Airflow.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import pendulum

from debt_collections import clock
from debt_collections.delivery.http import PartnerClient
from debt_collections.domain import approvals
from debt_collections.domain.params import RunParams
from debt_collections.domain.policy import PORTFOLIO_NAME, Policy
from debt_collections.faults import crash_point
from debt_collections.feeds.base import FeedSource
from debt_collections.store import approvals as approvals_store
from debt_collections.store import daily, outbox
from debt_collections.store.loading import load_drop
from debt_collections.store.migrate import migrate

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Day:
    """A resolved run: where it writes, the policy it follows, and its checked params."""

    conninfo: str
    policy: Policy
    params: RunParams
    run_id: str | None = None


@dataclass(frozen=True)
class Scope:
    """The portfolios a run asked for (None: all) and those it acts on: covered by the policy and in the book."""

    as_of: pendulum.Date
    requested: tuple[str, ...] | None
    effective: tuple[str, ...]


def scope_of(policy: Policy, params: RunParams, known: Sequence[str]) -> Scope:
    """The one place a run's portfolios are worked out from the book's (or the drop's) portfolios."""
    wanted = set(params.portfolios) if params.portfolios else None
    effective = tuple(
        p for p in known if PORTFOLIO_NAME.match(p) and policy.covers(p) and (wanted is None or p in wanted)
    )
    return Scope(as_of=params.as_of, requested=params.portfolios, effective=effective)


# -- results (plain values: they cross XCom through Airflow's serializer) ------------------------


@dataclass(frozen=True)
class Loaded:
    """What the load did, and the portfolios the run goes on with."""

    feed_date: str
    rows_in: dict[str, int]
    quarantined: dict[str, int]
    reject_ratio: str
    portfolios: tuple[str, ...]


@dataclass(frozen=True)
class Evaluated:
    """One portfolio's arrears and cases of the day."""

    portfolio: str
    overdue_accounts: int
    cases: int
    accounts_computed: int
    incremental: bool
    arrears_seconds: float
    cases_seconds: float


@dataclass(frozen=True)
class Chosen:
    """Open cases due an action per stage, and the stages the run follows (rungs with work, reminders)."""

    work: dict[str, int]
    stages: tuple[str, ...]


@dataclass(frozen=True)
class Planned:
    """The day's actions one rung wrote for one portfolio."""

    stage: str
    portfolio: str
    actions: int


@dataclass(frozen=True)
class Acted:
    """One rung's work for one portfolio: the actions it planned (0 when the step only delivered), then what
    became of its outbox (nothing is sent in a dry run)."""

    stage: str
    portfolio: str
    kind: str
    planned: int = 0
    dry_run: bool = False
    resent: int = 0
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    waiting: int = 0


@dataclass(frozen=True)
class Reported:
    """The day's figures of one portfolio, as the report table holds them (counts only)."""

    portfolio: str
    figures: dict[str, Any]


@dataclass(frozen=True)
class DayResult:
    """Every step's result of a day walked in one process."""

    params: RunParams
    load: Loaded
    evaluated: tuple[Evaluated, ...] = ()
    chosen: Chosen = field(default_factory=lambda: Chosen({}, ()))
    acted: tuple[Acted, ...] = ()
    reported: tuple[Reported, ...] = ()


RESULT_TYPES = (RunParams, Loaded, Evaluated, Chosen, Acted, Reported)  # and Decided, below


# -- the steps ------------------------------------------------------------------------------------


def prepare(conninfo: str, policy: Policy, params: RunParams) -> RunParams:
    """Bring the schema up to date for a run whose params were checked against the policy."""
    applied = migrate(conninfo)  # a no-op once the schema is current
    if applied:
        log.info("applied migrations %s", ", ".join(applied))
    log.info(
        "run as_of=%s portfolios=%s stages=%s dry_run=%s",
        params.as_of,
        ",".join(params.portfolios or ["all"]),
        ",".join(params.stages),
        params.dry_run,
    )
    crash_point("step:prepare")
    return params


def load_feed(day: Day, source: FeedSource | None) -> Loaded:
    """Load the day's drop, quarantining bad rows (``source`` None: another run of the day loaded it)."""
    params, policy = day.params, day.policy
    if source is None:
        known = daily.known_portfolios(day.conninfo)
        loaded = Loaded(params.as_of.to_date_string(), {}, {}, "0", scope_of(policy, params, known).effective)
    else:
        result = load_drop(
            day.conninfo,
            source,
            params.as_of,
            portfolios=list(params.portfolios) if params.portfolios else None,
            max_reject_ratio=policy.max_reject_ratio,
            data_quality=policy.data_quality,
            confirm_data_quality=params.confirm_data_quality,
            paid_at_before=policy.feed.paid_at_before(params.as_of, policy.timezone),
        )
        summary = result.summary()
        loaded = Loaded(
            summary["feed_date"],
            summary["rows_in"],
            summary["quarantined"],
            summary["reject_ratio"],
            scope_of(policy, params, result.portfolios).effective,
        )
    log.info(
        "load rows_in=%s quarantined=%s ratio=%s portfolios=%s",
        sum(loaded.rows_in.values()),
        sum(loaded.quarantined.values()),
        loaded.reject_ratio,
        ",".join(loaded.portfolios) or "none",
    )
    crash_point("step:load_feed")
    return loaded


def evaluate(day: Day, portfolio: str) -> Evaluated:
    """Arrears and cases of one portfolio."""
    counts = daily.evaluate_portfolio(day.conninfo, day.policy, portfolio, day.params, run_id=day.run_id)
    out = Evaluated(
        portfolio,
        counts["overdue_accounts"],
        counts["cases"],
        counts["accounts_computed"],
        counts["incremental"],
        counts["seconds"]["arrears"],
        counts["seconds"]["cases"],
    )
    log.info(
        "evaluate portfolio=%s overdue_accounts=%d cases=%d accounts_computed=%d incremental=%s "
        "arrears_s=%.2f cases_s=%.2f",
        portfolio,
        out.overdue_accounts,
        out.cases,
        out.accounts_computed,
        out.incremental,
        out.arrears_seconds,
        out.cases_seconds,
    )
    crash_point("step:evaluate")
    return out


def choose_stages(day: Day, portfolios: Sequence[str]) -> Chosen:
    """The stages that have work today, so that the others are skipped (and the graph shows what ran)."""
    work = daily.stage_work(day.conninfo, list(portfolios), day.params) if portfolios else {}
    stages = tuple(daily.stages_to_follow(day.policy, day.params, work)) if portfolios else ()
    log.info("stage work %s; following %s", work or "none", ", ".join(stages) or "no stage")
    crash_point("step:choose_stages")
    return Chosen(work, stages)


def plan_stage(day: Day, stage: str, portfolio: str) -> Planned:
    """Write the day's actions of one rung for one portfolio."""
    written = daily.plan_stage(day.conninfo, day.policy, stage, portfolio, day.params, run_id=day.run_id)
    log.info("plan stage=%s portfolio=%s actions=%d", stage, portfolio, written)
    crash_point(f"step:{stage}.plan")
    return Planned(stage, portfolio, written)


def deliver(
    day: Day, stage: str, portfolio: str, partners: Mapping[str, PartnerClient], now: datetime | None = None
) -> Acted:
    """Send the rung's planned actions of one portfolio that may go out ``now`` (never in a dry run).

    The send-time rules apply first: outside the customer's window a notice or a call
    is deferred to it; channels without a partner leave their actions waiting in the
    outbox for the hourly outbox run.
    """
    params, kind = day.params, day.policy.rung(stage).action
    if params.dry_run:
        log.info("deliver kind=%s portfolio=%s dry run: nothing sent", kind, portfolio)
        return Acted(stage, portfolio, kind, dry_run=True)
    resent = outbox.resend_failed(day.conninfo, portfolio, params.as_of, [kind]) if params.resend_failed else 0
    counts = outbox.deliver(
        day.conninfo,
        portfolio,
        params.as_of,
        kind,
        dict(partners),
        now=now or clock.now("UTC"),
        caps=day.policy.contact,
        messages=day.policy.messages,
    )
    out = Acted(
        stage,
        portfolio,
        kind,
        resent=resent,
        sent=counts["sent"],
        failed=counts["failed"],
        deferred=counts["deferred"],
        waiting=counts["waiting"],
    )
    log.info(
        "deliver kind=%s portfolio=%s resent=%d sent=%d failed=%d deferred=%d waiting=%d",
        kind,
        portfolio,
        out.resent,
        out.sent,
        out.failed,
        out.deferred,
        out.waiting,
    )
    crash_point(f"step:{stage}.deliver")
    return out


def act(
    day: Day, stage: str, portfolio: str, partners: Mapping[str, PartnerClient], now: datetime | None = None
) -> Acted:
    """One rung of one portfolio: plan the day's actions (:func:`plan_stage`), then deliver them (:func:`deliver`).

    One task, not two: a task instance costs Airflow more than either step (docs/DESIGN-NOTES.md, "Shape of a
    run"). Planning again is safe: it replaces only the unsent actions, so a retry after a delivery that failed
    half way plans the rest again and sends only what has not gone.
    """
    planned = plan_stage(day, stage, portfolio)
    return replace(deliver(day, stage, portfolio, partners, now), planned=planned.actions)


def report(day: Day, portfolio: str) -> Reported:
    """Write the day's figures of one portfolio (counts only)."""
    figures = daily.report_portfolio(day.conninfo, day.policy, portfolio, day.params, run_id=day.run_id)
    log.info(
        "report portfolio=%s cases=%s opened=%s cured=%s actions=%s",
        portfolio,
        figures.get("cases"),
        figures.get("opened"),
        figures.get("cured"),
        figures.get("actions_by_kind_status"),
    )
    crash_point("step:report")
    return Reported(portfolio, figures)


# -- the walk, in one process -----------------------------------------------------------------------


def run_day(
    conninfo: str,
    policy: Policy,
    source: FeedSource | None,
    params: RunParams,
    *,
    run_id: str | None = None,
    partners: Mapping[str, PartnerClient] | None = None,
    now: datetime | None = None,
) -> DayResult:
    """Walk the plan of the day in this process, step by step in the DAG's order.

    ``params`` are checked (``parse_run_params``). ``partners`` maps channels to
    partner clients; a channel without one leaves its actions waiting in the outbox.
    ``now`` is the send time the contact rules are checked against (default: the
    clock). ``source`` None evaluates what is stored (another policy's run of the
    same day loaded the drop). ``run_id`` names the walk on the rows it writes
    (default: ``run_day__`` and the clock's time).
    """
    run_id = run_id or f"run_day__{clock.now('UTC').isoformat()}"
    day = Day(conninfo, policy, prepare(conninfo, policy, params), run_id)
    loaded = load_feed(day, source)
    evaluated = tuple(evaluate(day, p) for p in loaded.portfolios)
    chosen = choose_stages(day, loaded.portfolios)
    acted = tuple(act(day, stage, p, partners or {}, now) for stage in chosen.stages for p in loaded.portfolios)
    reported = tuple(report(day, p) for p in loaded.portfolios)
    return DayResult(day.params, loaded, evaluated, chosen, acted, reported)


# -- the hourly outbox: what waits for its window, receipts, the report deadline ---------------------

OUTBOX_DAYS = 3  # actions of the last days still waiting for their window are retried


@dataclass(frozen=True)
class Waiting:
    """A (portfolio, day, kind) with actions waiting in the outbox."""

    portfolio: str
    as_of: pendulum.Date
    kind: str

    @property
    def label(self) -> str:
        return f"{self.portfolio} {self.as_of} {self.kind}"


def waiting(conninfo: str, policy: Policy) -> list[Waiting]:
    """The (portfolio, day, kind) of the last ``OUTBOX_DAYS`` days with actions waiting, in the policy's portfolios."""
    since = clock.now(policy.timezone).date().subtract(days=OUTBOX_DAYS)
    work = [
        Waiting(w["portfolio"], pendulum.Date.fromisoformat(w["as_of"]), w["kind"])
        for w in outbox.pending_work(conninfo, since)
        if policy.covers(w["portfolio"])
    ]
    log.info("outbox: %d (portfolio, day, kind) waiting since %s", len(work), since)
    return work


def send_waiting(conninfo: str, policy: Policy, item: Waiting, partners: Mapping[str, PartnerClient]) -> dict[str, int]:
    """Deliver what may go out now for one (portfolio, day, kind); counts by outcome."""
    counts = outbox.deliver(
        conninfo,
        item.portfolio,
        item.as_of,
        item.kind,
        dict(partners),
        now=clock.now("UTC"),
        caps=policy.contact,
        messages=policy.messages,
    )
    log.info(
        "outbox portfolio=%s as_of=%s kind=%s %s",
        item.portfolio,
        item.as_of,
        item.kind,
        " ".join(f"{k}={v}" for k, v in counts.items()),
    )
    return counts


def read_receipts(conninfo: str, partners: Mapping[str, PartnerClient]) -> dict[str, dict[str, int]]:
    """Read the partners' delivery receipts: sent actions become delivered, or failed with a reason."""
    counts = outbox.collect_receipts(conninfo, dict(partners))
    for channel, c in counts.items():
        log.info("receipts channel=%s %s", channel, " ".join(f"{k}={v}" for k, v in c.items()))
    return counts


def check_deadline(conninfo: str, policy: Policy) -> dict[str, Any]:
    """Past the policy's deadline, alert once if yesterday is not reported for every portfolio."""
    from debt_collections.alerts import check_deadline as check

    out = check(conninfo, policy, clock.now("UTC"))
    log.info(
        "deadline as_of=%s past=%s missing=%s alerted=%s",
        out["as_of"],
        out["past_deadline"],
        ",".join(out["missing"]) or "none",
        out["alerted"],
    )
    return out


# -- approvals: the steps that cannot be taken back wait for a person (SPEC 11) ----------------------


@dataclass(frozen=True)
class Decided:
    """What one answer to a portfolio's approval request did (counts and the problems it named)."""

    portfolio: str
    listed: int
    approved: int = 0
    rejected: int = 0
    undecided: int = 0
    decided_before: int = 0
    timed_out: bool = False
    decided_by: str | None = None
    problems: tuple[str, ...] = ()


def approval_kinds(policy: Policy) -> list[str]:
    """The action kinds of the policy's rungs that require approval."""
    return sorted({r.action for r in policy.approval_rungs})


def waiting_for_approval(conninfo: str, policy: Policy) -> list[str]:
    """The policy's portfolios with actions waiting for a decision (any day: undecided ones are asked again)."""
    kinds = approval_kinds(policy)
    found = [p for p in approvals_store.portfolios_waiting(conninfo, kinds) if policy.covers(p)] if kinds else []
    log.info("approvals: %d portfolio(s) with actions waiting: %s", len(found), ", ".join(found) or "none")
    return found


def approval_request(conninfo: str, policy: Policy, portfolio: str) -> list[approvals.Awaiting]:
    """The actions of one portfolio a request lists: waiting, of an open case, oldest first."""
    listed = approvals_store.awaiting(conninfo, portfolio, approval_kinds(policy))
    log.info("approvals portfolio=%s listed=%d", portfolio, len(listed))
    return listed


def apply_answer(
    conninfo: str,
    portfolio: str,
    listed: list[approvals.Awaiting],
    answer: approvals.Decision,
    *,
    decided_by: str,
    via: str,
    request: str | None = None,
    now: datetime | None = None,
) -> Decided:
    """Record a person's answer on the listed actions that still wait; the first decision of each stands."""
    at = now or clock.now("UTC")
    approved, rejected = (
        approvals_store.decide(
            conninfo,
            portfolio,
            keys,
            decision,
            decided_by=decided_by,
            decided_at=at,
            via=via,
            reason=reason,
            request=request,
        )
        for keys, decision, reason in ((answer.approve, "approved", None), (answer.reject, "rejected", answer.reason))
    )
    out = Decided(
        portfolio,
        len(listed),
        approved=len(approved),
        rejected=len(rejected),
        undecided=len(answer.undecided),
        decided_before=len(answer.approve) + len(answer.reject) - len(approved) - len(rejected),
        decided_by=decided_by,
        problems=answer.problems,
    )
    log.info(
        "approvals portfolio=%s by=%s via=%s approved=%d rejected=%d undecided=%d decided_before=%d%s",
        portfolio,
        decided_by,
        via,
        out.approved,
        out.rejected,
        out.undecided,
        out.decided_before,
        "".join(f"; {p}" for p in out.problems),
    )
    return out


def approve_waiting(
    conninfo: str,
    policy: Policy,
    *,
    decided_by: str,
    via: str,
    planned_until: pendulum.Date | None = None,
    now: datetime | None = None,
) -> list[Decided]:
    """Approve every action of the policy's portfolios that waits (planned on or before ``planned_until``, when
    given), as ``decided_by``: what a lead does who clears the list. One answer per portfolio."""
    done = []
    for portfolio in waiting_for_approval(conninfo, policy):
        listed = approval_request(conninfo, policy, portfolio)
        chosen = [i for i in listed if planned_until is None or i.as_of <= planned_until.to_date_string()]
        if chosen:
            answer = approvals.read_answer(listed, [approvals.label(i) for i in chosen], [], None)
            done.append(apply_answer(conninfo, portfolio, listed, answer, decided_by=decided_by, via=via, now=now))
    return done


def no_answer(portfolio: str, listed: list[approvals.Awaiting]) -> Decided:
    """A request whose time ran out: every listed action stays waiting, to be asked about again the next day."""
    log.info("approvals portfolio=%s: no decision in time; %d action(s) stay awaiting_approval", portfolio, len(listed))
    return Decided(portfolio, len(listed), undecided=len(listed), timed_out=True)


def send_approved(
    conninfo: str, policy: Policy, portfolio: str, partners: Mapping[str, PartnerClient], now: datetime | None = None
) -> dict[str, int]:
    """Send the portfolio's approved actions that have not gone out yet, whatever day they were planned on."""
    totals = {"sent": 0, "failed": 0, "deferred": 0, "waiting": 0}
    for row in approvals_store.approved_to_send(conninfo, portfolio, approval_kinds(policy)):
        counts = outbox.deliver(
            conninfo,
            portfolio,
            pendulum.Date.fromisoformat(row["as_of"]),
            row["kind"],
            dict(partners),
            now=now or clock.now("UTC"),
            caps=policy.contact,
            messages=policy.messages,
        )
        for key in totals:
            totals[key] += counts.get(key, 0)
    log.info("approvals portfolio=%s send %s", portfolio, " ".join(f"{k}={v}" for k, v in totals.items()))
    return totals
