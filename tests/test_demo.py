"""The demo's history (``make demo``): the days before the last one run as the DAGs would have run them,
delivered through the partner simulator with receipts read, so the Trends page shows actions sent and
delivered across the history, not "planned" for weeks; referrals approved two days after they were planned."""

from __future__ import annotations

import pendulum

from debt_collections import demo
from debt_collections.generator.book import BookSpec, generate_book
from debt_collections.simulator.server import SimulatorServer
from debt_collections.store.db import connect
from debt_collections.store.migrate import migrate

START, END = pendulum.Date(2026, 11, 20), pendulum.Date(2026, 11, 26)


def test_the_history_is_delivered_through_the_simulator_with_receipts_and_approvals(fresh_db, tmp_path):
    drops = tmp_path / "drops"
    generate_book(drops, BookSpec(accounts=1500, start=START, end=END, seed=12))
    migrate(fresh_db)
    sim = SimulatorServer(book=drops).start()
    try:
        demo._history(fresh_db, START, END, drops, sim.url)
        paths = {e["path"] for e in sim.state.log if e["status"] == 200}
    finally:
        sim.shutdown()
        sim.server_close()
    # the SMS gateway and the dialer got lists (their batch endpoints), as a deployment's connections can say
    assert {"/v1/sms/batch", "/v1/dialer/queue/batch"} <= paths and "/v1/dialer/queue" not in paths, paths
    with connect(fresh_db) as conn:
        by_day = {
            (r["as_of"].isoformat(), r["status"]): r["n"]
            for r in conn.execute(
                "select as_of, status, count(*) as n from collections.action where kind in ('notice', 'call') "
                "group by 1, 2"
            )
        }
        days = sorted({r["as_of"].isoformat() for r in conn.execute("select distinct as_of from collections.case_day")})
        referrals = conn.execute(
            "select as_of, status, approved_by from collections.action_log where kind in ('legal', 'repossession') "
            "and status <> 'suppressed' order by as_of"
        ).fetchall()
    # every history day, none of the last: each one's contacts went out and most were delivered
    assert days == [START.add(days=i).to_date_string() for i in range(6)]
    for day in days:
        went = by_day.get((day, "delivered"), 0) + by_day.get((day, "sent"), 0) + by_day.get((day, "failed"), 0)
        assert by_day.get((day, "delivered"), 0) > 0 and went >= by_day.get((day, "planned"), 0), (day, by_day)
    # referrals: those of the first days approved by the demo's lead and sent (unless their case was
    # no longer open when the lead looked); those of the last two days still waiting
    assert referrals, "the book has no referral: pick another seed"
    late = END.subtract(days=2).to_date_string()
    early = [r for r in referrals if r["as_of"].isoformat() < late]
    approved = [r for r in early if r["approved_by"] == "demo-lead"]
    assert approved and all(r["status"] in ("sent", "delivered", "failed") for r in approved), early
    assert all(r["status"] == "awaiting_approval" for r in referrals if r["as_of"].isoformat() >= late)


def test_the_demos_day_is_one_on_which_cases_open():
    """The book's installments fall due on days 1 to 28: yesterday, unless that is the 30th, 31st or 1st."""
    got = {
        t: demo.demo_day(pendulum.Date.fromisoformat(t)).to_date_string()
        for t in (
            "2026-12-06",
            "2026-12-30",
            "2026-12-31",
            "2027-01-01",
            "2027-01-02",
            "2027-03-01",
            "2027-03-02",
            "2028-03-01",
        )
    }
    assert got == {
        "2026-12-06": "2026-12-05",
        "2026-12-30": "2026-12-29",
        "2026-12-31": "2026-12-29",
        "2027-01-01": "2026-12-29",
        "2027-01-02": "2026-12-29",
        "2027-03-01": "2027-02-28",
        "2027-03-02": "2027-02-28",
        "2028-03-01": "2028-02-29",
    }


def test_the_demos_runs_are_the_schedulers_when_each_policys_latest_tick_evaluates_its_day():
    # 23:40 in Shanghai: standard (02:00), subprime (01:30) and lease (02:15) have each ticked today, and
    # each tick's run evaluates yesterday, the demo's day: unpaused, Airflow makes exactly those runs
    evening = pendulum.datetime(2026, 12, 6, 15, 40, tz="UTC")
    ticks = demo.scheduled_ticks(pendulum.Date(2026, 12, 5), evening)
    assert ticks == {
        "collections_standard": pendulum.datetime(2026, 12, 6, 2, 0, tz="Asia/Shanghai"),
        "collections_subprime": pendulum.datetime(2026, 12, 6, 1, 30, tz="Asia/Shanghai"),
        "collections_lease": pendulum.datetime(2026, 12, 6, 2, 15, tz="Asia/Shanghai"),
    }
    # 01:45 in Shanghai: subprime has ticked for yesterday, standard and lease not yet (their latest ticks
    # evaluate the day before): the demo triggers its own runs with the job schedule off
    night = pendulum.datetime(2026, 12, 5, 17, 45, tz="UTC")
    assert demo.scheduled_ticks(pendulum.Date(2026, 12, 5), night) is None
    # on a day the demo's day is not yesterday (the 1st: the 29th before it) no tick evaluates it
    assert demo.scheduled_ticks(pendulum.Date(2026, 11, 29), pendulum.datetime(2026, 12, 1, 15, 0, tz="UTC")) is None
