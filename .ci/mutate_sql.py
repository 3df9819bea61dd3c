"""Mutation testing of the evaluation's SQL (``make mutate``; docs/RELIABILITY.md, "Mutation testing").

Each mutant is one small change to one file under include/sql/{arrears,cases,actions}/:
a comparison operator swapped (``<``/``<=``, ``>``/``>=``, ``=``/``<>``), an integer
constant shifted by one, or one ``and``/``or`` line of a where clause dropped. For each,
the tests written for that file (OWN; with --all-tests, every test that loads it, traced by the
sqltrace plugin) run against a copy of
include/sql holding the mutant (``COLLECTIONS_SQL_DIR``), as a fresh pytest process with
``-x``: a failing test kills the mutant. The work tree's SQL is never written to. Before the first
mutant, those tests run once on the SQL as it is: the run stops if one fails (it would kill every mutant).

    .venv/bin/python .ci/mutate_sql.py [--areas arrears,cases] [--sample N] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SQL = REPO / "include" / "sql"
OUT = REPO / "build" / "mutate"
AREAS = ("arrears", "cases", "actions")
# The tests that may cover the evaluation's SQL and need no Airflow run; the trace keeps,
# for each SQL file, those of them that load it.
POOL = (
    "tests/test_arrears.py",
    "tests/test_incremental_arrears.py",
    "tests/test_ladder.py",
    "tests/test_messages.py",
    "tests/test_stages.py",
    "tests/test_reruns.py",
    "tests/test_plan.py",
    "tests/test_policy_language.py",
    "tests/test_policy_tools.py",
    "tests/test_fuzz.py",
)
# The tests written for each file (or area): by default a mutant runs against these (--all-tests: against
# every test of POOL that loads the file, traced), those that killed most of the file's mutants so far first.
OWN = {
    "arrears": ("tests/test_arrears.py", "tests/test_incremental_arrears.py"),
    "arrears/choose_work.sql": ("tests/test_incremental_arrears.py", "tests/test_arrears.py"),
    "cases": (
        "tests/test_ladder.py",
        "tests/test_policy_language.py",
        "tests/test_stages.py",
        "tests/test_capacity.py",
        "tests/test_variants.py",
        "tests/test_approvals.py",
    ),
    "actions": ("tests/test_ladder.py",),
    "actions/plan.sql": (
        "tests/test_policy_language.py",
        "tests/test_ladder.py",
        "tests/test_capacity.py",
        "tests/test_variants.py",
        "tests/test_approvals.py",
    ),
    "actions/clear_unsent.sql": ("tests/test_reruns.py", "tests/test_ladder.py"),
}
PYTEST = ("-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-m", "not airflow")

# Mutants judged equivalent: (file, a piece of the mutated line, or of the dropped one, operator) -> why
# no test can tell it from the original.
_BUCKET_LINE = (
    "a rung's min_dpd is already at least its bucket's first dpd (domain/policy.py, Enter.min_dpd): dpd >= min_dpd "
    "implies the bucket's condition, which the mutant only drops or makes weaker"
)
_NO_ARREARS = "a.dpd is null only for a case with no arrears today, which is cured or closed and gets no rung"
EQUIVALENT: dict[tuple[str, str, str], str] = {
    ("cases/fill_work.sql", "as_of <= %(as_of)s", "< -> <="): (
        "cases/clear_day.sql has just deleted the portfolio's rows of as_of, in the same transaction"
    ),
    ("actions/plan.sql", "and cs.status = 'open'", "drop where line"): (
        "case_state.action_due is true only for an open case (cases/evaluate.sql: status = 'open' and ...)"
    ),
    ("actions/plan.sql", "p.account_id, null, p.customer_id, 0, 1, p.cease_contact", "0 -> 1"): (
        "a reminder's overdue amount orders nothing: a plan is of one stage, so the SMS cap ranks reminders among "
        "reminders only (all alike, then by account); capacity and the call priority are other kinds'; "
        "action_log does not keep it"
    ),
    ("actions/plan.sql", "d.channel = 'dialer' and d.no_call_days >= 0", "> -> >="): (
        "with no_call_days = 0 the window of the exists, as_of + 2 .. as_of, is empty"
    ),
    ("actions/plan.sql", "p.account_id, null, p.customer_id, 1, 0, p.cease_contact", "0 -> 1"): (
        "a reminder's dpd is read by nothing: only the capacity queue (visits, referrals) and the call priority "
        "read dpd, and action_log does not keep it"
    ),
    ("arrears/choose_work.sql", "when s.is_called then s.last_value else 1 end", "0 -> 1"): (
        "arrears are computed after the day's load in every run (the plan loads first; a missing drop fails "
        "the run), and the first load calls the sequence: is_called is false only before any load"
    ),
    ("cases/evaluate.sql", "least((coalesce(a.dpd, 0) + 30) / 30, 7) >= r.min_bucket", "29 -> 30"): _BUCKET_LINE,
    ("cases/evaluate.sql", "least((coalesce(a.dpd, 0) + 29) / 30, 8) >= r.min_bucket", "7 -> 8"): _BUCKET_LINE,
    ("actions/plan.sql", "and not coalesce(r.cap_rank >= r.daily_limit, false)", "> -> >="): (
        "the capacity queue holds roster kinds' orders only (visits, referrals: field_app, legal_portal) and the "
        "daily caps are of sms and the dialer only (store/daily.py, _CAPS): cap_rank is null in it"
    ),
    ("actions/plan.sql", "d.channel = 'dialer' and d.no_call_days > 1", "0 -> 1"): (
        "with no_call_days = 1 the window of the exists, as_of + 1 .. as_of, is empty"
    ),
    ("actions/plan.sql", "limit 2", "1 -> 2"): (
        "the lateral reads an action's decisions latest first and the insert's on conflict do nothing keeps "
        "the first row of a key: a second decision row changes nothing"
    ),
    ("cases/evaluate.sql", "or f.last_resolved <= f.last_dispute) then 'dispute'", "< -> <="): (
        "hold_reason is kept only for a case on hold; deceased and bankruptcy come first in the case, and a case "
        "is on hold for a dispute only when the status's own test (resolved strictly before it) says so"
    ),
    ("cases/evaluate.sql", "least((coalesce(a.dpd, 1) + 29) / 30, 7)", "0 -> 1"): _NO_ARREARS,
    ("cases/evaluate.sql", "and least((coalesce(a.dpd, 0) + 29) / 30, 7) >= r.min_bucket", "drop where line"): (
        _BUCKET_LINE
    ),
    ("cases/evaluate.sql", "when s.every_days > 1 then coalesce((", "0 -> 1"): (
        "with every_days = 1 the branch before it always holds ((as_of - since) % 1 = 0): only every_days > 1 "
        "reaches this one"
    ),
    ("cases/evaluate.sql", "and coalesce(a.dpd, 1) >= r.min_dpd", "0 -> 1"): _NO_ARREARS,
    ("cases/evaluate.sql", "coalesce(a.overdue_amount, 1) >= coalesce(r.min_overdue, 0)", "0 -> 1"): _NO_ARREARS,
}

_OPERATORS = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "=": "<>", "<>": "=", "!=": "="}
# a string literal, a bound parameter or an escaped %, a comparison operator, an integer
_TOKEN = re.compile(r"'(?:[^']|'')*'|%\(\w+\)s|%%|(?P<op><>|!=|<=|>=|<|>|=)|(?P<int>(?<![\w.])\d+(?![\w.]))")
_WHERE = re.compile(r"\bwhere\b", re.IGNORECASE)
_CLAUSE = re.compile(r"(and|or)\b", re.IGNORECASE)
_FILTER = re.compile(r"\bfilter\s*\(\s*where\b", re.IGNORECASE)
_SET = re.compile(r"set\b", re.IGNORECASE)  # the assignments of an on conflict do update
_OPEN_BETWEEN = re.compile(r"\bbetween\b(?!.*\band\b)", re.IGNORECASE)
# no-ops by construction, not mutated: the 1 of "select 1"/"returning 1" and a type's precision
_NOT_A_CONSTANT = re.compile(r"(?:\bselect|\breturning)\s+$|\bnumeric\(\s*(?:\d+\s*,\s*)?$", re.IGNORECASE)


@dataclass
class Mutant:
    file: str
    line: int
    operator: str
    text: str  # the mutated line
    original: str
    outcome: str = ""
    seconds: float = 0.0
    killed_by: str = ""
    equivalent: str = ""

    @property
    def key(self) -> str:
        return f"{self.file}:{self.line}:{self.operator}:{self.text}"

    @property
    def area(self) -> str:
        return self.file.split("/")[0]


def _line_mutants(name: str, number: int, line: str, code: str) -> list[Mutant]:
    """Operator swaps and constant shifts in ``code``, the part of ``line`` before a comment."""
    found = []
    for m in _TOKEN.finditer(code):
        if m.group("op"):
            old, new = m.group("op"), _OPERATORS[m.group("op")]
            if line[m.end() : m.end() + 1] in (">", "=") or line[m.start() - 1 : m.start()] in (":", "!", "-"):
                continue  # =>, :=, ->: not comparisons
            label = f"{old} -> {new}"
        elif m.group("int") and not _NOT_A_CONSTANT.search(code[: m.start()]):
            old, new = m.group("int"), str(int(m.group("int")) + 1)
            label = f"{old} -> {new}"
        else:
            continue
        found.append(Mutant(name, number, label, line[: m.start()] + new + line[m.end() :], line))
    return found


def mutants_of(name: str) -> list[Mutant]:
    """Every mutant of include/sql/<name>, comment lines left alone."""
    found: list[Mutant] = []
    in_where = set_open = between = False
    for number, line in enumerate((SQL / name).read_text(encoding="utf-8").splitlines(), start=1):
        code = line.split("--", 1)[0]
        stripped = code.strip()
        if not stripped:
            continue
        in_set = bool(_SET.match(stripped)) or set_open
        set_open = in_set and stripped.endswith(",")
        found.extend(m for m in _line_mutants(name, number, line, code) if not (in_set and m.operator == "= -> <>"))
        droppable = stripped.count("(") == stripped.count(")") and not between and not _OPEN_BETWEEN.search(stripped)
        if in_where and _CLAUSE.match(stripped) and droppable:
            found.append(Mutant(name, number, "drop where line", "", line))
        elif not _CLAUSE.match(stripped):
            in_where = bool(_WHERE.search(stripped)) and not _FILTER.search(stripped)
        between = bool(_OPEN_BETWEEN.search(stripped))  # its "and" is on the next line
    for mutant in found:
        mutant.equivalent = _equivalent(mutant)
    return found


def _equivalent(mutant: Mutant) -> str:
    """Why the mutant is equivalent, if EQUIVALENT says it is."""
    for (file, piece, operator), why in EQUIVALENT.items():
        if (file, operator) == (mutant.file, mutant.operator) and piece in (mutant.text or mutant.original):
            return why
    return ""


def trace(force: bool) -> dict:
    """Which tests of POOL load which SQL file, and each test's seconds (cached in build/mutate)."""
    path = OUT / "sql-trace.json"
    if path.exists() and not force:
        return json.loads(path.read_text())
    print(f"tracing which tests load which SQL file: {' '.join(POOL)}", flush=True)
    env = {**os.environ, "SQLTRACE_OUT": str(path), "PYTHONPATH": str(REPO / ".ci")}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "sqltrace", "-m", "not airflow"]
    done = subprocess.run([*cmd, *POOL], cwd=REPO, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"the tests fail before any mutant:\n{done.stdout[-3000:]}")
    return json.loads(path.read_text())


def own_tests(names: list[str]) -> dict:
    """The tests of OWN for each file, as pytest collects them; their seconds from the trace, when there is one."""
    own = {n: OWN.get(n) or OWN[n.split("/")[0]] for n in names}
    files = sorted({f for fs in own.values() for f in fs})
    cmd = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-m", "not airflow"]
    done = subprocess.run([*cmd, *files], cwd=REPO, capture_output=True, text=True, check=True)
    ids = [line for line in done.stdout.splitlines() if "::" in line]
    traced = OUT / "sql-trace.json"
    seconds = json.loads(traced.read_text())["seconds"] if traced.exists() else {}
    return {"loads": {n: [t for t in ids if t.split("::")[0] in fs] for n, fs in own.items()}, "seconds": seconds}


class Runner:
    """Runs one mutant at a time per worker, each worker on a copy of include/sql of its own."""

    def __init__(self, traced: dict, jobs: int) -> None:
        self.loads, self.seconds = traced["loads"], traced["seconds"]
        self.kills: Counter[tuple[str, str]] = Counter()
        self.copies: queue.Queue[Path] = queue.Queue()
        self.running: set[subprocess.Popen[str]] = set()
        self.scratch = Path(tempfile.mkdtemp(prefix="mutate-sql-"))
        for n in range(jobs):
            shutil.copytree(SQL, self.scratch / str(n))
            self.copies.put(self.scratch / str(n))

    def tests_for(self, name: str) -> list[str]:
        """The tests of ``name``, those that killed most of its mutants so far first, then the quickest."""

        def rank(test: str) -> tuple[int, float]:
            return (-self.kills[name, test], self.seconds.get(test, 0.0))

        return sorted(self.loads.get(name, []), key=rank)

    def run(self, mutant: Mutant) -> Mutant:
        tests = self.tests_for(mutant.file)
        timeout = 900 + 3 * sum(self.seconds.get(t, 0.0) for t in tests)  # generous: a timeout counts as a kill
        root = self.copies.get()
        target = root / mutant.file
        original = target.read_text(encoding="utf-8")
        lines = original.splitlines(keepends=True)
        lines[mutant.line - 1] = mutant.text + "\n" if mutant.text else ""
        began = time.monotonic()
        try:
            target.write_text("".join(lines), encoding="utf-8")
            code, out = self._pytest(tests, root, timeout)
        finally:
            target.write_text(original, encoding="utf-8")
            self.copies.put(root)
        mutant.seconds = round(time.monotonic() - began, 1)
        mutant.outcome = "survived" if code == 0 else "killed"
        failed = re.search(r"^(?:FAILED|ERROR) (\S+)", out, re.MULTILINE)
        mutant.killed_by = "timeout" if code is None else failed.group(1) if failed and code else ""
        if mutant.killed_by:
            self.kills[mutant.file, mutant.killed_by] += 1
        return mutant

    def _pytest(self, tests: list[str], root: Path, timeout: float) -> tuple[int | None, str]:
        """Exit code (None on timeout) and output of the tests run against the SQL under ``root``."""
        env = {**os.environ, "COLLECTIONS_SQL_DIR": str(root)}
        cmd = [sys.executable, *PYTEST, *tests]
        with subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as p:
            self.running.add(p)
            try:
                out, _ = p.communicate(timeout=timeout)
                return p.returncode, out
            except subprocess.TimeoutExpired:
                p.kill()
                return None, p.communicate()[0]
            finally:
                self.running.discard(p)

    def baseline(self, names: list[str]) -> None:
        """Run the tests of ``names`` once on the SQL as it is: a test that fails there would count every
        mutant it meets as killed, so the run stops instead (a missing font, a red test)."""
        tests = sorted({t for n in names for t in self.loads.get(n, [])})
        root = self.copies.get()
        try:
            code, out = self._pytest(tests, root, 3600)
        finally:
            self.copies.put(root)
        if code != 0:
            failed = re.findall(r"^(?:FAILED|ERROR) \S+", out, re.MULTILINE) or [out[-2000:]]
            raise SystemExit("the mutants' tests fail on the SQL as it is; nothing was run:\n" + "\n".join(failed))
        print(f"{len(tests)} tests pass on the SQL as it is", flush=True)

    def stop(self) -> None:
        """End the mutants under way (on Ctrl-C or a kill)."""
        for p in list(self.running):
            p.kill()

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)


def summary(mutants: list[Mutant]) -> dict[str, dict[str, int | float]]:
    """Per area: mutants, killed, survived, equivalent, not run, and the score of the non-equivalent ones run."""
    table: dict[str, dict[str, int | float]] = defaultdict(lambda: Counter())  # type: ignore[arg-type]  # a Counter per area
    for m in mutants:
        row = table[m.area]
        row["mutants"] += 1
        row["equivalent" if m.outcome == "survived" and m.equivalent else m.outcome or "not run"] += 1
    for row in table.values():
        judged = row["killed"] + row["survived"]
        row["score"] = round(100.0 * row["killed"] / judged, 1) if judged else 100.0
    return {area: dict(table[area]) for area in AREAS if area in table}


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--areas", default=",".join(AREAS), help="comma-separated: arrears, cases, actions")
    parser.add_argument("--sample", type=int, default=0, help="run only N mutants drawn at random (0: all)")
    parser.add_argument("--resume", action="store_true", help="keep the kills of the last runs, run the others")
    parser.add_argument("--survivors", action="store_true", help="keep the kills of the last runs, run their survivors")
    parser.add_argument(
        "--lines", action="append", default=[], help="FILE:FROM-TO: only the mutants of these lines (after an edit)"
    )
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once")
    parser.add_argument("--all-tests", action="store_true", help="every test that loads the file, not only its own")
    parser.add_argument("--retrace", action="store_true", help="with --all-tests: trace the tests' SQL files again")
    parser.add_argument("--list", action="store_true", help="only list the mutants")
    parser.add_argument("--report-only", action="store_true", help="only report what the runs so far found")
    return parser.parse_args()


def main() -> int:
    args = _arguments()
    named = {a for a in args.areas.split(",") if a}
    if unknown := named - set(AREAS) - {"domain", "policy", "plan"}:  # those three are .ci/mutate_py.py's
        sys.exit(f"unknown area(s): {', '.join(sorted(unknown))}")
    areas = [a for a in AREAS if a in named]
    if not areas:
        return 0
    mutants = [m for area in areas for f in sorted((SQL / area).glob("*.sql")) for m in mutants_of(f"{area}/{f.name}")]
    if args.lines:
        mutants = [m for m in mutants if any(_within(m, span) for span in args.lines)]
    if args.list:
        for m in mutants:
            print(f"{m.file}:{m.line}  {m.operator:16}  {m.text.strip() or m.original.strip()}")
        return 0
    # in a random order, so that a run stopped early has a sample of every area
    random.Random(args.seed).shuffle(mutants)
    mutants = mutants[: args.sample or None]
    OUT.mkdir(parents=True, exist_ok=True)
    if args.report_only:  # what the runs so far found, the mutants none reached counted as not run
        done = _done_before(mutants, outcomes=("killed", "survived"))
        return report([done.get(m.key, m) for m in mutants], 0, args)
    done = _done_before(mutants) if args.resume or args.survivors else {}
    todo = [m for m in mutants if m.key not in done]
    if args.survivors:  # only the survivors of the runs before, not the mutants no run reached
        tried = _done_before(mutants, outcomes=("survived",))
        todo = [m for m in todo if m.key in tried]
        mutants = [m for m in mutants if m.key in done or m.key in tried]
    names = sorted({m.file for m in mutants})
    runner = Runner(trace(args.retrace) if args.all_tests else own_tests(names), args.jobs)
    signal.signal(signal.SIGTERM, _interrupt)  # a kill, like Ctrl-C, still ends the tests and removes the copies
    began = time.monotonic()
    print(f"{len(mutants)} SQL mutants ({len(mutants) - len(todo)} done before), {args.jobs} at a time", flush=True)
    if todo:
        runner.baseline(sorted({m.file for m in todo}))
    pool = ThreadPoolExecutor(args.jobs)
    try:
        with (OUT / "sql-mutants.jsonl").open("a" if args.resume or args.survivors else "w", encoding="utf-8") as log:
            for m in pool.map(runner.run, todo):
                note = f"  (equivalent: {m.equivalent})" if m.outcome == "survived" and m.equivalent else ""
                print(f"{m.file}:{m.line}  {m.operator:16}  {m.outcome:8}  {m.seconds:6.1f} s{note}", flush=True)
                log.write(json.dumps(asdict(m)) + "\n")
                log.flush()
                done[m.key] = m
    finally:
        runner.stop()
        pool.shutdown(cancel_futures=True)
        runner.close()
    return report([done.get(m.key, m) for m in mutants], round(time.monotonic() - began), args)


def _done_before(mutants: list[Mutant], outcomes: tuple[str, ...] = ("killed",)) -> dict[str, Mutant]:
    """The mutants an earlier run killed (build/mutate/sql-mutants.jsonl) still in the files as they are,
    and the equivalent ones: the other survivors run again, since tests may have been added for them."""
    path, wanted = OUT / "sql-mutants.jsonl", {m.key for m in mutants}
    if not path.exists():
        return {}
    rows = [Mutant(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line]
    # a survivor judged equivalent is kept too: no test can kill it
    return {m.key: m for m in rows if m.key in wanted and (m.outcome in outcomes or _equivalent(m))}


def _within(m: Mutant, span: str) -> bool:
    """Whether the mutant is on a line of ``span`` (``actions/plan.sql:120-131``, or one line)."""
    file, _, lines = span.rpartition(":")
    first, _, last = lines.partition("-")
    return m.file == file and int(first) <= m.line <= int(last or first)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def report(mutants: list[Mutant], seconds: int, args: argparse.Namespace) -> int:
    """Print the score per area and write build/mutate/sql.json."""
    for m in mutants:  # judged anew: EQUIVALENT may have grown since the mutant ran
        m.equivalent = _equivalent(m)
    table = summary(mutants)
    print(f"\nSQL mutation score ({seconds} s):")
    print(f"{'area':10} {'mutants':>8} {'killed':>7} {'survived':>9} {'equivalent':>11} {'not run':>8} {'score':>7}")
    for area, row in table.items():
        print(
            f"{area:10} {row['mutants']:8} {row.get('killed', 0):7} {row.get('survived', 0):9}"
            f" {row.get('equivalent', 0):11} {row.get('not run', 0):8} {row['score']:6}%"
        )
    for m in sorted(mutants, key=lambda m: (m.file, m.line)):
        if m.outcome == "survived" and not m.equivalent:
            print(f"  survived: {m.file}:{m.line}  {m.operator}  {m.original.strip()}")
    result = {"seconds": seconds, "sample": args.sample, "areas": table, "mutants": [asdict(m) for m in mutants]}
    (OUT / "sql.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
