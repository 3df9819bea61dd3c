"""Alerts to the operations team: a run that failed, or a day not reported by the policy's deadline.

An alert goes to the Airflow connection named in the policy (``alerts.connection``):
an HTTP connection is a webhook (``POST <host>/v1/alerts`` with a JSON body and an
``Idempotency-Key``), an ``smtp``/``email`` connection sends a plain e-mail to the
addresses in its extra ``{"to": [...], "from": "..."}``. Without the connection
the alert is only logged. Alerts carry names of DAGs, runs, tasks and portfolios,
never personal data.
"""

from __future__ import annotations

import json
import logging
import smtplib
from email.message import EmailMessage
from typing import Any

import pendulum

from debt_collections import clock
from debt_collections.domain.policy import Policy

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/v1/alerts"


def run_link(dag_id: str, run_id: str | None) -> str:
    """The run's page in the Airflow UI."""
    from airflow.configuration import conf

    base = conf.get("api", "base_url", fallback="http://localhost:8080").rstrip("/")
    return f"{base}/dags/{dag_id}/runs/{run_id}" if run_id else f"{base}/dags/{dag_id}"


def send(conn_id: str, alert: dict[str, Any]) -> bool:
    """Send one alert through connection ``conn_id``; False when it could not go out (it is logged)."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    log.warning("ALERT %s", alert["text"])
    try:
        conn = Connection.get(conn_id)
    except AirflowNotFoundException:
        log.warning("no connection %s: the alert was only logged", conn_id)
        return False
    except Exception as exc:  # the secrets backend is down, say: never hide the alert's cause
        log.error("connection %s could not be read (%s): the alert was only logged", conn_id, exc)
        return False
    try:
        if conn.conn_type in ("smtp", "email"):
            _email(conn, alert)
        else:
            _webhook(conn_id, alert)
    except Exception as exc:  # an alert must never hide the failure it reports
        log.error("alert through %s failed: %s", conn_id, exc)
        return False
    return True


def _webhook(conn_id: str, alert: dict[str, Any]) -> None:
    """POST the alert through the same HTTP client the partners get (retries, idempotency key)."""
    from debt_collections.airflow.connections import partner_client

    client = partner_client(conn_id)
    if client is None:
        raise RuntimeError(f"connection {conn_id} is not an HTTP connection")
    client.request("POST", WEBHOOK_PATH, key=alert["key"], json=alert)


def _email(conn: Any, alert: dict[str, Any]) -> None:
    extra = conn.extra_dejson
    message = EmailMessage()
    message["Subject"] = f"[collections] {alert['text'][:150]}"
    message["From"] = extra.get("from", "collections@localhost")
    message["To"] = ", ".join(extra.get("to") or [])
    message.set_content(json.dumps(alert, indent=2, default=str))
    with smtplib.SMTP(conn.host, conn.port or 25, timeout=30) as smtp:
        if conn.login:
            smtp.starttls()
            smtp.login(conn.login, conn.password or "")
        smtp.send_message(message)


def on_task_failure(conn_id: str, context: dict[str, Any]) -> None:
    """``on_failure_callback`` of every task: the run failed for good (retries are spent)."""
    ti, dag_run = context["ti"], context.get("dag_run")
    run_id = getattr(dag_run, "run_id", None) or getattr(ti, "run_id", None)
    portfolio = getattr(ti, "rendered_map_index", None) or context.get("portfolio_name")
    params = context.get("params") or {}
    text = (
        f"{ti.dag_id} failed in task {ti.task_id}"
        + (f" for portfolio {portfolio}" if portfolio else "")
        + (f" (as_of {params.get('as_of')})" if params.get("as_of") else "")
    )
    send(
        conn_id,
        {
            "kind": "run_failed",
            "key": f"{ti.dag_id}:{run_id}:{ti.task_id}:{ti.map_index}",
            "dag_id": ti.dag_id,
            "run_id": run_id,
            "task_id": ti.task_id,
            "portfolio": portfolio,
            "as_of": params.get("as_of"),
            "link": run_link(ti.dag_id, run_id),
            "text": text,
            "at": clock.now("UTC").isoformat(),
        },
    )


def on_run_late(*, conn_id: str, deadline: str, timezone: str, context: dict[str, Any]) -> bool:
    """The DAG's ``DeadlineAlert`` callback: a run is still going at the policy's deadline; alert once per run.

    Airflow calls it (on an executor) with the run as its API shows it (``context["dag_run"]``). Only a
    scheduled run alerts: a backfill or a manual run with a logical date days back is late from the start.
    A day with no run at all is the outbox DAG's hourly ``deadline`` check's to catch, not this one's.
    """
    run = context.get("dag_run") or {}
    dag_id, run_id = run.get("dag_id", "?"), run.get("dag_run_id")
    if run.get("run_type") != "scheduled":  # a backfill's or a rerun's logical date is days back: late by birth
        log.info(
            "%s %s (%s) is past the deadline's time: no alert for a run not on the schedule",
            dag_id,
            run_id,
            run.get("run_type"),
        )
        return False
    text = f"{dag_id}: run {run_id} is not done by {deadline} {timezone} (state {run.get('state')})"
    return send(
        conn_id,
        {
            "kind": "run_late",
            "key": f"{dag_id}:{run_id}:run_late",
            "dag_id": dag_id,
            "run_id": run_id,
            "deadline": deadline,
            "link": run_link(dag_id, run_id),
            "text": text,
            "at": clock.now("UTC").isoformat(),
        },
    )


def check_deadline(conninfo: str, policy: Policy, now: pendulum.DateTime) -> dict[str, Any]:
    """Past the policy's deadline, alert once when a covered portfolio has no figures for yesterday."""
    from debt_collections.store import alerts as alert_log

    local = now.in_timezone(policy.timezone)
    as_of = local.date().subtract(days=1)
    out: dict[str, Any] = {"as_of": as_of.isoformat(), "past_deadline": False, "missing": [], "alerted": False}
    deadline = policy.alerts.deadline_time
    if deadline is None or local.time() < deadline:
        return out
    out["past_deadline"] = True
    known, reported = alert_log.portfolios_reported(conninfo, policy.dag_id, as_of)
    out["missing"] = sorted(p for p in known if policy.covers(p) and p not in reported)
    if not out["missing"]:
        return out
    text = (
        f"{policy.dag_id}: no figures for {as_of} by {deadline:%H:%M} {policy.timezone} for {', '.join(out['missing'])}"
    )
    alert = {
        "kind": "deadline_missed",
        "key": f"{policy.dag_id}:{as_of}:deadline_missed",
        "dag_id": policy.dag_id,
        "as_of": as_of.isoformat(),
        "portfolios": out["missing"],
        "deadline": f"{deadline:%H:%M}",
        "link": run_link(policy.dag_id, None),
        "text": text,
        "at": now.in_timezone("UTC").isoformat(),
    }
    bind = {"dag_id": policy.dag_id, "as_of": as_of, "kind": "deadline_missed", "detail": json.dumps(alert)}
    if alert_log.claim(conninfo, bind):
        out["alerted"] = send(policy.alerts.connection, alert)
        if not out["alerted"]:
            alert_log.release(conninfo, bind)
    return out
