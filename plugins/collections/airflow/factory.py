"""The only place that builds Airflow objects: one DAG per policy file.

    prepare -> load_feed -> evaluate[portfolio] -> choose_stages
        -> <stage>[portfolio]   (a task per rung: plan, then deliver; skipped when it has no work)
        -> report[portfolio]

Tasks are mapped over portfolios (the map index shows the portfolio's name),
never over accounts: each task handles a whole portfolio in a few SQL statements.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pendulum
from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import (
    DAG,
    Asset,
    AssetOrTimeSchedule,
    AssetWatcher,
    CronTriggerTimetable,
    Param,
    TriggerRule,
    get_current_context,
    task,
)
from airflow.sdk.definitions.callback import SyncCallback  # airflow.sdk exports these, its stub (3.3.2) does not
from airflow.sdk.definitions.deadline import DeadlineAlert, DeadlineReference
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
from airflow.sdk.serde import allow_class

from debt_collections import plan
from debt_collections.airflow import connections
from debt_collections.airflow.triggers import DropReadyTrigger
from debt_collections.domain import approvals
from debt_collections.domain.params import RunParams, days_of_markers, parse_run_params
from debt_collections.domain.policy import PORTFOLIO_NAME, Policy, Step
from debt_collections.errors import CollectionsError
from debt_collections.policy.loader import load_policy

# the steps' results cross XCom through Airflow's serializer, as the dataclasses they are
for _cls in (*plan.RESULT_TYPES, plan.Waiting, plan.Decided):
    allow_class(_cls)


def dag_from_policy_file(path: str | Path) -> DAG:
    """Build the daily DAG of one policy file."""
    return build_dag(load_policy(path))


def dags_from_policy_file(path: str | Path) -> tuple[DAG, DAG, DAG | None]:
    """The daily DAG, the outbox DAG and (for a policy with rungs that require approval) the approvals DAG of
    one policy file: the whole body of a loader in ``dags/``."""
    policy = load_policy(path)
    approvals_dag = build_approvals_dag(policy) if policy.approval_rungs else None
    return build_dag(policy), build_outbox_dag(policy), approvals_dag


def _fail_fast(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Known problems (bad params, bad feed) fail the task at once: retrying cannot fix them."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CollectionsError as exc:
            raise AirflowFailException(str(exc)) from exc

    return wrapper


def _default_args(policy: Policy, **extra: Any) -> dict[str, Any]:
    return {
        "owner": policy.owner,
        "retries": policy.retries,
        "retry_delay": timedelta(minutes=1),
        "on_failure_callback": _alert_on_failure(policy),
        **extra,
    }


def _start(policy: Policy) -> pendulum.DateTime:
    """The DAG's start date: midnight of the policy's ``start_date`` in its timezone."""
    day = policy.start_date
    return pendulum.datetime(day.year, day.month, day.day, tz=policy.timezone)


def _schedule(policy: Policy) -> CronTriggerTimetable | AssetOrTimeSchedule:
    """The policy's cron; with a ready marker, also the marker's arrival (the cron is then the fallback)."""
    cron = CronTriggerTimetable(policy.schedule, timezone=policy.timezone)
    if policy.feed.ready_marker is None:
        return cron
    return AssetOrTimeSchedule(timetable=cron, assets=_drop_ready(policy))


def _drop_ready(policy: Policy) -> Asset:
    """The asset "the drop is ready", watched in the triggerer for the policy's ready marker.

    Named after the feed connection and the marker, not the DAG: policies that read the same drops share
    it (and its one watcher), so the marker, taken once, starts each of them.
    """
    marker, conn_id = policy.feed.ready_marker, policy.connections.feed
    trigger = DropReadyTrigger(feed_conn_id=conn_id, marker=str(marker), poke_interval=policy.feed.ready_poll_seconds)
    return Asset(
        name=f"drop_ready:{conn_id}:{marker}",
        uri=f"x-collections-feed://{conn_id}/{marker}",
        group="collections",
        watchers=[AssetWatcher(name=f"drop_ready_{conn_id}", trigger=trigger)],
    )


def _deadline_after_schedule(policy: Policy) -> timedelta | None:
    """From the cron's daily time to the policy's deadline (the next one after it); None when not both fixed.

    Only a cron that fires once a day at a fixed hour and minute (``30 2 * * *``) has one.
    """
    fields = policy.schedule.split()
    deadline = policy.alerts.deadline_time
    if deadline is None or len(fields) != 5 or fields[2:] != ["*", "*", "*"]:
        return None
    if not (fields[0].isdigit() and fields[1].isdigit()):
        return None
    fired = int(fields[1]) * 60 + int(fields[0])
    minutes = (deadline.hour * 60 + deadline.minute - fired) % (24 * 60)
    return timedelta(minutes=minutes or 24 * 60)


def _deadline(policy: Policy) -> DeadlineAlert | None:
    """Airflow's deadline alert (``alerts.deadline_alert``): a scheduled run still going at the deadline alerts.

    It measures from the run's logical date (the cron's time), so it applies to the cron's runs; a run the
    ready marker started has no logical date and no deadline of its own, and a day with no run at all is
    caught by the outbox DAG's hourly ``deadline`` task (docs/OPERATIONS.md, "Starting when the data arrives").
    """
    interval = _deadline_after_schedule(policy) if policy.alerts.deadline_alert else None
    if interval is None:
        return None
    from debt_collections.alerts import on_run_late

    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_LOGICAL_DATE,
        interval=interval,
        callback=SyncCallback(
            on_run_late,
            kwargs={
                "conn_id": policy.alerts.connection,
                "deadline": str(policy.alerts.deadline),
                "timezone": policy.timezone,
            },
        ),
        name="report_deadline",
    )


def _run_params(policy: Policy) -> RunParams:
    """The run's params checked against the policy; the day from a ready marker when the marker started it."""
    context = get_current_context()
    events = context.get("triggering_asset_events") or {}
    payloads = [event.extra.get("payload") for found in events.values() for event in found]
    dag_run = context.get("dag_run")
    return parse_run_params(
        context["params"],
        policy,
        context.get("logical_date"),
        run_after=getattr(dag_run, "run_after", None),
        marker_days=days_of_markers(payloads),
    )


def _conninfo(policy: Policy) -> str:
    return connections.database_conninfo(policy.connections.database)


def _alert_on_failure(policy: Policy) -> Callable[..., Any]:
    """A task that fails for good alerts the team through the policy's alert connection."""
    from debt_collections.alerts import on_task_failure

    return functools.partial(on_task_failure, policy.alerts.connection)


def _name_map_index(label: str) -> None:
    """The map index the UI shows (``map_index_template``): the portfolio's name, never a number."""
    get_current_context()["portfolio_name"] = label  # type: ignore[typeddict-unknown-key]  # read by the template


def _day(policy: Policy, run: RunParams) -> plan.Day:
    """The resolved run a task of this DAG run works on."""
    return plan.Day(_conninfo(policy), policy, run, get_current_context()["run_id"])


def build_dag(policy: Policy) -> DAG:
    """The DAG for ``policy``: the plan of the day (``debt_collections.plan``), a task per step."""
    with DAG(
        dag_id=policy.dag_id,
        description=policy.description,
        schedule=_schedule(policy),
        deadline=_deadline(policy),
        start_date=_start(policy),
        catchup=False,
        max_active_runs=1,
        doc_md=_doc_md(policy),
        tags=["collections", f"policy:{Path(policy.source_path).stem}"],
        params=_params(policy),
        default_args=_default_args(policy, retry_exponential_backoff=True),
    ) as dag:

        @task
        @_fail_fast
        def prepare() -> RunParams:
            """Check the run's params against the policy and bring the schema up to date."""
            return plan.prepare(_conninfo(policy), policy, _run_params(policy))

        @task
        @_fail_fast
        def load_feed(run: RunParams) -> list[str]:
            """Load the day's drop (quarantining bad rows); the portfolios to evaluate."""
            scope = list(run.portfolios) if run.portfolios else None
            source = connections.feed_source(policy, run.as_of, scope)
            return list(plan.load_feed(_day(policy, run), source).portfolios)

        @task(map_index_template="{{ portfolio_name }}")
        @_fail_fast
        def evaluate(portfolio: str, run: RunParams) -> plan.Evaluated:
            """Arrears and cases of one portfolio."""
            _name_map_index(portfolio)
            return plan.evaluate(_day(policy, run), portfolio)

        @task.branch
        @_fail_fast
        def choose_stages(run: RunParams, portfolios: list[str]) -> list[str]:
            """Follow only the stages that have work today, so the graph shows what ran; the report always
            (a branch skips the direct downstream tasks it does not name, and a day with no stage to act on
            is still reported)."""
            return [*plan.choose_stages(_day(policy, run), portfolios).stages, "report"]

        run = prepare()
        portfolios = load_feed(run)
        evaluated = evaluate.partial(run=run).expand(portfolio=portfolios)
        chooser = choose_stages(run, portfolios)
        evaluated >> chooser
        rungs = [_rung(policy, rung).partial(run=run).expand(portfolio=portfolios) for rung in policy.steps]
        reported = _report(policy, run, portfolios)
        chooser >> rungs >> reported
        chooser >> reported
    return dag


def _report(policy: Policy, run: Any, portfolios: Any) -> Any:
    """The report, mapped over the portfolios: after every stage that ran, and when none did."""

    # a policy with rungs that require approval tells its approvals DAG that the day is written
    outlets = [approvals_asset(policy)] if policy.approval_rungs else []

    @task(trigger_rule=TriggerRule.NONE_FAILED, map_index_template="{{ portfolio_name }}", outlets=outlets)
    @_fail_fast
    def report(portfolio: str, run: RunParams) -> plan.Reported:
        """The day's figures of one portfolio (counts only)."""
        _name_map_index(portfolio)
        return plan.report(_day(policy, run), portfolio)

    return report.partial(run=run).expand(portfolio=portfolios)


def _rung(policy: Policy, rung: Step) -> Any:
    """The task of one rung, named after its stage: plans the day's actions of a portfolio, then delivers them.

    One task, not a plan task and a deliver task: under the LocalExecutor each task instance cost a run about
    0.57 s of wall time, more than most rungs' work (docs/DESIGN-NOTES.md, "Shape of a run")."""

    @task(
        task_id=rung.stage,
        map_index_template="{{ portfolio_name }}",
        doc_md=f"{rung.stage}: {rung.action} via {rung.channel}. Plans the day's actions of a portfolio, then "
        "sends them to the partner (never in a dry run).",
    )
    @_fail_fast
    def act(portfolio: str, run: RunParams) -> plan.Acted:
        """Write the day's actions of this rung for one portfolio, then send them (never in a dry run)."""
        _name_map_index(portfolio)
        partners = {} if run.dry_run else connections.partner_clients(policy)
        return plan.act(_day(policy, run), rung.stage, portfolio, partners)

    return act


# The dialect of every param's schema. Airflow validates each param with ``jsonschema.validate`` whenever it
# serializes the DAG (the DAG processor's every parse, each task's start), and that call first checks the
# schema against its dialect's metaschema: draft 2020-12's (vocabularies joined by $dynamicRef) costs about
# 3.3x draft 7's for these schemas (3.6 ms against 1.1 ms for the six of a daily DAG), and nothing here
# needs a keyword newer than draft 7 (docs/DESIGN-NOTES.md, "The trigger form").
SCHEMA_DIALECT = "http://json-schema.org/draft-07/schema#"


def _param(default: Any, **schema: Any) -> Param:
    """A run param whose schema names its dialect (``SCHEMA_DIALECT``)."""
    schema["$schema"] = SCHEMA_DIALECT
    return Param(default, **schema)


def _optional(json_type: str) -> dict[str, Any]:
    """The schema keys of an optional param of ``json_type`` (it has a default): the values it accepts are
    exactly those of ``json_type``, and Airflow's trigger form shows no "required" star.

    The form marks a field required when its schema has a ``type`` that does not include ``"null"``, whatever
    its default (``isRequired`` of the UI's FlexibleForm); ``"null"`` in ``type`` and ``not: null`` beside it
    take the star off without accepting a null (an emptied multi-select sends one: refused, as before)."""
    return {"type": [json_type, "null"], "not": {"type": "null"}}


def _params(policy: Policy) -> dict[str, Param]:
    portfolio_item: dict[str, Any] = {"type": "string", "pattern": PORTFOLIO_NAME.pattern}
    return {
        "as_of": _param(
            None,
            type=["null", "string"],
            format="date",
            title="Business date (as_of)",
            # the form's field is the browser's date input, shown in the browser's own date format
            description="The day to evaluate: pick it in the form (shown in your browser's date format), or "
            'give it as "YYYY-MM-DD" in the JSON conf. Empty: the day before the run\'s logical date '
            f"in {policy.timezone}.",
        ),
        "portfolios": _param(
            [],
            **_optional("array"),
            items=portfolio_item,
            uniqueItems=True,
            examples=list(policy.portfolio_choices),
            title="Portfolios",
            description="Portfolios to run; empty = all. Other portfolios are left untouched.",
        ),
        "stages": _param(
            [],
            **_optional("array"),
            items={"type": "string", "enum": list(policy.stages)},
            uniqueItems=True,
            examples=list(policy.stages),
            title="Stages",
            description="Ladder stages that act in this run; empty = all. Cases are always evaluated.",
        ),
        "dry_run": _param(
            False,
            **_optional("boolean"),
            title="Dry run",
            description="Evaluate and record, send nothing.",
        ),
        "confirm_data_quality": _param(
            False,
            **_optional("boolean"),
            title="Confirm data-quality warnings",
            description="Load a drop that a data-quality gate stopped (empty, repeated, large balance shift) "
            "after checking it.",
        ),
        "resend_failed": _param(
            False,
            **_optional("boolean"),
            title="Resend failed actions",
            description="Put the day's failed actions of the chosen stages back in the outbox before delivering.",
        ),
    }


def _doc_md(policy: Policy) -> str:
    from debt_collections.domain.explain import describe_contact, entry_text, repeats_text

    rows = "\n".join(
        f"| `{r.stage}` | {entry_text(r)} | {r.action} via {r.channel} | {repeats_text(r)}"
        + (" (sticky)" if r.sticky else "")
        + " |"
        for r in policy.steps
    )
    return (
        f"### {policy.dag_id}\n\n{policy.description}\n\n"
        f"Policy file: `{policy.source_path}` · timezone {policy.timezone} · schedule `{policy.schedule}` "
        f"(evaluates the day before) · portfolios {', '.join(policy.portfolios)}\n\n"
        "| stage | enters when | action | repeats |\n|---|---|---|---|\n"
        f"{rows}\n\n"
        f"Contact rules (preset `{policy.contact.preset}`): {describe_contact(policy.contact)}.\n\n"
        f"<details><summary>Policy source</summary>\n\n```yaml\n{policy.source_text}\n```\n</details>\n"
    )


SIMULATE_DAG_ID = "collections_simulate"


def build_simulate_dag(policies: str | Path) -> DAG:
    """``collections_simulate``: one task that replays stored days under a candidate policy of ``policies`` (or
    a path) and the baseline, in a scratch schema it drops, sending nothing (SPEC 10; ``debt_collections.simulate``),
    and keeps the result in ``collections.simulation``. Triggered by hand, never scheduled."""
    from debt_collections import simulate as simulation

    folder = Path(policies)
    with DAG(
        dag_id=SIMULATE_DAG_ID,
        description="Tries a policy change on stored history before it goes live (nothing is sent)",
        schedule=None,
        start_date=pendulum.datetime(2020, 1, 1, tz="UTC"),
        catchup=False,
        doc_md=simulation.__doc__,
        tags=["collections", "simulation"],
        params=_simulate_params(),
        default_args={"owner": "collections", "retries": 0},
    ) as dag:

        @task
        @_fail_fast
        def simulate() -> dict[str, Any]:
            """Replay the days under both policies; the result is kept in collections.simulation."""
            context = get_current_context()
            raw = dict(context["params"])
            candidate = load_policy(simulation.policy_path(str(raw.get("candidate") or ""), folder))
            conninfo = connections.database_conninfo(candidate.connections.database)
            return simulation.run_and_record(conninfo, context["run_id"], raw, folder)

        simulate()
    return dag


def _simulate_params() -> dict[str, Param]:
    day: dict[str, Any] = {"type": ["null", "string"], "format": "date"}
    return {
        "candidate": _param(
            "standard.yaml",
            type="string",
            minLength=1,
            title="Candidate policy",
            description="A policy file name of dags/policies (e.g. standard.yaml), or a path.",
        ),
        "baseline": _param(
            None,
            type=["null", "string"],
            title="Baseline policy",
            description="The policy in force. Empty: the policy of dags/policies that covers the portfolios.",
        ),
        "from": _param(None, **day, title="First day", description="The first day replayed, YYYY-MM-DD."),
        "to": _param(None, **day, title="Last day", description="The last day replayed, YYYY-MM-DD."),
        "portfolios": _param(
            [],
            **_optional("array"),
            items={"type": "string", "pattern": PORTFOLIO_NAME.pattern},
            uniqueItems=True,
            title="Portfolios",
            description="Portfolios to replay; empty = those of the baseline policy.",
        ),
    }


def build_outbox_dag(policy: Policy) -> DAG:
    """``<dag_id>_outbox``: every hour, send what waits in the outbox and may go out now, then read receipts;
    and past the policy's deadline, alert when yesterday is not reported.

    The nightly run plans notices and calls for the next day; outside the
    customers' contact window they are deferred. This DAG sends them once each
    customer's window opens (in the customer's timezone), and retries actions
    a partner could not take. Mapped over (portfolio, day, kind), never accounts.
    """
    with DAG(
        dag_id=f"{policy.dag_id}_outbox",
        description=f"Delivers the waiting actions of {policy.dag_id} inside the contact window",
        schedule=CronTriggerTimetable("5 * * * *", timezone=policy.timezone),
        start_date=_start(policy),
        catchup=False,
        max_active_runs=1,
        doc_md=f"### {policy.dag_id}_outbox\n\nEvery hour, sends the actions of `{policy.dag_id}` that wait "
        "in the outbox (planned, or deferred to the customer's contact window) and may go out now, "
        "then reads the partners' delivery receipts (sent -> delivered, or failed with the reason).",
        tags=["collections", f"policy:{Path(policy.source_path).stem}", "outbox"],
        default_args=_default_args(policy),
    ) as dag:

        @task
        @_fail_fast
        def pending() -> list[plan.Waiting]:
            """The (portfolio, day, kind) with actions waiting, in this policy's portfolios."""
            return plan.waiting(_conninfo(policy), policy)

        @task(map_index_template="{{ portfolio_name }}")
        @_fail_fast
        def send(item: plan.Waiting) -> dict[str, int]:
            """Deliver what may go out now for one (portfolio, day, kind)."""
            _name_map_index(item.label)
            return plan.send_waiting(_conninfo(policy), policy, item, connections.partner_clients(policy))

        @task(trigger_rule=TriggerRule.ALL_DONE)  # also when nothing was waiting, or a partner was down
        @_fail_fast
        def receipts() -> dict[str, dict[str, int]]:
            """Read the partners' delivery receipts: sent actions become delivered, or failed with a reason."""
            return plan.read_receipts(_conninfo(policy), connections.partner_clients(policy))

        @task
        @_fail_fast
        def deadline() -> dict[str, Any]:
            """Past the policy's deadline, alert once if yesterday is not reported for every portfolio."""
            return plan.check_deadline(_conninfo(policy), policy)

        send.expand(item=pending()) >> receipts()
        deadline()
    return dag


# -- approvals (SPEC 11): Airflow's human-in-the-loop request, one per portfolio --------------------


def approvals_asset(policy: Policy) -> Asset:
    """Updated by each day's report of a policy with rungs that require approval; schedules its approvals DAG."""
    return Asset(name=f"{policy.dag_id}_day_reported", uri=f"collections://{policy.dag_id}/day-reported")


class ApprovalRequest(HITLOperator):
    """Asks a person to decide on one portfolio's actions that wait for approval (SPEC 11).

    Lists them (oldest first) as the request's options, with the count and the amounts in
    its subject and body and a link to the Collections view; the answer approves the
    chosen ones (or all), rejects those named under ``reject`` with the ``reason``, and
    leaves the rest waiting. When no answer comes in the rung's ``timeout_hours``, every
    one stays ``awaiting_approval`` and the next day's request lists it again. With nothing
    waiting the task is skipped. What the answer means: ``debt_collections.domain.approvals``.
    """

    def __init__(self, *, policy: Policy, portfolio: str, **kwargs: Any) -> None:
        timeout = max(r.approval.timeout_hours for r in policy.approval_rungs if r.approval)
        approvers = sorted({a for r in policy.approval_rungs if r.approval for a in r.approval.approvers})
        super().__init__(
            subject=f"{policy.dag_id}: actions to approve",
            options=[approvals.APPROVE_ALL],
            multiple=True,
            params={
                approvals.REJECT_FIELD: _param(
                    [],
                    type="array",
                    items={"type": "string"},
                    title="Reject these (account ids)",
                    description="The accounts whose actions you reject, one per line; give the reason below.",
                ),
                approvals.REASON_FIELD: _param(
                    "",
                    type="string",
                    maxLength=500,
                    title="Reason for the rejections",
                    description="Kept in the audit trail with your name.",
                ),
            },
            assigned_users=[{"id": a, "name": a} for a in approvers] or None,
            response_timeout=timedelta(hours=timeout),
            **kwargs,
        )
        self.policy = policy
        self.portfolio = portfolio

    def execute(self, context: Any) -> Any:
        _name_map_index(self.portfolio)
        listed = plan.approval_request(_conninfo(self.policy), self.policy, self.portfolio)
        if not listed:
            raise AirflowSkipException(f"no action of {self.portfolio} waits for approval")
        self.options = [approvals.APPROVE_ALL, *(approvals.label(i) for i in listed)]
        link = "/collections/approvals?" + urlencode({"portfolio": self.portfolio})
        self.subject, self.body = approvals.request_text(self.portfolio, listed, link)
        context["ti"].xcom_push(key="listed", value=[_listed_item(i) for i in listed])
        return super().execute(context)

    def execute_complete(self, context: Any, event: dict[str, Any]) -> plan.Decided:
        _name_map_index(self.portfolio)
        ti = context["ti"]
        rows = ti.xcom_pull(task_ids=self.task_id, map_indexes=ti.map_index, key="listed") or []
        listed = [approvals.Awaiting.from_row(r) for r in rows]
        if event.get("error_type") == "timeout":
            return plan.no_answer(self.portfolio, listed)
        if "error" in event:
            self.process_trigger_event_error(event)
        answer = event.get("params_input") or {}
        user = event.get("responded_by_user") or {}
        decision = approvals.read_answer(
            listed,
            event.get("chosen_options") or [],
            answer.get(approvals.REJECT_FIELD) or [],
            answer.get(approvals.REASON_FIELD),
        )
        return plan.apply_answer(
            _conninfo(self.policy),
            self.portfolio,
            listed,
            decision,
            decided_by=str(user.get("name") or user.get("id") or "unknown"),
            via="airflow",
            request=f"{ti.dag_id}/{ti.run_id}/{ti.task_id}/{ti.map_index}",
        )


def _listed_item(item: approvals.Awaiting) -> dict[str, Any]:
    """One listed action as XCom keeps it (plain values) until the answer comes."""
    return {
        "idempotency_key": item.idempotency_key,
        "account_id": item.account_id,
        "as_of": item.as_of,
        "kind": item.kind,
        "dpd": item.dpd,
        "overdue_amount": None if item.overdue_amount is None else str(item.overdue_amount),
        "currency": item.currency,
    }


def build_approvals_dag(policy: Policy) -> DAG:
    """``<dag_id>_approvals``: after each day's report, ask a person about the actions that wait for approval
    (one request per portfolio), then send the approved ones (SPEC 11). The day's run never waits on a person."""
    with DAG(
        dag_id=f"{policy.dag_id}_approvals",
        description=f"Approvals of {policy.dag_id}'s actions that cannot be taken back",
        schedule=[approvals_asset(policy)],
        start_date=_start(policy),
        catchup=False,
        doc_md=f"### {policy.dag_id}_approvals\n\n"
        + (ApprovalRequest.__doc__ or "")
        + "\n\nRungs that require approval: "
        + ", ".join(f"`{r.stage}` ({r.approval.timeout_hours} h)" for r in policy.approval_rungs if r.approval),
        tags=["collections", f"policy:{Path(policy.source_path).stem}", "approvals"],
        default_args=_default_args(policy),
    ) as dag:

        @task
        @_fail_fast
        def waiting() -> list[str]:
            """The policy's portfolios with actions waiting for a decision."""
            return plan.waiting_for_approval(_conninfo(policy), policy)

        @task(map_index_template="{{ portfolio_name }}", trigger_rule=TriggerRule.NONE_FAILED)
        @_fail_fast
        def send(portfolio: str) -> dict[str, int]:
            """Send the portfolio's approved actions that have not gone out yet."""
            _name_map_index(portfolio)
            return plan.send_approved(_conninfo(policy), policy, portfolio, connections.partner_clients(policy))

        portfolios = waiting()
        decide = ApprovalRequest.partial(
            task_id="decide", policy=policy, map_index_template="{{ portfolio_name }}", retries=0
        ).expand(portfolio=portfolios)
        decide >> send.expand(portfolio=portfolios)
    return dag
