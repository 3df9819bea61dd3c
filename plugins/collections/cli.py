"""``collections`` command line: ``migrate`` the schema, ``generate`` a book, ``run-day`` without Airflow."""

from __future__ import annotations

import argparse
import json
import sys

import pendulum

from debt_collections.errors import CollectionsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="collections", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("migrate", help="apply pending schema migrations")
    m.add_argument("--db", required=True, help="libpq conninfo or URI of the collections database")
    r = sub.add_parser("run-day", help="run one day in-process (same steps as the DAG)")
    r.add_argument("--db", required=True)
    r.add_argument("--policy", required=True, help="policy YAML file")
    r.add_argument("--feed", required=True, help="root folder of the csv drops")
    r.add_argument("--as-of", required=True)
    r.add_argument("--portfolio", action="append", default=[])
    r.add_argument("--stage", action="append", default=[])
    r.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    try:
        if args.command == "migrate":
            from debt_collections.store.migrate import migrate

            applied = migrate(args.db)
            print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none pending'}")
        else:
            from debt_collections.domain.params import parse_run_params
            from debt_collections.feeds.csv_source import CsvSource
            from debt_collections.pipeline import run_day
            from debt_collections.policy.loader import load_policy

            policy = load_policy(args.policy)
            params = parse_run_params({"as_of": args.as_of, "portfolios": args.portfolio, "stages": args.stage,
                                       "dry_run": args.dry_run}, policy, None)
            out = run_day(args.db, policy, CsvSource(args.feed, params.as_of), params)
            print(json.dumps(out, indent=2, default=str))
    except CollectionsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
