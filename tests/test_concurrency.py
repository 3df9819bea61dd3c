"""Two runs at once: the same day and portfolio serialise on the advisory lock; others do not wait."""

from __future__ import annotations

import threading
import time

import psycopg

from tests.scenario import Scenario, in_threads

DAY = "2026-11-28"


def _book(s: Scenario) -> Scenario:
    for i in range(60):
        s.account(
            f"A{i:02d}",
            portfolio="P1" if i % 2 else "P2",
            first_due="2026-07-01",
            months=6,
            amount="2000.00" if i % 3 else "500.00",
        )
    return s


def test_two_runs_of_the_same_day_and_portfolio_end_as_one_run(db, tmp_path):
    s = _book(Scenario(db, tmp_path))
    s.run(DAY)
    once = s.views()
    assert (
        in_threads(
            lambda: s.run(DAY, portfolios=["P1"], write=False), lambda: s.run(DAY, portfolios=["P1"], write=False)
        )
        == []
    )
    assert s.views() == once
    keys = s.query("select idempotency_key, count(*) as n from collections.action_log group by 1 having count(*) > 1")
    assert keys == []


def test_a_run_waits_on_the_lock_of_its_portfolio_day_but_not_on_another_portfolio(db, tmp_path):
    s = _book(Scenario(db, tmp_path))
    s.run(DAY)
    holder = psycopg.connect(db)
    holder.execute("select pg_advisory_xact_lock(hashtext('collections'), hashtext('P1' || '|' || '2026-11-28'))")
    finished: dict[str, float] = {}
    began = time.monotonic()

    def run(portfolio: str) -> None:
        s.run(DAY, portfolios=[portfolio], write=False)
        finished[portfolio] = time.monotonic() - began

    threads = [threading.Thread(target=run, args=(p,)) for p in ("P1", "P2")]
    for t in threads:
        t.start()
    threads[1].join(timeout=60)
    assert "P2" in finished and "P1" not in finished  # P2 finished while P1 waits on the lock
    holder.rollback()  # release
    holder.close()
    threads[0].join(timeout=60)
    assert "P1" in finished
