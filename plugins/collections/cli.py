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
    ex = sub.add_parser("explain", help="print a policy's ladder; with --account, why the account's case is where it is")
    ex.add_argument("policy", help="policy YAML file")
    ex.add_argument("--db", help="collections database (with --account)")
    ex.add_argument("--account")
    ex.add_argument("--as-of")
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
        if args.command == "explain":
            return _explain(args)
        if args.command == "preview":
            from debt_collections.policy.templates import REMINDER_SAMPLE, SAMPLE, render

            print(render(args.template, {**SAMPLE, **REMINDER_SAMPLE}))
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


def _explain(args: argparse.Namespace) -> int:
    from debt_collections.domain.explain import Facts, describe_contact, ladder_table, rungs_reached
    from debt_collections.policy.loader import load_policy

    policy = load_policy(args.policy)
    rows = ladder_table(policy)
    widths = {k: max(len(k), *(len(r[k]) for r in rows)) for k in rows[0]}
    print("  ".join(k.ljust(w) for k, w in widths.items()))
    for r in rows:
        print("  ".join(r[k].ljust(w) for k, w in widths.items()))
    c = policy.contact
    print(f"contact rules (preset {c.preset}): {describe_contact(c)}; tolerance {policy.tolerance}")
    if not args.account:
        return 0
    if not (args.db and args.as_of):
        print("error: --account needs --db and --as-of", file=sys.stderr)
        return 2
    from debt_collections.store.db import connect, fetch_one

    with connect(args.db) as conn:
        case = fetch_one(conn, "ops/explain_case.sql", {"account_id": args.account, "as_of": args.as_of,
                                                          "tz": policy.timezone})
    if case is None:
        print(f"\naccount {args.account} has no case on {args.as_of} (not overdue, or not evaluated)")
        return 0
    print(f"\naccount {args.account} on {args.as_of}: case {case['case_id']} ({case['portfolio']}), "
          f"dpd {case['dpd']}, bucket {case['bucket']}, overdue {case['overdue_amount']}, status {case['status']}"
          + (f" ({case['hold_reason']}: no action is taken)" if case["hold_reason"] else ""))
    facts = Facts(dpd=case["dpd"], overdue=case["overdue_amount"], product=case["product"],
                  risk_grade=case["risk_grade"], broken_promises=case["broken_promises"])
    for line in rungs_reached(policy, facts, case["previous_stage"]):
        print("  " + line)
    rules = []
    if case["cease_contact"]:
        rules.append("cease_contact: notices, calls and visits suppressed")
    if case["suppress_reason"]:
        rules.append(f"{case['suppress_reason']} active: calls, visits and legal suppressed")
    if case["promise_status"]:
        rules.append(f"latest promise to pay: {case['promise_status']}")
    if case["plan_status"]:
        rules.append(f"latest payment plan: {case['plan_status']}")
    for rule in rules:
        print("  rule: " + rule)
    if case["stage"]:
        print(f"  on {case['stage']} since {case['stage_since']}; action due today: {'yes' if case['action_due'] else 'no'}")
    for action in case["actions"]:
        print(f"  action: {action['kind']} {action['status']}" + (f" ({action['reason']})" if action["reason"] else "")
              + f" via {action['channel']}, template {action['template']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
