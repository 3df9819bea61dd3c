"""``collections`` command line: ``migrate`` the schema, ``run-day`` without Airflow, and tools for
policy writers: ``lint`` policies and templates, print the policy ``schema``, ``preview`` a template."""

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
    li = sub.add_parser("lint", help="check every policy file of a folder and the templates it uses")
    li.add_argument("folder", nargs="?", default="dags/policies")
    sc = sub.add_parser("schema", help="print the policy JSON Schema (or --check it against the committed file)")
    sc.add_argument("--check", help="the committed schema file to compare with")
    pv = sub.add_parser("preview", help="render a template against a sample case")
    pv.add_argument("template", help="e.g. notice_sms.zh-CN")
    args = parser.parse_args(argv)
    try:
        if args.command == "lint":
            from pathlib import Path

            from debt_collections.policy.lint import lint, policy_files

            problems = lint(Path(args.folder))
            for problem in problems:
                print(problem, file=sys.stderr)
            count = len(policy_files(Path(args.folder)))
            print(f"{count} policy file(s) in {args.folder}: {len(problems)} problem(s)")
            return 1 if problems else 0
        if args.command == "schema":
            from pathlib import Path

            from debt_collections.policy.lint import schema_text

            if args.check:
                if Path(args.check).read_text(encoding="utf-8") != schema_text():
                    print(f"{args.check} is out of date: regenerate it with `collections schema > {args.check}`",
                          file=sys.stderr)
                    return 1
                return 0
            sys.stdout.write(schema_text())
            return 0
        if args.command == "preview":
            from debt_collections.policy.templates import SAMPLE, render

            print(render(args.template, SAMPLE))
            return 0
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
