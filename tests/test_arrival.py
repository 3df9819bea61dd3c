"""Starting when the data arrives, in-process: the schedule and deadline a policy builds, the marker's watcher.

The live run (the triggerer taking a marker, the scheduler starting the run, the cron fallback, the
deadline alert) is tests/test_live_arrival.py; here the pieces are checked one by one, without Airflow's
components running.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable
from airflow.serialization.serialized_objects import DagSerialization

from debt_collections import alerts
from debt_collections.airflow.factory import build_dag
from debt_collections.airflow.triggers import DropReadyTrigger, markers
from debt_collections.policy.loader import parse_policy

STANDARD = Path(__file__).resolve().parents[1] / "dags" / "policies" / "standard.yaml"


def _policy(extra: str = "", schedule: str = "0 2 * * *"):
    text = STANDARD.read_text().replace('\nschedule: "0 2 * * *"', f'\nschedule: "{schedule}"')
    return parse_policy(
        text.replace("\ntimezone: Asia/Shanghai\n", f"\ntimezone: Asia/Shanghai\n{extra}"), str(STANDARD)
    )


ON = "alerts: {deadline_alert: true}\n"
MARKED = 'feed: {ready_marker: "{date}/_READY", ready_poll_seconds: 5}\n'


def test_without_a_ready_marker_the_schedule_is_the_cron_alone():
    dag = build_dag(_policy())
    assert isinstance(dag.timetable, CronTriggerTimetable)


def test_a_ready_marker_adds_its_asset_to_the_cron_and_survives_serialization():
    dag = build_dag(_policy(MARKED))
    assert isinstance(dag.timetable, AssetOrTimeSchedule)
    asset = dag.timetable.asset_condition
    assert asset.name == "drop_ready:collections_feed:{date}/_READY"
    (watcher,) = asset.watchers
    assert watcher.trigger.serialize() == (
        "debt_collections.airflow.triggers.DropReadyTrigger",
        {"feed_conn_id": "collections_feed", "marker": "{date}/_READY", "poke_interval": 5},
    )
    back = DagSerialization.from_dict(DagSerialization.to_dict(dag))
    assert back.timetable.description == "Triggered by assets or At 02:00"


@pytest.mark.parametrize(
    ("schedule", "deadline", "interval"),
    [
        ("0 2 * * *", ON, timedelta(hours=5, minutes=30)),  # defaults.yaml: 07:30
        ("45 6 * * *", "alerts: {deadline_alert: true, deadline: '07:15'}\n", timedelta(minutes=30)),
        ("0 8 * * *", ON, timedelta(hours=23, minutes=30)),  # the deadline after the cron's time: the next day's
        ("*/30 * * * *", ON, None),  # not once a day at a fixed time: no deadline alert
        ("0 2 * * 1-5", ON, None),
        ("0 2 * * *", "alerts: {deadline_alert: true, deadline: null}\n", None),
        ("0 2 * * *", "", None),  # off by default: Airflow 3.3.2's `dags test` fails on a DAG with a deadline
    ],
)
def test_the_deadline_alert_runs_from_the_crons_time_to_the_policys_deadline(schedule, deadline, interval):
    dag = build_dag(_policy(deadline, schedule=schedule))
    if interval is None:
        assert not dag.deadline
        return
    (alert,) = dag.deadline
    assert alert.interval == interval
    assert type(alert.reference).__name__ == "DagRunLogicalDateDeadline"
    assert alert.callback.path == "debt_collections.alerts.on_run_late"
    assert alert.callback.kwargs["conn_id"] == "collections_alerts"


def test_the_watcher_takes_the_earliest_days_marker_and_names_its_day(tmp_path, monkeypatch):
    for day in ("2026-11-28", "2026-11-27"):
        (tmp_path / day).mkdir()
        (tmp_path / day / "_READY").write_text("")
    (tmp_path / "2026-11-26").mkdir()  # a drop without its marker yet
    (tmp_path / "not-a-day").mkdir()
    (tmp_path / "not-a-day" / "_READY").write_text("")
    monkeypatch.setenv(
        "AIRFLOW_CONN_COLLECTIONS_FEED", json.dumps({"conn_type": "fs", "extra": {"path": str(tmp_path)}})
    )
    trigger = DropReadyTrigger(feed_conn_id="collections_feed", marker="{date}/_READY", poke_interval=0.1)

    async def first_event():
        return await anext(trigger.run())

    event = asyncio.run(first_event())
    assert event.payload == {"as_of": "2026-11-27", "marker": str(tmp_path / "2026-11-27" / "_READY")}
    assert not (tmp_path / "2026-11-27" / "_READY").exists()
    policy_feed = _policy(MARKED).feed
    assert [day for day, _ in markers(tmp_path, policy_feed)] == ["2026-11-28"]


def test_the_watcher_refuses_a_feed_connection_that_is_not_files(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_COLLECTIONS_FEED", json.dumps({"conn_type": "http", "host": "example"}))
    trigger = DropReadyTrigger(feed_conn_id="collections_feed", marker="{date}/_READY")

    async def first_event():
        return await anext(trigger.run())

    with pytest.raises(Exception, match=r'must be conn_type fs with extra \{"path"'):
        asyncio.run(first_event())


def test_the_deadline_callback_alerts_for_a_scheduled_run_only(caplog, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_COLLECTIONS_ALERTS", raising=False)
    kwargs = {"conn_id": "collections_alerts", "deadline": "07:30", "timezone": "Asia/Shanghai"}
    run = {"dag_id": "collections_standard", "dag_run_id": "scheduled__2026-11-28T18:00:00+00:00", "state": "running"}
    caplog.set_level(logging.INFO, logger="debt_collections.alerts")
    alerts.on_run_late(**kwargs, context={"dag_run": {**run, "run_type": "backfill"}})
    assert "ALERT" not in caplog.text
    alerts.on_run_late(**kwargs, context={"dag_run": {**run, "run_type": "scheduled"}})
    assert (
        "ALERT collections_standard: run scheduled__2026-11-28T18:00:00+00:00 is not done by 07:30 Asia/Shanghai"
        in caplog.text
    )
