"""Shaping query results for the templates: cross tables of the day's figures and an account timeline."""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from debt_collections.domain.policy import Policy
from debt_collections.ui.i18n import N_
from debt_collections.ui.masking import mask_name, mask_phone

STAGE_ORDER = ("notice", "call", "visit", "legal")
STATUS_ORDER = ("planned", "awaiting_approval", "deferred", "sent", "delivered", "failed", "rejected", "suppressed")
NO_STAGE = "-"
# what an agent records on the account page (SPEC 2's event kinds), in words
OUTCOME_KINDS = {
    "promise_to_pay": N_("promise to pay"),
    "payment_plan": N_("payment plan"),
    "delinquency_reason": N_("delinquency reason"),
    "contact_outcome": N_("contact outcome"),
}


@dataclass
class CrossTable:
    """Counts by two keys, with totals, ready to render as an HTML table."""

    rows: list[str]
    cols: list[str]
    cells: dict[tuple[str, str], int]
    row_totals: dict[str, int] = field(default_factory=dict)
    col_totals: dict[str, int] = field(default_factory=dict)
    total: int = 0

    def cell(self, row: str, col: str) -> int:
        """The count of one cell (0 when absent)."""
        return self.cells.get((row, col), 0)


def _ordered(values: set[str], known: tuple[str, ...]) -> list[str]:
    first = [v for v in known if v in values]
    rest = sorted(v for v in values if v not in known and v != NO_STAGE)
    return first + rest + ([NO_STAGE] if NO_STAGE in values else [])


def _bucket_key(bucket: str) -> tuple[int, str]:
    digits = re.sub(r"\D", "", bucket)
    return (int(digits) if digits else 999, bucket)


def cross_table(
    counts: dict[str, int],
    *,
    row_order: tuple[str, ...] = (),
    col_is_bucket: bool = False,
    col_order: tuple[str, ...] = (),
) -> CrossTable:
    """A cross table from report keys of the form ``"<row> <col>"`` (e.g. ``"notice M1"``)."""
    cells: dict[tuple[str, str], int] = {}
    for key, n in (counts or {}).items():
        row, _, col = key.partition(" ")
        cells[(row, col)] = cells.get((row, col), 0) + int(n)
    rows = _ordered({r for r, _ in cells}, row_order)
    col_values = {c for _, c in cells}
    cols = sorted(col_values, key=_bucket_key) if col_is_bucket else _ordered(col_values, col_order)
    table = CrossTable(rows=rows, cols=cols, cells=cells)
    for (row, col), n in cells.items():
        table.row_totals[row] = table.row_totals.get(row, 0) + n
        table.col_totals[col] = table.col_totals.get(col, 0) + n
        table.total += n
    return table


def by_reason(counts: dict[str, int]) -> list[tuple[str, int]]:
    """Counts by reason, largest first."""
    return sorted(((k, int(v)) for k, v in (counts or {}).items()), key=lambda kv: (-kv[1], kv[0]))


def _only(counts: dict[str, int], stage: str | None) -> dict[str, int]:
    """The report keys ("<row> <col>") of one row, or all when no stage is chosen."""
    return {k: v for k, v in (counts or {}).items() if stage is None or k.partition(" ")[0] == stage}


def portfolio_view(row: dict[str, Any], stage: str | None = None) -> dict[str, Any]:
    """One portfolio's report row shaped for the Today page (its cross tables narrowed to ``stage``)."""
    figures = row["figures"] or {}
    return {
        "portfolio": row["portfolio"],
        "dag_id": row["dag_id"],
        "run_id": row["run_id"],
        "dry_run": row["dry_run"],
        "currency": row.get("currency") or "",
        "figures": figures,
        "stage_bucket": cross_table(
            _only(figures.get("cases_by_stage_bucket", {}), stage), row_order=STAGE_ORDER, col_is_bucket=True
        ),
        "kind_status": cross_table(
            _only(figures.get("actions_by_kind_status", {}), stage), row_order=STAGE_ORDER, col_order=STATUS_ORDER
        ),
        "suppressed": by_reason(figures.get("suppressed_by_reason", {})),
        "quarantined": by_reason(figures.get("quarantined_by_reason", {})),
    }


def masked_matches(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Search results with names and phone numbers masked (they are a list)."""
    return [{**r, "full_name": mask_name(r["full_name"]), "phone": mask_phone(r["phone"])} for r in rows]


@dataclass
class TimelineDay:
    """Everything that happened to an account on one day."""

    day: dt.date
    cases: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


def timeline(history: dict[str, list[dict[str, Any]]], timezone: str) -> list[TimelineDay]:
    """Case days, actions and events grouped by day, newest first.

    Events and repayments are placed on the local date of their timestamp in the
    customer's timezone, and carry that local time as ``at_local``.
    """
    zone = _zone(timezone)
    days: dict[dt.date, TimelineDay] = defaultdict(lambda: TimelineDay(day=dt.date.min))
    for key in ("cases", "actions"):
        for row in history[key]:
            getattr(days[row["as_of"]], key).append(row)
    for row in history["events"]:
        local = row["at"].astimezone(zone)
        days[local.date()].events.append({**row, "at_local": local.isoformat(sep=" ", timespec="minutes")})
    result = []
    for day in sorted(days, reverse=True):
        entry = days[day]
        entry.day = day
        result.append(entry)
    return result


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def superseded(history: dict[str, list[dict[str, Any]]], timezone: str) -> list[dict[str, Any]]:
    """The superseded evaluations and actions, with the time each was replaced in ``timezone``."""
    zone = _zone(timezone)
    return [
        {**row, "at_local": row["superseded_at"].astimezone(zone).isoformat(sep=" ", timespec="seconds")}
        for row in history["superseded"]
    ]


BUCKETS = ("M1", "M2", "M3", "M4", "M5", "M6", "M7+")


@dataclass
class Chart:
    """One chart of the Trends page: its series over the days, and the figures behind each point (the table)."""

    key: str
    title: str
    unit: str  # what a point is: "percent" (a share, part/whole), "count" or "money"
    series: dict[str, list[Decimal | int | None]]  # None: no value that day (nothing to take a share of)
    counts: dict[str, list[str]]  # what each point was computed from, for the table under the chart

    @property
    def empty(self) -> bool:
        """A rate with no point on any day: every day lacks a base (a monthly one before a month of evaluated
        days). A count chart is always drawn, its zeros included."""
        return self.unit == "percent" and all(v is None for values in self.series.values() for v in values)


def _rate(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    return Decimal(part) / Decimal(whole) if whole else None


def _tally_cases(
    index: dict[dt.date, int], cases: list[dict[str, Any]]
) -> tuple[dict[str, list[int]], tuple[list[int], ...]]:
    """Per day: open cases by bucket, then the open cases of the day before, the cured, and the promises kept
    and broken."""
    n = len(index)
    open_by = {b: [0] * n for b in BUCKETS}
    open_before, cured, kept, broken = [0] * n, [0] * n, [0] * n, [0] * n
    for r in cases:
        i = index[r["as_of"]]
        if r["bucket"] in open_by:
            open_by[r["bucket"]][i] += r["cases"]
        open_before[i] += r["from_cases"]
        cured[i] += r["cured"]
        kept[i] += r["kept"]
        broken[i] += r["broken"]
    return open_by, (open_before, cured, kept, broken)


def _by_from_bucket(
    index: dict[dt.date, int], rows: list[dict[str, Any]], column: str, zero: int | Decimal
) -> dict[str, list[Any]]:
    """Per day, ``column`` summed by the bucket the cases were in before (each bucket but the last)."""
    sums = {b: [zero] * len(index) for b in BUCKETS[:-1]}
    for r in rows:
        if r["from_bucket"] in sums:
            sums[r["from_bucket"]][index[r["as_of"]]] += r[column]
    return sums


def _recovered_chart(index: dict[dt.date, int], recovered: list[dict[str, Any]]) -> Chart:
    """The money recovered per day, after a contact or by itself (the table shows it exact, to the cent)."""
    names = {True: N_("after a contact"), False: N_("self-cure")}
    sums = {name: [Decimal("0.00")] * len(index) for name in names.values()}
    for r in recovered:
        sums[names[r["after_contact"]]][index[r["as_of"]]] += r["amount"]
    return Chart(
        "recovered",
        N_("Recovered: repayments of cases open the day before, credited to the last contact within the window"),
        "money",
        {name: list(values) for name, values in sums.items()},
        {name: [money(v) for v in values] for name, values in sums.items()},
    )


REASON_ORDER = ("illness", "unemployment", "income_drop", "dispute", "forgot", "fraud", "other", "unknown")


def _counts_chart(key: str, title: str, counts: dict[str, list[int]]) -> Chart:
    """A chart of counts: each point is its own figure."""
    return Chart(
        key,
        title,
        "count",
        {k: list(v) for k, v in counts.items()},
        {k: [str(n) for n in v] for k, v in counts.items()},
    )


def _reasons_chart(index: dict[dt.date, int], rows: list[dict[str, Any]]) -> Chart:
    """Why customers are late: the open cases by the delinquency reason the customer gave (SPEC 2)."""
    names = sorted({r["reason"] for r in rows}, key=lambda s: (REASON_ORDER + (s,)).index(s))
    counts = {name: [0] * len(index) for name in names}
    for r in rows:
        counts[r["reason"]][index[r["as_of"]]] += r["cases"]
    title = N_("Why customers are late: open and on-hold cases by the latest delinquency reason learnt")
    return _counts_chart("reasons", title, counts)


def _rolls_chart(key: str, title: str, from_by: dict[str, list[Any]], rolled_by: dict[str, list[Any]]) -> Chart:
    """Roll (or flow) rates from each bucket but the last: the cases there (or their overdue amount), and the share
    of them one bucket up. The table shows both figures, counts as they are and amounts as money."""
    names = {b: f"{b}→{BUCKETS[k + 1]}" for k, b in enumerate(BUCKETS[:-1])}
    n = len(next(iter(from_by.values())))

    def figure(v: int | Decimal) -> str:
        return money(v) if isinstance(v, Decimal) else str(v)

    return Chart(
        key,
        title,
        "percent",
        {names[b]: [_rate(rolled_by[b][i], from_by[b][i]) for i in range(n)] for b in names},
        {names[b]: [f"{figure(rolled_by[b][i])}/{figure(from_by[b][i])}" for i in range(n)] for b in names},
    )


ROLLS_AND_FLOWS = {
    "rolls": N_("Roll rate: share of yesterday's cases in a bucket that moved one bucket up today"),
    "flows": N_("Flow rate: share of yesterday's overdue amount in a bucket whose case moved one bucket up today"),
    "monthly-rolls": N_(
        "Monthly roll rate: share of the cases in a bucket a month before that are one bucket up on the day"
    ),
    "monthly-flows": N_(
        "Monthly flow rate: share of the overdue amount in a bucket a month before whose case is one bucket up"
        " on the day"
    ),
}


def _rolls_and_flows(prefix: str, index: dict[dt.date, int], rows: list[dict[str, Any]]) -> list[Chart]:
    """The roll rate (by cases) and the flow rate (by the overdue amount they had before) of ``rows``: the day
    before's (``trend_cases.sql``) or the month before's (``trend_monthly_rolls.sql``)."""
    cases, rolled = (_by_from_bucket(index, rows, c, 0) for c in ("from_cases", "rolled"))
    amount, rolled_amount = (_by_from_bucket(index, rows, c, Decimal("0.00")) for c in ("from_amount", "rolled_amount"))
    return [
        _rolls_chart(f"{prefix}rolls", ROLLS_AND_FLOWS[f"{prefix}rolls"], cases, rolled),
        _rolls_chart(f"{prefix}flows", ROLLS_AND_FLOWS[f"{prefix}flows"], amount, rolled_amount),
    ]


def trend_charts(
    days: list[dt.date],
    cases: list[dict[str, Any]],
    actions: list[dict[str, Any]],
    recovered: list[dict[str, Any]] | None = None,
    monthly_rolls: list[dict[str, Any]] | None = None,
    reasons: list[dict[str, Any]] | None = None,
) -> list[Chart]:
    """The Trends page's charts from ``store.ui.trends``: buckets, daily and monthly roll and flow rates, cure
    rate, promises, actions, the money recovered, and why customers are late."""
    index = {d: i for i, d in enumerate(days)}
    n = len(days)
    open_by, (open_before, cured, kept, broken) = _tally_cases(index, cases)
    statuses = sorted({r["status"] for r in actions}, key=lambda s: (STATUS_ORDER + (s,)).index(s))
    by_status = {s: [0] * n for s in statuses}
    for r in actions:
        by_status[r["status"]][index[r["as_of"]]] += r["n"]
    return [
        _counts_chart("buckets", N_("Open and on-hold cases by bucket"), open_by),
        *_rolls_and_flows("", index, cases),
        *_rolls_and_flows("monthly-", index, monthly_rolls or []),
        Chart(
            "cure",
            N_("Cure rate: share of yesterday's open and on-hold cases cured today"),
            "percent",
            {N_("cured"): [_rate(cured[i], open_before[i]) for i in range(n)]},
            {N_("cured"): [f"{cured[i]}/{open_before[i]}" for i in range(n)]},
        ),
        Chart(
            "promises",
            N_("Promise-kept rate: promises decided today that were kept"),
            "percent",
            {N_("kept"): [_rate(kept[i], kept[i] + broken[i]) for i in range(n)]},
            {N_("kept"): [f"{kept[i]}/{kept[i] + broken[i]}" for i in range(n)]},
        ),
        _counts_chart("actions", N_("Contact results: actions by status (no dry runs)"), by_status),
        _recovered_chart(index, recovered or []),
        _reasons_chart(index, reasons or []),
    ]


def chart_figures(chart: Chart, days: list[dt.date], currency: str, say: Callable[[str], str]) -> dict[str, Any]:
    """What the browser draws of ``chart`` (``ui/web/charts.js``): its days, its unit (money with ``currency``) and
    each series under the name shown (``say``), its values as exact decimal text (None: no value) and the table's
    figure of each point."""
    return {
        "unit": chart.unit,
        "currency": currency if chart.unit == "money" else "",
        "days": [day.isoformat() for day in days],
        "series": [
            {
                "name": say(name),
                "values": [None if v is None else str(v) for v in values],
                "figures": chart.counts[name],
            }
            for name, values in chart.series.items()
        ],
    }


CENT = Decimal("0.01")


def _per(part: Decimal, whole: int | Decimal) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(CENT) if whole else None


def variant_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Champion and challengers side by side (SPEC 9): each variant's totals and what they come to per case,
    the cure rate, and the cost of a unit recovered (none where the policy prices no action or nothing came in)."""
    out = []
    for r in rows:
        cost = r["cost"]
        out.append(
            {
                **r,
                "cure_rate": _per(Decimal(100 * r["cured"]), r["cases"]),
                "contacts_per_case": _per(Decimal(r["contacts"]), r["cases"]),
                "recovered_per_case": _per(r["recovered"], r["cases"]),
                "cost_per_recovered": (
                    (cost / r["recovered"]).quantize(Decimal("0.0001")) if cost and r["recovered"] > 0 else None
                ),
            }
        )
    return out


BREAKDOWNS = {
    "stage": N_("by stage (the day before)"),
    "action": N_("by the contact credited"),
    "bucket": N_("by bucket"),
}
BREAKDOWNS |= {"variant": N_("by variant")}


def recovery_tables(
    rows: list[dict[str, Any]],
) -> tuple[Decimal, Decimal | None, list[tuple[str, str, list[dict[str, Any]]]]]:
    """The money recovered in all, the unattributed share in percent, and a table per breakdown, each key's
    payments, amount and share of the whole (SPEC 8)."""
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by[r["breakdown"]].append(r)
    total = sum((r["amount"] for r in by["action"]), Decimal("0.00"))
    self_cure = sum((r["amount"] for r in by["action"] if r["key"] == "self-cure"), Decimal("0.00"))
    tables = [
        (name, title, [{**r, "share": _per(100 * r["amount"], total)} for r in by[name]])
        for name, title in BREAKDOWNS.items()
    ]
    return total, _per(100 * self_cure, total), tables


SIMULATION_TABLES = {
    "cases_by_stage": N_("Open and on-hold cases by stage"),
    "actions_by_kind_status": N_("Actions by kind and status"),
    "suppressed_by_reason": N_("Actions suppressed, by the rule that stopped them"),
}


def simulation_tables(result: dict[str, Any]) -> list[dict[str, Any]]:
    """A simulation's two sides day by day (SPEC 10): for each figure, a table of days whose cells are
    (column, baseline, candidate), with the totals; then the days' rule violations and busiest customer."""
    base = {d["as_of"]: d for d in result["baseline"]["days"]}
    cand = {d["as_of"]: d for d in result["candidate"]["days"]}
    days = sorted(base.keys() | cand.keys())
    empty: dict[str, Any] = {k: {} for k in SIMULATION_TABLES} | {"rule_violations": 0}
    empty["contacts_max_per_customer_day"] = 0
    tables = []
    for key, title in SIMULATION_TABLES.items():
        cols = sorted({c for d in (*base.values(), *cand.values()) for c in d[key]})
        rows = [
            {
                "as_of": day,
                "cells": [(c, base.get(day, empty)[key].get(c, 0), cand.get(day, empty)[key].get(c, 0)) for c in cols],
            }
            for day in days
        ]
        totals = [
            (c, result["baseline"]["totals"][key].get(c, 0), result["candidate"]["totals"][key].get(c, 0)) for c in cols
        ]
        tables.append({"key": key, "title": title, "cols": cols, "rows": rows, "totals": totals})
    cols = ["rule_violations", "sms_stopped_at_send", "contacts_max_per_customer_day"]
    rows = [
        {"as_of": day, "cells": [(c, base.get(day, empty).get(c, 0), cand.get(day, empty).get(c, 0)) for c in cols]}
        for day in days
    ]
    totals = [(c, result["baseline"]["totals"].get(c, 0), result["candidate"]["totals"].get(c, 0)) for c in cols]
    tables.append({"key": "rules", "title": N_("Contact rules"), "cols": cols, "rows": rows, "totals": totals})
    return tables


_PHONE_LIKE = re.compile(r"^\+?[0-9 ()-]+$")
_LETTER = re.compile(r"[^\W\d_]")


def _like_literal(text: str) -> str:
    """``text`` matched literally by LIKE (its wildcards escaped)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_terms(q: str) -> dict[str, str | None]:
    """How a search term is looked up, as people type it: the start of an account or customer id in any case
    (2 characters at least), a phone number's digits (4 at least: local or E.164 form, or its last digits),
    a part of a name (2 characters at least, one a letter). A way that does not apply is None."""
    term = q.strip()
    digits = re.sub(r"[^0-9]", "", term)
    return {
        "id_prefix": _like_literal(term.upper()) if len(term) >= 2 else None,
        "digits_reversed": digits[::-1] if _PHONE_LIKE.match(term) and len(digits) >= 4 else None,
        "name": _like_literal(term) if len(term) >= 2 and _LETTER.search(term) else None,
    }


LIST_COLUMNS: tuple[str, ...] = ("account_id", "case_id", "stage", "dpd", "bucket", "overdue_amount", "status")
LIST_COLUMNS += ("hold_reason", "suppress_reason", "kind", "reason", "channel", "assignee", "template", "variant")


def csv_text(rows: list[dict[str, Any]]) -> str:
    """A list as CSV: the columns of ``LIST_COLUMNS`` it has, money as written (never a float)."""
    import csv
    import io

    columns = [c for c in LIST_COLUMNS if rows and c in rows[0]] or ["account_id"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow(["" if r[c] is None else str(r[c]) for c in columns])
    return out.getvalue()


def deployed_policies(folder: Path) -> list[Policy]:
    """The policies in ``folder`` that load; one that does not is left out (the DAG processor and
    ``collections lint`` report it)."""
    from debt_collections.errors import ConfigError
    from debt_collections.policy.lint import policy_files
    from debt_collections.policy.loader import load_policy

    loaded = []
    for path in policy_files(folder):
        try:
            loaded.append(load_policy(path))
        except ConfigError:
            continue
    return loaded


def deployed_approval_policies(folder: Path) -> list[Policy]:
    """The deployed policies with rungs that require approval (SPEC 11)."""
    return [p for p in deployed_policies(folder) if p.approval_rungs]


def deployed_rosters(folder: Path) -> list[tuple[str, str, str, int]]:
    """The roster entries (kind, region, assignee, daily capacity) of the policies in ``folder``, each
    (kind, assignee) once when policies share a roster."""
    entries: dict[tuple[str, str], tuple[str, str, str, int]] = {}
    for policy in deployed_policies(folder):
        roster = policy.roster
        for e in roster.assignees if roster else ():
            entries.setdefault((e.kind, e.assignee), (e.kind, e.region, e.assignee, e.daily_capacity))
    return sorted(entries.values())


def why(policy: Policy, case: dict[str, Any]) -> dict[str, Any]:
    """The why of an account page (#13): for the case's latest evaluated day, each rung's entry checked
    against the case's facts, the contact rules and promises in force, today's actions with what stopped or
    deferred them, and what comes next, read with the policy (and variant) that evaluated it."""
    from debt_collections.domain.explain import Facts, case_rules, next_steps, rungs_reached

    side = dict((name, s) for name, _, s in policy.variant_policies()).get(case["variant"], policy)
    facts = Facts.of_case(case)
    return {
        "case": case,
        "policy": policy.dag_id,
        "rungs": rungs_reached(side, facts, case["previous_stage"]),
        "rules": case_rules(case),
        "next": next_steps(side, facts, case["stage"], case["stage_since"], case["as_of"])
        if case["status"] == "open"
        else [],
    }


def display_zone(policies: list[Policy]) -> str:
    """The timezone the pages show operational times in (decisions, simulations): the policies' when they
    share one (every shipped policy is in Asia/Shanghai), else UTC. The zone is always shown beside the time."""
    zones = {p.timezone for p in policies}
    return zones.pop() if len(zones) == 1 else "UTC"


def local_time(value: dt.datetime | None, timezone: str) -> str:
    """An instant as ``YYYY-MM-DD HH:MM <zone>`` in ``timezone`` (the zone named, so nobody reads UTC as local)."""
    if value is None:
        return ""
    return f"{value.astimezone(_zone(timezone)):%Y-%m-%d %H:%M} {timezone}"


def money(value: Any) -> str:
    """An amount as people read it: thousands separated, two decimals (from text or Decimal, never a float)."""
    return f"{Decimal(str(value)).quantize(Decimal('0.01')):,}"


# -- Airflow's dashboard widget: each portfolio's latest day in a few numbers -----------------------------
# (key, label, what a number opens: a narrowing of the list of the day's accounts, or another page)
HEADLINE = (
    ("open_cases", N_("open cases"), "&case_status=active"),
    ("legal", N_("in legal"), "&case_status=active&stage=legal"),
    ("planned", N_("planned"), "&status=planned"),
    ("sent", N_("sent"), "&status=sent"),
    ("delivered", N_("delivered"), "&status=delivered"),
    ("failed", N_("failed"), "&status=failed"),
    ("quarantined", N_("quarantined"), None),  # no list of rows: Today's table of them by reason
    ("recovered", N_("recovered"), None),  # money: the Recoveries page
)


def _headline_cells(r: dict[str, Any]) -> dict[str, dict[str, str]]:
    """One portfolio's numbers, each with the address (relative to the Collections app) of what it opens."""
    query = urllib.parse.urlencode({"as_of": r["as_of"], "portfolio": r["portfolio"]})
    cells = {}
    for key, _label, narrowing in HEADLINE:
        if key == "recovered":
            text = f"{money(r['recovered'])} {r['currency'] or ''}".strip()
            href = "recoveries?" + urllib.parse.urlencode({"portfolio": r["portfolio"]})
        elif narrowing is None:
            text, href = str(r[key]), f"today?{query}#portfolio-{r['portfolio']}"
        else:
            text, href = str(r[key]), f"list?{query}{narrowing}"
        cells[key] = {"text": text, "href": href}
    return cells


def headline_view(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The widget's rows (a portfolio each, with its DAG and day; ``behind``: its latest day is older than the
    book's) and the whole book's sums; money summed per currency."""
    latest = max((r["as_of"] for r in rows), default=None)
    shown = [
        {
            "portfolio": r["portfolio"],
            "dag_id": r["dag_id"],
            "as_of": r["as_of"].isoformat(),
            "dry_run": r["dry_run"],
            "behind": r["as_of"] < latest,
            "href": "today?" + urllib.parse.urlencode({"as_of": r["as_of"], "portfolio": r["portfolio"]}),
            "cells": _headline_cells(r),
        }
        for r in rows
    ]
    money_by: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        money_by[r["currency"] or ""] += Decimal(str(r["recovered"]))
    day = f"today?as_of={latest}" if latest else "today"
    counts = [key for key, *_ in HEADLINE if key != "recovered"]
    total = {key: {"text": str(sum(int(r[key]) for r in rows)), "href": day} for key in counts}
    total["recovered"] = {
        "text": " / ".join(f"{money(v)} {c}".strip() for c, v in sorted(money_by.items())) or money(0),
        "href": "recoveries",
    }
    return {"latest": latest.isoformat() if latest else None, "rows": shown, "total": total}


def daily_dag_ids(folder: Path) -> set[str]:
    """The DAGs of the policies in ``folder``: each runs the day of its portfolios (its outbox, approvals and
    the simulations do not)."""
    return {p.dag_id for p in deployed_policies(folder)}
