"""``collections`` command line: ``migrate`` the schema, ``run-day`` without Airflow, and tools for
policy writers: ``lint`` policies and templates, print the policy ``schema``, ``preview`` a template."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from debt_collections.errors import CollectionsError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="collections", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("migrate", help="apply pending schema migrations")
    m.add_argument("--db", required=True, help="libpq conninfo or URI of the collections database")
    r = sub.add_parser("run-day", help="run one day in-process: the plan of the day, as the DAG runs it")
    r.add_argument("--db", required=True)
    r.add_argument("--policy", required=True, help="policy YAML file")
    r.add_argument("--feed", required=True, help="root folder of the csv drops")
    r.add_argument("--as-of", required=True)
    r.add_argument("--portfolio", action="append", default=[])
    r.add_argument("--stage", action="append", default=[])
    r.add_argument("--dry-run", action="store_true")
    r.add_argument("--resend-failed", action="store_true")
    r.add_argument("--confirm-data-quality", action="store_true")
    r.add_argument(
        "--partner-url", help="base URL of the partners (e.g. the simulator); without it actions wait in the outbox"
    )
    li = sub.add_parser("lint", help="check every policy file of a folder and the templates it uses")
    li.add_argument("folder", nargs="?", default="dags/policies")
    sc = sub.add_parser("schema", help="print the policy JSON Schema (or --check it against the committed file)")
    sc.add_argument("--check", help="the committed schema file to compare with")
    ex = sub.add_parser(
        "explain", help="print a policy's ladder; with --account, why the account's case is where it is"
    )
    ex.add_argument("policy", help="policy YAML file")
    ex.add_argument("--db", help="collections database (with --account)")
    ex.add_argument("--account")
    ex.add_argument("--as-of")
    pv = sub.add_parser("preview", help="a template as its reader gets it, for sample cases of each dpd tier")
    pv.add_argument("template", help="e.g. notice_sms.zh-CN")
    pv.add_argument("--policy", help="policy YAML file: its signature, ways to pay and SMS limit (default: all set)")
    si = sub.add_parser("simulate", help="replay stored days under a candidate policy and the baseline (SPEC 10)")
    si.add_argument("--db", required=True, help="libpq conninfo or URI of the collections database")
    si.add_argument("--policy", required=True, help="the candidate policy file")
    si.add_argument("--baseline", help="the policy in force (default: the one of dags/policies owning the portfolios)")
    si.add_argument("--from", dest="first", required=True, help="first day replayed, YYYY-MM-DD")
    si.add_argument("--to", dest="last", required=True, help="last day replayed, YYYY-MM-DD")
    si.add_argument("--portfolio", action="append", default=[], help="a portfolio (repeat; default: the baseline's)")
    si.add_argument("--json", dest="out", required=True, help="where the result is written")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; 2 with the error's message when the product refuses (bad policy, params, feed)."""
    args = _parser().parse_args(argv)
    commands = {
        "lint": _lint,
        "schema": _schema,
        "explain": _explain,
        "preview": _preview,
        "migrate": _migrate,
        "run-day": _run_day,
        "simulate": _simulate,
    }
    try:
        return commands[args.command](args)
    except CollectionsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _lint(args: argparse.Namespace) -> int:
    from debt_collections.policy.lint import lint, policy_files

    problems = lint(Path(args.folder))
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(policy_files(Path(args.folder)))} policy file(s) in {args.folder}: {len(problems)} problem(s)")
    return 1 if problems else 0


def _schema(args: argparse.Namespace) -> int:
    from debt_collections.policy.lint import schema_text

    if not args.check:
        sys.stdout.write(schema_text())
        return 0
    if Path(args.check).read_text(encoding="utf-8") != schema_text():
        print(f"{args.check} is out of date: regenerate it with `collections schema > {args.check}`", file=sys.stderr)
        return 1
    return 0


def _preview(args: argparse.Namespace) -> int:
    from debt_collections.domain.messages import segments
    from debt_collections.policy.loader import load_policy
    from debt_collections.policy.templates import compose, samples

    policy = load_policy(args.policy) if args.policy else None
    messages = policy.messages if policy else None
    name, _, language = args.template.rpartition(".")
    channel = "sms" if "_sms" in name else "letter" if "_letter" in name else "other"
    for variables in samples(language, reminder=name.startswith("courtesy"), messages=messages):
        text = compose(
            args.template,
            variables,
            channel=channel,
            language=language,
            messages=messages,
            opt_out=bool(policy and policy.contact.preset == "us"),
        )
        case = f"due {variables['due_date']}" if "due_date" in variables else f"dpd {variables['dpd']}"
        debit = ", auto-debit" if "next_debit_date" in variables else ""
        length = f" · {segments(text)}" if channel == "sms" else ""
        print(f"--- {args.template} ({case}{debit}){length}\n{text}\n")
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from debt_collections.store.migrate import migrate

    applied = migrate(args.db)
    print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none pending'}")
    return 0


def _run_day(args: argparse.Namespace) -> int:
    import dataclasses

    from debt_collections.domain.params import parse_run_params
    from debt_collections.feeds.csv_source import CsvSource
    from debt_collections.plan import run_day
    from debt_collections.policy.loader import load_policy

    policy = load_policy(args.policy)
    params = parse_run_params(
        {
            "as_of": args.as_of,
            "portfolios": args.portfolio,
            "stages": args.stage,
            "dry_run": args.dry_run,
            "resend_failed": args.resend_failed,
            "confirm_data_quality": args.confirm_data_quality,
        },
        policy,
        None,
    )
    partners = {}
    if args.partner_url:
        import requests

        from debt_collections.delivery.http import PartnerClient

        partners = {c: PartnerClient(args.partner_url, requests.Session()) for c in policy.delivery_channels()}
    out = run_day(args.db, policy, CsvSource(args.feed, params.as_of), params, partners=partners)
    print(json.dumps(dataclasses.asdict(out), indent=2, default=str))
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from debt_collections.simulate import resolve, simulate

    request = resolve(args.db, args.policy, args.baseline, args.first, args.last, args.portfolio)
    result = simulate(args.db, request)
    Path(args.out).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    same = "matches history" if result["baseline_matches_history"] else f"{result['differences_total']} difference(s)"
    totals = {side: result[side]["totals"]["actions_by_kind_status"] for side in ("baseline", "candidate")}
    print(f"simulated {result['from']}..{result['to']} for {', '.join(result['portfolios'])}: baseline {same}")
    print(f"actions baseline {totals['baseline']}\nactions candidate {totals['candidate']}\nwritten to {args.out}")
    return 0


def _explain(args: argparse.Namespace) -> int:
    from debt_collections.domain.explain import describe_contact, ladder_table
    from debt_collections.policy.loader import load_policy

    policy = load_policy(args.policy)
    sides = policy.variant_policies()
    for name, share, side in sides:
        if len(sides) > 1:  # champion and challengers (SPEC 9): each variant's own ladder and rules
            print(f"\nvariant {name}: share {share} of new cases")
        rows = ladder_table(side)
        widths = {k: max(len(k), *(len(r[k]) for r in rows)) for k in rows[0]}
        print("  ".join(k.ljust(w) for k, w in widths.items()))
        for r in rows:
            print("  ".join(r[k].ljust(w) for k, w in widths.items()))
        c = side.contact
        print(f"contact rules (preset {c.preset}): {describe_contact(c)}; tolerance {side.tolerance}")
    if not args.account:
        return 0
    if not (args.db and args.as_of):
        print("error: --account needs --db and --as-of", file=sys.stderr)
        return 2
    from debt_collections.store.ops import explain_case

    case = explain_case(args.db, args.account, args.as_of, policy.timezone)
    if case is None:
        print(f"\naccount {args.account} has no case on {args.as_of} (not overdue, or not evaluated)")
        return 0
    by_name = {name: side for name, _, side in sides}
    _explain_case(by_name.get(case["variant"], sides[0][2]), args, case)
    return 0


def _explain_case(policy: Any, args: argparse.Namespace, case: dict[str, Any]) -> None:
    from debt_collections.domain.explain import Facts, case_rules, rungs_reached

    hold = f" ({case['hold_reason']}: no action is taken)" if case["hold_reason"] else ""
    print(
        f"\naccount {args.account} on {args.as_of}: case {case['case_id']} ({case['portfolio']}), "
        f"dpd {case['dpd']}, bucket {case['bucket']}, overdue {case['overdue_amount']}, status {case['status']}{hold}, "
        f"variant {case['variant']}"
    )
    facts = Facts.of_case(case)
    for line in rungs_reached(policy, facts, case["previous_stage"]):
        print("  " + line)
    for rule in case_rules(case):
        print("  rule: " + rule)
    if case["stage"]:
        due = "yes" if case["action_due"] else "no"
        print(f"  on {case['stage']} since {case['stage_since']}; action due today: {due}")
    for action in case["actions"]:
        reason = f" ({action['reason']})" if action["reason"] else ""
        print(
            f"  action: {action['kind']} {action['status']}{reason} via {action['channel']}, "
            f"template {action['template']}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
