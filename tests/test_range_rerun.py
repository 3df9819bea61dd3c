"""SPEC 12: a rerun over a range of days after a data fix, in date order.

A book runs five days with delivery through the partner simulator; then day 1's drop turns out to have
missed a repayment. After the fix, the five days are run again in order for the portfolio. The views
must equal those of a fresh database that ran the five fixed days once, row for row, except actions a
partner already took before the fix (never recalled, never sent again); the simulator must never have
accepted a key twice; and every evaluation the rerun replaced stays readable with the run that wrote it.
"""

from __future__ import annotations

from collections import Counter

import pendulum

from debt_collections.domain.params import RunParams
from debt_collections.feeds.csv_source import CsvSource
from debt_collections.plan import run_day
from tests.scenario import Scenario, d
from tests.test_delivery import clients, sim_log

DAYS = [f"2026-11-{day}" for day in range(20, 25)]


def _book(s: Scenario, *, fixed: bool) -> Scenario:
    """Twelve accounts overdue from 11-11 to 11-19 (notices, calls); with ``fixed``, day 1's drop has C07's
    repayment that the original drop missed (it pays its installment in full on 11-20)."""
    for i in range(12):
        s.account(f"C{i:02d}", portfolio="P1", first_due=f"2026-11-{11 + i % 9:02d}", months=3)
    if fixed:
        s.pay("fix-1", "C07", "2026-11-20T10:00:00+08:00", "1000.00")
    return s


def _run(s: Scenario, day: str, partners: dict, run_id: str) -> None:
    """The plan of the day for ``day``, delivering at 10:00 the morning after (inside every window)."""
    when = d(day)
    s.write_drop(when)
    params = RunParams(as_of=when, portfolios=("P1",), stages=s.policy.stages, dry_run=False)
    now = pendulum.datetime(when.year, when.month, when.day, 10, tz="Asia/Shanghai").add(days=1)
    run_day(s.conninfo, s.policy, CsvSource(s.root, when), params, run_id=run_id, partners=partners, now=now)


def _views(s: Scenario) -> tuple[list[tuple], dict[tuple, str]]:
    cases = [tuple(r.values()) for r in s.query("select * from collections.case_day order by as_of, case_id")]
    actions = {
        (r["as_of"], r["account_id"], r["case_id"], r["kind"], r["channel"], r["template"]): r["status"]
        for r in s.query("select * from collections.action")
    }
    return cases, actions


def test_a_range_rerun_after_a_fix_equals_a_fresh_run_of_the_fixed_days(db, fresh_db, tmp_path, simulator):
    # the history as it happened: day 1's drop missed C07's repayment
    history = _book(Scenario(db, tmp_path / "history"), fixed=False)
    partners = clients(simulator)
    for day in DAYS:
        _run(history, day, partners, f"scheduled__{day}")
    assert history.query("select count(*) as n from collections.case_day where account_id = 'C07'")[0]["n"] == 5
    sent_before = {
        (r["as_of"], r["account_id"], r["kind"])
        for r in history.query("select as_of, account_id, kind from collections.action where status = 'sent'")
    }
    assert sent_before, "the partners took actions before the fix"

    # the fix: day 1's drop (and so every later snapshot) carries the repayment; rerun from day 1, in order
    history.pay("fix-1", "C07", "2026-11-20T10:00:00+08:00", "1000.00")
    for day in DAYS:
        _run(history, day, partners, f"backfill__{day}")

    # a fresh database that ran the fixed days once, with its own partner log
    fresh = _book(Scenario(fresh_db, tmp_path / "fresh"), fixed=True)
    for day in DAYS:
        _run(fresh, day, {}, f"scheduled__{day}")

    cases, actions = _views(history)
    fresh_cases, fresh_actions = _views(fresh)
    assert cases == fresh_cases, "every case day equals the fresh run of the fixed days"
    assert not [r for r in cases if r[1] == "C07"], "paid on day 1 after the fix, C07 was never overdue"
    # every action of the fresh run is there, as it is there (planned in the fresh run: it sent nothing) ...
    status_of = {"sent": "planned", "delivered": "planned", "deferred": "planned"}
    for key, status in fresh_actions.items():
        assert key in actions, f"missing after the rerun: {key}"
        assert status_of.get(actions[key], actions[key]) == status, key
    # ... and what is there beyond it was handed to a partner before the fix: kept, never recalled
    extra = {k: s for k, s in actions.items() if k not in fresh_actions}
    assert all(s == "sent" and (k[0], k[1], k[3]) in sent_before for k, s in extra.items()), extra
    assert extra, "C07's contacts sent before the fix are kept"
    # no key accepted twice by the partners over both passes
    _, accepted = sim_log(simulator)
    assert not [k for k, n in Counter(a["key"] for a in accepted).items() if n > 1]
    # the evaluations the rerun replaced are readable with the runs that wrote and replaced them
    superseded = history.query(
        "select run_id, superseded_by, count(*) as n from collections.superseded "
        "where entity = 'case_state' group by 1, 2 order by 1"
    )
    assert [(r["run_id"], r["superseded_by"]) for r in superseded] == [
        (f"scheduled__{day}", f"backfill__{day}") for day in DAYS
    ]
