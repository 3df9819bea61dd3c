"""The only place that builds Airflow objects: one DAG per policy file.

    prepare -> load_feed -> evaluate[portfolio] -> choose_stages
        -> <stage>.plan[portfolio] -> <stage>.deliver[portfolio]
           (one task group per rung; skipped when it has no work)
        -> report[portfolio]

Tasks are mapped over portfolios (the map index shows the portfolio's name),
never over accounts: each task handles a whole portfolio in a few SQL statements.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import DAG, CronTriggerTimetable, Param, TaskGroup, TriggerRule, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from debt_collections.domain.params import params_from_xcom, params_to_xcom, parse_run_params
from debt_collections.domain.policy import PORTFOLIO_NAME, Policy
from debt_collections.errors import CollectionsError
from debt_collections.faults import crash_point
from debt_collections.policy.loader import load_policy
from debt_collections import clock

log = logging.getLogger(__name__)

START_DATE = pendulum.datetime(2026, 1, 1)


def dag_from_policy_file(path: str | Path) -> DAG:
    """Build the daily DAG of one policy file."""
    return build_dag(load_policy(path))


def dags_from_policy_file(path: str | Path) -> tuple[DAG, DAG]:
    """The daily DAG and the outbox DAG of one policy file (the whole body of a loader in ``dags/``)."""
    policy = load_policy(path)
    return build_dag(policy), build_outbox_dag(policy)


def _fail_fast(fn: Callable) -> Callable:
    """Known problems (bad params, bad feed) fail the task at once: retrying cannot fix them.

    Each task passes the crash point ``task:<task_id>`` when its work is done and
    before Airflow records it (see ``debt_collections.faults``).
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            out = fn(*args, **kwargs)
        except CollectionsError as exc:
            raise AirflowFailException(str(exc)) from exc
        crash_point(f"task:{get_current_context()['ti'].task_id}")
        return out

    return wrapper


def _conninfo(policy: Policy) -> str:
    from debt_collections.airflow.connections import database_conninfo

    return database_conninfo(policy.db_conn_id)


def _alert_on_failure(policy: Policy) -> Callable:
    """A task that fails for good alerts the team through the policy's alert connection."""
    from debt_collections.alerts import on_task_failure

    return functools.partial(on_task_failure, policy.alert_conn_id)


def _name_map_index(portfolio: str) -> None:
    get_current_context()["portfolio_name"] = portfolio


def build_dag(policy: Policy) -> DAG:
    """The DAG for ``policy``."""
    from debt_collections.store import daily

    with DAG(
        dag_id=policy.dag_id,
        description=policy.description,
        schedule=CronTriggerTimetable(policy.schedule, timezone=policy.timezone),
        start_date=START_DATE.in_timezone(policy.timezone),
        catchup=False,
        max_active_runs=1,
        doc_md=_doc_md(policy),
        tags=["collections", f"policy:{Path(policy.source_path).stem}"],
        params=_params(policy),
        default_args={
            "owner": policy.owner,
            "retries": policy.retries,
            "retry_delay": timedelta(minutes=1),
            "retry_exponential_backoff": True,
            "on_failure_callback": _alert_on_failure(policy),
        },
    ) as dag:

        @task
        @_fail_fast
        def prepare() -> dict:
            """Check the run's params against the policy and bring the schema up to date."""
            from debt_collections.store.migrate import migrate

            context = get_current_context()
            run_params = parse_run_params(context["params"], policy, context.get("logical_date"))
            applied = migrate(_conninfo(policy))  # idempotent: a no-op once the schema is current
            if applied:
                log.info("applied migrations %s", ", ".join(applied))
            summary = params_to_xcom(run_params)
            log.info("run as_of=%s portfolios=%s stages=%s dry_run=%s", summary["as_of"],
                     summary["portfolios"] or "all", ",".join(summary["stages"]), summary["dry_run"])
            return summary

        @task
        @_fail_fast
        def load_feed(run: dict) -> list[str]:
            """Load the day's drop (quarantining bad rows); the portfolios to evaluate."""
            from debt_collections.airflow.connections import feed_source
            from debt_collections.store.loading import load_drop

            params = params_from_xcom(run)
            scope = list(params.portfolios) if params.portfolios else None
            result = load_drop(
                _conninfo(policy),
                feed_source(policy, params.as_of, scope),
                params.as_of,
                portfolios=list(params.portfolios) if params.portfolios else None,
                max_reject_ratio=policy.max_reject_ratio,
                data_quality=policy.data_quality,
                confirm_data_quality=params.confirm_data_quality,
            )
            log.info("load rows_in=%s quarantined=%s ratio=%s", sum(result.rows_in.values()),
                     sum(result.quarantined.values()), result.summary()["reject_ratio"])
            portfolios = [p for p in result.portfolios if policy.covers(p) and PORTFOLIO_NAME.match(p)]
            return portfolios

        @task(map_index_template="{{ portfolio_name }}")
        @_fail_fast
        def evaluate(portfolio: str, run: dict) -> dict:
            """Arrears and cases of one portfolio."""
            _name_map_index(portfolio)
            counts = daily.evaluate_portfolio(_conninfo(policy), policy, portfolio, params_from_xcom(run))
            log.info("evaluate portfolio=%s overdue_accounts=%d cases=%d accounts_computed=%d incremental=%s "
                     "arrears_s=%.2f cases_s=%.2f", portfolio, counts["overdue_accounts"], counts["cases"],
                     counts["accounts_computed"], counts["incremental"], counts["seconds"]["arrears"],
                     counts["seconds"]["cases"])
            return counts

        @task.branch
        @_fail_fast
        def choose_stages(run: dict, portfolios: list[str]) -> list[str]:
            """Follow only the stages that have work today, so the graph shows what ran."""
            params = params_from_xcom(run)
            work = daily.stage_work(_conninfo(policy), list(portfolios), params) if portfolios else {}
            chosen = [f"{stage}.plan" for stage in daily.stages_to_follow(policy, params, work)] if portfolios else []
            log.info("stage work %s; following %s", work or "none", ", ".join(chosen) or "no stage")
            return chosen

        run = prepare()
        portfolios = load_feed(run)
        evaluated = evaluate.partial(run=run).expand(portfolio=portfolios)
        chooser = choose_stages(run, portfolios)
        evaluated >> chooser

        stage_ends = []
        for rung in policy.steps:
            with TaskGroup(group_id=rung.stage, tooltip=f"{rung.stage}: {rung.action} via {rung.channel}"):

                @task(task_id="plan", map_index_template="{{ portfolio_name }}")
                @_fail_fast
                def plan(portfolio: str, run: dict, stage: str = rung.stage) -> int:
                    """Write the day's actions of this rung for one portfolio."""
                    _name_map_index(portfolio)
                    written = daily.plan_stage(_conninfo(policy), policy, stage, portfolio, params_from_xcom(run))
                    log.info("plan stage=%s portfolio=%s actions=%d", stage, portfolio, written)
                    return written

                @task(task_id="deliver", map_index_template="{{ portfolio_name }}")
                @_fail_fast
                def deliver(portfolio: str, run: dict, kind: str = rung.action) -> dict:
                    """Send the rung's planned actions of one portfolio to its partner (never in a dry run)."""
                    from debt_collections.airflow.connections import partner_clients
                    from debt_collections.store import outbox

                    _name_map_index(portfolio)
                    params = params_from_xcom(run)
                    if params.dry_run:
                        log.info("deliver kind=%s portfolio=%s dry run: nothing sent", kind, portfolio)
                        return {"dry_run": True}
                    if params.resend_failed:
                        again = outbox.resend_failed(_conninfo(policy), portfolio, params.as_of, [kind])
                        log.info("resend kind=%s portfolio=%s failed_actions_back_in_outbox=%d", kind, portfolio, again)
                    counts = outbox.deliver(_conninfo(policy), portfolio, params.as_of, kind,
                                            partner_clients(policy), now=clock.now("UTC"),
                                            caps=policy.contact)
                    log.info("deliver kind=%s portfolio=%s %s", kind, portfolio,
                             " ".join(f"{k}={v}" for k, v in counts.items()))
                    return counts

                planned = plan.partial(run=run).expand(portfolio=portfolios)
                delivered = deliver.partial(run=run).expand(portfolio=portfolios)
                planned >> delivered
            chooser >> planned
            stage_ends.append(delivered)

        @task(trigger_rule=TriggerRule.NONE_FAILED, map_index_template="{{ portfolio_name }}")
        @_fail_fast
        def report(portfolio: str, run: dict) -> dict:
            """The day's figures of one portfolio (counts only)."""
            _name_map_index(portfolio)
            context = get_current_context()
            figures = daily.report_portfolio(
                _conninfo(policy), portfolio, params_from_xcom(run),
                dag_id=policy.dag_id, run_id=context["run_id"],
            )
            log.info("report portfolio=%s cases=%s opened=%s cured=%s actions=%s", portfolio,
                     figures.get("cases"), figures.get("opened"), figures.get("cured"),
                     figures.get("actions_by_kind_status"))
            return figures

        reported = report.partial(run=run).expand(portfolio=portfolios)
        chooser >> reported
        for end in stage_ends:
            end >> reported
    return dag


def _params(policy: Policy) -> dict[str, Param]:
    portfolio_item: dict[str, Any] = {"type": "string", "pattern": PORTFOLIO_NAME.pattern}
    return {
        "as_of": Param(
            None, type=["null", "string"], format="date", title="Business date (as_of)",
            description="The day to evaluate, YYYY-MM-DD. Empty: the day before the run's logical date "
                        f"in {policy.timezone}.",
        ),
        "portfolios": Param(
            [], type="array", items=portfolio_item, uniqueItems=True,
            examples=list(policy.portfolio_choices), title="Portfolios",
            description="Portfolios to run; empty = all. Other portfolios are left untouched.",
        ),
        "stages": Param(
            [], type="array", items={"type": "string", "enum": list(policy.stages)}, uniqueItems=True,
            examples=list(policy.stages), title="Stages",
            description="Ladder stages that act in this run; empty = all. Cases are always evaluated.",
        ),
        "dry_run": Param(
            False, type="boolean", title="Dry run",
            description="Evaluate and record, send nothing.",
        ),
        "confirm_data_quality": Param(
            False, type="boolean", title="Confirm data-quality warnings",
            description="Load a drop that a data-quality gate stopped (empty, repeated, large balance shift) "
                        "after checking it.",
        ),
        "resend_failed": Param(
            False, type="boolean", title="Resend failed actions",
            description="Put the day's failed actions of the chosen stages back in the outbox before delivering.",
        ),
    }


def _doc_md(policy: Policy) -> str:
    from debt_collections.domain.explain import describe_contact, entry_text, repeats_text

    rows = "\n".join(
        f"| `{r.stage}` | {entry_text(r)} | {r.action} via {r.channel} | {repeats_text(r)}"
        + (" (sticky)" if r.sticky else "") + " |"
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


OUTBOX_DAYS = 3  # actions of the last days still waiting for their window are retried


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
        start_date=START_DATE.in_timezone(policy.timezone),
        catchup=False,
        max_active_runs=1,
        doc_md=f"### {policy.dag_id}_outbox\n\nEvery hour, sends the actions of `{policy.dag_id}` that wait "
               "in the outbox (planned, or deferred to the customer's contact window) and may go out now, "
               "then reads the partners' delivery receipts (sent -> delivered, or failed with the reason).",
        tags=["collections", f"policy:{Path(policy.source_path).stem}", "outbox"],
        default_args={"owner": policy.owner, "retries": policy.retries, "retry_delay": timedelta(minutes=1),
                      "on_failure_callback": _alert_on_failure(policy)},
    ) as dag:

        @task
        @_fail_fast
        def pending() -> list[dict]:
            """The (portfolio, day, kind) with actions waiting, in this policy's portfolios."""
            from debt_collections.store import outbox

            since = clock.now(policy.timezone).date().subtract(days=OUTBOX_DAYS)
            work = [w for w in outbox.pending_work(_conninfo(policy), since) if policy.covers(w["portfolio"])]
            log.info("outbox: %d (portfolio, day, kind) waiting since %s", len(work), since)
            return work

        @task(map_index_template="{{ portfolio_name }}")
        @_fail_fast
        def send(item: dict) -> dict:
            """Deliver what may go out now for one (portfolio, day, kind)."""
            from debt_collections.airflow.connections import partner_clients
            from debt_collections.store import outbox

            get_current_context()["portfolio_name"] = f"{item['portfolio']} {item['as_of']} {item['kind']}"
            counts = outbox.deliver(_conninfo(policy), item["portfolio"], pendulum.parse(item["as_of"]).date(),
                                    item["kind"], partner_clients(policy), now=clock.now("UTC"),
                                    caps=policy.contact)
            log.info("outbox portfolio=%s as_of=%s kind=%s %s", item["portfolio"], item["as_of"], item["kind"],
                     " ".join(f"{k}={v}" for k, v in counts.items()))
            return counts

        @task(trigger_rule=TriggerRule.ALL_DONE)  # also when nothing was waiting, or a partner was down
        @_fail_fast
        def receipts() -> dict:
            """Read the partners' delivery receipts: sent actions become delivered, or failed with a reason."""
            from debt_collections.airflow.connections import partner_clients
            from debt_collections.store import outbox

            counts = outbox.collect_receipts(_conninfo(policy), partner_clients(policy))
            for channel, c in counts.items():
                log.info("receipts channel=%s %s", channel, " ".join(f"{k}={v}" for k, v in c.items()))
            return counts

        @task
        @_fail_fast
        def deadline() -> dict:
            """Past the policy's deadline, alert once if yesterday is not reported for every portfolio."""
            from debt_collections.alerts import check_deadline

            out = check_deadline(_conninfo(policy), policy, clock.now("UTC"))
            log.info("deadline as_of=%s past=%s missing=%s alerted=%s", out["as_of"], out["past_deadline"],
                     ",".join(out["missing"]) or "none", out["alerted"])
            return out

        send.expand(item=pending()) >> receipts()
        deadline()
    return dag
