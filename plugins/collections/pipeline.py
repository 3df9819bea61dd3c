"""A whole day in plain Python: the same steps the DAG runs, in the same order.

The DAG maps these steps over portfolios as Airflow tasks; this module runs them
in one process, for the command line, the benchmarks and the scenario tests.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pendulum

from debt_collections.delivery.http import PartnerClient
from debt_collections.domain.params import RunParams
from debt_collections.domain.policy import Policy
from debt_collections.feeds.base import FeedSource
from debt_collections.store import daily, outbox
from debt_collections.store.loading import load_drop
from debt_collections import clock


def run_day(
    conninfo: str,
    policy: Policy,
    source: FeedSource,
    params: RunParams,
    *,
    run_id: str | None = None,
    partners: dict[str, PartnerClient] | None = None,
    now: datetime | None = None,
    load: bool = True,
) -> dict[str, Any]:
    """Load the drop, evaluate every portfolio, plan and deliver each stage with work, report.

    ``partners`` maps channels to partner clients; without them nothing is sent.
    ``now`` is the send time the contact rules are checked against. ``load=False``
    evaluates what is stored (another policy's run loaded the same drop).
    """
    if not load:
        return _evaluate_and_act(conninfo, policy, params, _stored_portfolios(conninfo), run_id, partners, now, {})
    loaded = load_drop(
        conninfo, source, params.as_of,
        portfolios=list(params.portfolios) if params.portfolios else None,
        max_reject_ratio=policy.max_reject_ratio,
        data_quality=policy.data_quality,
        confirm_data_quality=params.confirm_data_quality,
    )
    return _evaluate_and_act(conninfo, policy, params, loaded.portfolios, run_id, partners, now, loaded.summary())


def _stored_portfolios(conninfo: str) -> list[str]:
    from debt_collections.store.db import connect, fetch_all

    with connect(conninfo) as conn:
        return [r["portfolio"] for r in fetch_all(conn, "ops/known_portfolios.sql")]


def _evaluate_and_act(conninfo, policy, params, known, run_id, partners, now, load_summary) -> dict[str, Any]:
    portfolios = [p for p in known if policy.covers(p) and (not params.portfolios or p in params.portfolios)]
    for portfolio in portfolios:
        daily.evaluate_portfolio(conninfo, policy, portfolio, params)
    work = daily.stage_work(conninfo, portfolios, params) if portfolios else {}
    delivered: dict[str, dict[str, int]] = {}
    for stage in daily.stages_to_follow(policy, params, work) if portfolios else []:
        for portfolio in portfolios:
            daily.plan_stage(conninfo, policy, stage, portfolio, params)
            if partners and not params.dry_run:
                delivered[f"{stage}/{portfolio}"] = outbox.deliver(
                    conninfo, portfolio, params.as_of, policy.rung(stage).action, partners,
                    now=now or clock.now("UTC"), caps=policy.contact)
    figures = {
        p: daily.report_portfolio(conninfo, p, params, dag_id=policy.dag_id, run_id=run_id) for p in portfolios
    }
    return {"load": load_summary, "stage_work": work, "delivered": delivered, "portfolios": figures}
