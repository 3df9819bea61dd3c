"""Reruns from the collections view, the Airflow way: each one is an ordinary DAG run.

The view posts the chosen day and portfolios; this module triggers one run per
DAG (a portfolio belongs to the DAG that reported it) through Airflow's public
REST API with the user's own token, so Airflow checks the user's permission to
trigger, and the run's history shows who started it and with which conf.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pendulum
import requests

from debt_collections.domain.policy import PORTFOLIO_NAME
from debt_collections.errors import CollectionsError

TIMEOUT = 30


class RerunError(CollectionsError):
    """A rerun could not be started; the message says why (shown to the user)."""


@dataclass(frozen=True)
class Started:
    dag_id: str
    run_id: str
    portfolios: tuple[str, ...]


def form_token(user_token: str) -> str:
    """The value the rerun form carries back: another site cannot read the user's token to make it."""
    return hashlib.sha256(f"collections-rerun:{user_token}".encode()).hexdigest()[:32]


def check_form_token(user_token: str, sent: str) -> None:
    if not hmac.compare_digest(form_token(user_token), sent or ""):
        raise RerunError("the form has expired or did not come from this page: open the page again")


def plan(as_of: dt.date, chosen: list[str], owners: dict[str, str], *, dry_run: bool) -> dict[str, dict[str, Any]]:
    """The conf of each DAG run to trigger: chosen portfolios grouped by the DAG that owns them."""
    if not chosen:
        raise RerunError("choose at least one portfolio")
    by_dag: dict[str, list[str]] = defaultdict(list)
    for portfolio in chosen:
        if not PORTFOLIO_NAME.match(portfolio):
            raise RerunError(f"{portfolio!r} is not a portfolio name")
        if portfolio not in owners:
            raise RerunError(f"portfolio {portfolio} has no run on {as_of}: nothing to rerun")
        by_dag[owners[portfolio]].append(portfolio)
    return {
        dag_id: {"as_of": as_of.isoformat(), "portfolios": sorted(ps), "dry_run": dry_run}
        for dag_id, ps in sorted(by_dag.items())
    }


def api_base() -> str:
    """Airflow's own address (``[api] base_url``): the user's token is only ever sent there."""
    from airflow.configuration import conf

    return conf.get("api", "base_url", fallback="http://localhost:8080").rstrip("/")


@dataclass(frozen=True)
class Refused:
    dag_id: str
    portfolios: tuple[str, ...]
    reason: str


def start_run(base: str, user_token: str, dag_id: str, conf: dict[str, Any], note: str) -> tuple[str | None, str]:
    """Trigger one run of ``dag_id`` with ``conf`` through Airflow's REST API, as the user: its run id, or None
    and why Airflow did not start it."""
    try:
        answer = requests.post(
            f"{base}/api/v2/dags/{dag_id}/dagRuns",
            json={"logical_date": None, "conf": conf, "note": note},
            headers={"Authorization": f"Bearer {user_token}"},
            timeout=TIMEOUT,
        )
        body = answer.json()
    except (requests.RequestException, ValueError) as exc:
        return None, f"Airflow did not answer: {type(exc).__name__}"
    if answer.status_code >= 400 or not isinstance(body, dict) or "dag_run_id" not in body:
        detail = body.get("detail") if isinstance(body, dict) else None
        return None, f"Airflow refused it ({answer.status_code}): {detail}"
    return str(body["dag_run_id"]), ""


def trigger(base: str, user_token: str, confs: dict[str, dict[str, Any]]) -> tuple[list[Started], list[Refused]]:
    """Start one DAG run per DAG through Airflow's REST API, as the user; what started and what did not."""
    started, refused = [], []
    for dag_id, conf in confs.items():
        portfolios = tuple(conf["portfolios"])
        note = f"rerun of {conf['as_of']} for {', '.join(portfolios)} from the collections view"
        run_id, reason = start_run(base, user_token, dag_id, conf, note)
        if run_id is None:
            refused.append(Refused(dag_id, portfolios, reason))
        else:
            started.append(Started(dag_id, run_id, portfolios))
    return started, refused


SIMULATE_DAG_ID = "collections_simulate"


def simulation_conf(
    candidate: str, baseline: str, first: dt.date, last: dt.date, portfolios: list[str], policies: list[str]
) -> dict[str, Any]:
    """The conf of a ``collections_simulate`` run from the view's form (SPEC 10), checked: a RerunError says
    what is wrong."""
    for name, value in (("candidate", candidate), ("baseline", baseline)):
        if value and value not in policies:
            raise RerunError(f"{name} {value!r} is not a policy file of this deployment ({', '.join(policies)})")
    if not candidate:
        raise RerunError("choose the candidate policy")
    if first > last:
        raise RerunError(f"from {first} is after to {last}")
    bad = [p for p in portfolios if not PORTFOLIO_NAME.match(p)]
    if bad:
        raise RerunError(f"{bad[0]!r} is not a portfolio name")
    return {
        "candidate": candidate,
        "baseline": baseline or None,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "portfolios": sorted(portfolios),
    }


@dataclass(frozen=True)
class Backfill:
    """A rerun over a range for one DAG, as Airflow's backfill of its runs (SPEC 12)."""

    dag_id: str
    portfolios: tuple[str, ...]
    body: dict[str, Any]


def range_plan(
    first: dt.date, last: dt.date | None, chosen: list[str], owners: dict[str, dict[str, Any]], *, dry_run: bool
) -> list[Backfill]:
    """One backfill per DAG owning the chosen portfolios, from ``first`` to the latest evaluated day ``last``:
    the run of business day D has logical date D + 1 (a run evaluates the day before its logical date, in the
    policy's timezone), the days in order one at a time, runs that exist for those dates rerun."""
    if not chosen:
        raise RerunError("choose at least one portfolio")
    if last is None or first > last:
        raise RerunError(f"from {first} is after the latest evaluated day {last}: nothing to rerun")
    by_dag: dict[str, list[str]] = defaultdict(list)
    for portfolio in chosen:
        if not PORTFOLIO_NAME.match(portfolio) or portfolio not in owners:
            raise RerunError(f"portfolio {portfolio!r} has never been reported: nothing to rerun")
        by_dag[owners[portfolio]["dag_id"]].append(portfolio)
    plans = []
    for dag_id, portfolios in sorted(by_dag.items()):
        tz = owners[portfolios[0]]["timezone"]
        start = pendulum.datetime(first.year, first.month, first.day, tz=tz).add(days=1)
        end = pendulum.datetime(last.year, last.month, last.day, 23, 59, 59, tz=tz).add(days=1)
        body = {
            "dag_id": dag_id,
            "from_date": start.isoformat(),
            "to_date": end.isoformat(),
            "dag_run_conf": {"portfolios": sorted(portfolios), "dry_run": dry_run},
            "reprocess_behavior": "completed",
            "max_active_runs": 1,
            "run_backwards": False,
        }
        plans.append(Backfill(dag_id, tuple(sorted(portfolios)), body))
    return plans


def backfill(base: str, user_token: str, plan: Backfill, *, dry_run: bool) -> tuple[dict[str, Any] | None, str]:
    """Ask Airflow, as the user, for the runs a backfill would create (``dry_run``) or create it: the answer, or
    None and why Airflow did not."""
    try:
        answer = requests.post(
            f"{base}/api/v2/backfills" + ("/dry_run" if dry_run else ""),
            json=plan.body,
            headers={"Authorization": f"Bearer {user_token}"},
            timeout=TIMEOUT,
        )
        body = answer.json()
    except (requests.RequestException, ValueError) as exc:
        return None, f"Airflow did not answer: {type(exc).__name__}"
    if answer.status_code >= 400 or not isinstance(body, dict):
        detail = body.get("detail") if isinstance(body, dict) else None
        return None, f"Airflow refused it ({answer.status_code}): {detail}"
    return body, ""
