"""Mutation testing of the Python core with mutmut (``make mutate``; docs/RELIABILITY.md, "Mutation testing").

mutmut (configured in pyproject.toml, [tool.mutmut]) copies the package to mutants/, where
every function of domain/, policy/ and plan.py carries its mutants behind a switch, and runs
the tests that call a function once per mutant of it. This script runs it over the chosen
areas and prints the score per area: killed, survived, equivalent (EQUIVALENT below, each
with the reason), and the score of the non-equivalent ones; build/mutate/py.json keeps it. A
mutant only a test outside the selection kills (KILLED_ELSEWHERE, with the test) counts as killed.

    .venv/bin/python .ci/mutate_py.py [--areas domain,policy,plan] [--sample policy=60,plan=60] [--seed 7]
                                      [--max-children 2] [--recheck] [--report-only]

A sampled area runs N of its mutants drawn at random (with --seed), the others stay "not checked":
every test loads a policy, so each mutant of policy/ runs most of the selection, and a full run of
policy/ and plan.py takes hours on two cores (docs/RELIABILITY.md).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
OUT = REPO / "build" / "mutate"
AREAS = {"domain": "debt_collections.domain.", "policy": "debt_collections.policy.", "plan": "debt_collections.plan."}
# mutmut's verdicts that count as a kill; "survived" and "no tests" count against the score
KILLED = {"killed", "timeout", "caught by type check", "segfault"}

# Mutants judged equivalent: mutmut's name -> why no test can tell it from the original.
EQUIVALENT: dict[str, str] = {
    "debt_collections.domain.arrears.x_bucket__mutmut_1": (
        "dpd <= 0 -> dpd < 0: bucket(0) is M{(0 - 1) // 30 + 1} = M0 either way"
    ),
    "debt_collections.domain.approvals.x_request_text__mutmut_5": (
        "sum's start 0 instead of Decimal(0): a sum of Decimals is the same Decimal, and money(0) reads 0.00 too"
    ),
    "debt_collections.domain.approvals.x_read_answer__mutmut_16": (
        "keys |= every listed key -> keys = every listed key: what keys held before is among them"
    ),
    **{
        f"debt_collections.domain.policy.xǁPolicyǁvariant_of__mutmut_{n}": (
            "zip(..., strict=True) -> strict None/False/left out: the names and variant_upto() are both made from "
            "variant_policies(), one entry a variant, so the two never differ in length"
        )
        for n in (10, 13, 14)
    },
    "debt_collections.domain.policy.xǁPolicyǁvariant_policies__mutmut_5": (
        "the share of the only variant, 1 -> 2: with one variant every hash falls in its range either way, and "
        "its share is shown only beside other variants (collections explain prints it when there are several)"
    ),
    **{
        f"debt_collections.domain.policy.xǁPolicyǁ_own_ladder_params__mutmut_{n}": (
            "a rung's min_bucket, read only by cases/evaluate.sql's bucket test, which min_dpd already implies: "
            "min_dpd is at least the bucket's first dpd and at least 1 (EnterCondition.min_dpd), so dropping the "
            "bucket (24) or asking M1 of a rung without one (28) changes no case; the SQL's own mutants of that "
            "line are judged the same (.ci/mutate_sql.py)"
        )
        for n in (24, 28)
    },
    **{
        f"debt_collections.policy.loader.x__load_roster__mutmut_{n}": (
            "the place of capacity.roster when the line index has none, (source, 1) -> none or (source, 2): "
            "never used, since a roster is loaded only when capacity.roster is set, in the policy or its "
            "defaults, and the index records the line of every key of both"
        )
        for n in (6, 11)
    },
    "debt_collections.policy.loader.x__refuse_aliases__mutmut_17": (
        "`if event.start_mark` -> `or True`: PyYAML's parser gives every anchor and alias event its start mark"
    ),
    "debt_collections.policy.loader.x__format_errors__mutmut_33": (
        "the place of an error no key of the file holds, (source, 1) -> (source, 2): never used, since the "
        "search ends at the document's root, (), which the line index always holds"
    ),
    **{
        f"debt_collections.policy.templates.x_samples__mutmut_{n}": (
            "a sample's name in a language _SAMPLE_NAMES lacks, 'Wang Fang' -> another: samples are made only "
            "for LANGUAGES, each of which has its name"
        )
        for n in (15, 16)
    },
}


# Mutants the selection's tests miss but a test outside it kills (an Airflow run, a suite not in
# pytest_add_cli_args_test_selection): mutmut's name -> the test, each checked by hand with the mutant applied.
KILLED_ELSEWHERE: dict[str, str] = {
    "debt_collections.plan.x_load_feed__mutmut_37": (
        "tests/test_data_quality.py (data_quality=policy.data_quality left out of load_drop: 1 failed)"
    ),
    "debt_collections.plan.x_load_feed__mutmut_38": (
        "tests/test_data_quality.py (confirm_data_quality left out of load_drop: 1 failed)"
    ),
    "debt_collections.plan.x_choose_stages__mutmut_37": (
        "tests/test_crash_resume.py::test_a_dag_run_killed_inside_each_task_in_turn_then_rerun_equals_one_run "
        "(crash_point(None): 'crash in task choose_stages: exit 0, expected -9')"
    ),
}


# judged already, and so never run again nor listed as surviving
JUDGED = EQUIVALENT.keys() | KILLED_ELSEWHERE.keys()


def forget_survivors(areas: list[str]) -> int:
    """Clear mutmut's verdict on the survivors of the areas, so that they run again (against tests added
    since: mutmut reruns a mutant only when its function changes); how many. Those judged equivalent keep
    theirs: no test can kill them, and each would run every test that calls its function."""
    count = 0
    for meta in (REPO / "mutants").rglob("*.py.meta"):
        data = json.loads(meta.read_text(encoding="utf-8"))
        verdicts = data["exit_code_by_key"]
        mine = {k: code for k, code in verdicts.items() if any(k.startswith(AREAS[a]) for a in areas)}
        # survived (0), no tests (5, 33), or ended by a signal (suspicious)
        again = [
            k for k, code in mine.items() if (code in (0, 5, 33) or (code is not None and code < 0)) and k not in JUDGED
        ]
        for key in again:
            verdicts[key] = None
        if again:
            meta.write_text(json.dumps(data, indent=4), encoding="utf-8")
            count += len(again)
    return count


def run_mutmut(names: list[str], children: int) -> None:
    link = REPO / "debt_collections"  # mutmut names mutants by path: the package as it is imported
    if not link.is_symlink():
        link.symlink_to("plugins/collections")
    subprocess.run([str(BIN / "mutmut"), "run", "--max-children", str(children), *names], cwd=REPO, check=False)


def generated() -> dict[str, int | None]:
    """Every mutant mutmut has generated so far, with its exit code (None: not run)."""
    found: dict[str, int | None] = {}
    for meta in (REPO / "mutants").rglob("*.py.meta"):
        found.update(json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"])
    return found


def sample_names(area: str, size: int, seed: int, children: int) -> list[str]:
    """``size`` mutants of ``area`` drawn at random among those not run yet."""
    if not generated():
        # mutmut generates every mutant of only_mutate before it filters by name: a name that matches
        # nothing makes it generate them and stop ("nothing matches")
        run_mutmut(["debt_collections.nothing.to.run"], children)
        if not generated():
            raise SystemExit("mutmut generated no mutants (see its output above)")
    names = sorted(k for k, code in generated().items() if k.startswith(AREAS[area]) and code is None)
    return random.Random(f"{seed}:{area}").sample(names, min(size, len(names)))


def run_areas(areas: list[str], sizes: dict[str, int], seed: int, children: int) -> None:
    """Every mutant of the areas not in ``sizes``, then a sample of those in it."""
    whole = [f"{AREAS[a]}*" for a in areas if a not in sizes]
    if whole:
        run_mutmut(whole, children)
    for area in (a for a in areas if a in sizes):
        names = sample_names(area, sizes[area], seed, children)
        print(f"{area}: {len(names)} mutants drawn at random (--seed {seed})")
        if names:
            run_mutmut(names, children)


def results(areas: list[str]) -> dict[str, str]:
    """mutmut's verdict on each mutant of the areas."""
    done = subprocess.run(
        [str(BIN / "mutmut"), "results", "--all", "true"], cwd=REPO, capture_output=True, text=True, check=True
    )
    verdicts = dict(re.findall(r"^\s*(\S+__mutmut_\d+): (.+)$", done.stdout, re.MULTILINE))
    return {k: v.strip() for k, v in verdicts.items() if any(k.startswith(AREAS[a]) for a in areas)}


def summary(verdicts: dict[str, str], areas: list[str]) -> dict[str, dict[str, int | float]]:
    table: dict[str, dict[str, int | float]] = {}
    for area in areas:
        mine = {k: v for k, v in verdicts.items() if k.startswith(AREAS[area])}
        row: Counter[str] = Counter()
        for name, verdict in mine.items():
            row["mutants"] += 1
            if verdict in KILLED or name in KILLED_ELSEWHERE:
                row["killed"] += 1
            elif verdict == "not checked":
                row["not checked"] += 1
            elif name in EQUIVALENT:
                row["equivalent"] += 1
            else:
                row["survived"] += 1
        judged = row["killed"] + row["survived"]
        table[area] = {**row, "score": round(100.0 * row["killed"] / judged, 1) if judged else 100.0}
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--areas", default=",".join(AREAS), help="comma-separated: domain, policy, plan")
    parser.add_argument("--max-children", type=int, default=2, help="mutants mutmut runs at once")
    parser.add_argument("--report-only", action="store_true", help="report mutmut's last results, run nothing")
    parser.add_argument("--recheck", action="store_true", help="run the survivors of the last run again")
    parser.add_argument("--sample", default="", help="AREA=N,...: run N mutants of AREA drawn at random")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    areas = [a for a in args.areas.split(",") if a in AREAS]
    if not areas:
        return 0
    sizes = {k: int(v) for k, v in (item.split("=") for item in args.sample.split(",") if item)}
    unknown = set(sizes) - set(AREAS)
    if unknown:
        parser.error(f"--sample names {', '.join(sorted(unknown))}: the areas are {', '.join(AREAS)}")
    if args.recheck:
        print(f"{forget_survivors(areas)} survivors to run again")
    if not args.report_only:
        run_areas(areas, sizes, args.seed, args.max_children)
    verdicts = results(areas)
    if not verdicts:
        print("no mutmut results for these areas in mutants/: run `make mutate` (or without --report-only) first")
        return 0
    table = summary(verdicts, areas)
    print("\nPython mutation score (mutmut):")
    print(f"{'area':10} {'mutants':>8} {'killed':>7} {'survived':>9} {'equivalent':>11} {'unchecked':>10} {'score':>7}")
    for area, row in table.items():
        print(
            f"{area:10} {row['mutants']:8} {row.get('killed', 0):7} {row.get('survived', 0):9}"
            f" {row.get('equivalent', 0):11} {row.get('not checked', 0):10} {row['score']:6}%"
        )
    for name, verdict in sorted(verdicts.items()):
        if verdict not in KILLED and verdict != "not checked" and name not in JUDGED:
            print(f"  {verdict}: {name}  (mutmut show {name})")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "py.json").write_text(json.dumps({"areas": table, "mutants": verdicts}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
