"""The plans of a day's evaluation: ``EXPLAIN (ANALYZE, BUFFERS)`` of its statements, rolled back.

    .venv/bin/python bench/explain.py --db 'host=127.0.0.1 user=postgres dbname=<a loaded book>' \
        --as-of 2026-11-16 --portfolio AUTO-EAST [--statement arrears/compute.sql ...] [--plan call ...]

Runs each statement of ``evaluate`` (arrears, then cases) for one portfolio and day
as the product binds it, under EXPLAIN (ANALYZE, BUFFERS), then the plan statement of
each rung named by ``--plan`` (the ``plan`` step), inside a transaction that is rolled
back, and prints the plans. A book loaded by ``bench/book.py --keep`` (or
``bench/delivery.py --keep``) is a good subject.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pendulum

from debt_collections.domain.params import RunParams
from debt_collections.policy.loader import load_policy
from debt_collections.store.daily import EVALUATE_STATEMENTS, evaluate_params, plan_params, plan_statement
from debt_collections.store.db import Conn, connect, run
from debt_collections.store.sql import sql

REPO = Path(__file__).resolve().parents[1]
PLANNED = ("arrears/choose_work.sql", "arrears/compute.sql", "cases/evaluate.sql")  # the others only run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--portfolio", required=True)
    parser.add_argument("--policy", default=str(REPO / "dags" / "policies" / "standard.yaml"))
    parser.add_argument("--statement", action="append", help=f"plans of these only (default: {', '.join(PLANNED)})")
    parser.add_argument("--full", action="store_true", help="compute every account, not only those that changed")
    parser.add_argument("--plan", action="append", default=[], help="then the plan statement of this rung (stage)")
    args = parser.parse_args()
    policy = load_policy(args.policy)
    params = RunParams(pendulum.parse(args.as_of).date(), None, policy.stages, False)
    bind = evaluate_params(policy, args.portfolio, params, incremental=not args.full)
    with connect(args.db) as conn:
        run(conn, "ops/lock_portfolio_day.sql", bind)
        for name in EVALUATE_STATEMENTS:
            if name not in (args.statement or PLANNED):
                run(conn, name, bind)
                continue
            # EXPLAIN ANALYZE runs the statement: what it writes is there for the next one
            explain(conn, name, bind)
        for stage in args.plan:
            explain(conn, plan_statement(policy, stage), plan_params(policy, stage, args.portfolio, params))
        conn.rollback()  # nothing of the analysed statements stays


def explain(conn: Conn, name: str, bind: dict) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of include/sql/<name>, printed; it runs, so what it writes is there for the next."""
    rows = conn.execute("explain (analyze, buffers) " + sql(name), bind).fetchall()
    print(f"-- {name}\n" + "\n".join(next(iter(r.values())) for r in rows) + "\n")


if __name__ == "__main__":
    main()
