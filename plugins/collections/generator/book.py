"""A synthetic auto-finance book written as feed drops (SPEC section 2), streaming.

Deterministic for a seed. Each account is generated on its own from its own
random stream and its rows go straight to the files of the days they belong
to, so a book of any size never sits in memory.

Behaviour mix (per account): most pay on time; some pay late every month; some
stop paying (rolling 1, 30, 60, 90+ days behind); some pay part of each
installment; some bounced auto-debits are reversed the next day; some overdue
accounts raise disputes, promise to pay, agree a payment plan or ask for no
more contact.
"""

from __future__ import annotations

import csv
import functools
import random
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import IO, Any

import pendulum

from debt_collections.feeds.entities import ENTITIES

PORTFOLIOS = (
    ("AUTO-EAST", "east"),
    ("AUTO-NORTH", "north"),
    ("AUTO-SOUTH", "south"),
    ("LEASE-WEST", "west"),
    ("SUB-CENTRAL", "central"),
    ("OPL-METRO", "metro"),
)
CITIES = {
    "east": "上海市",
    "north": "北京市",
    "south": "广州市",
    "west": "成都市",
    "central": "武汉市",
    "metro": "深圳市",
}
TIMEZONES = (("Asia/Shanghai", 0.9), ("Asia/Urumqi", 0.07), ("Asia/Hong_Kong", 0.03))
CENT = Decimal("0.01")


@dataclass(frozen=True)
class BookSpec:
    """What to generate."""

    accounts: int
    start: pendulum.Date  # first drop: everything up to and including this day
    end: pendulum.Date  # last drop
    seed: int = 42
    installments: int = 36


class _Drops:
    """One csv writer per (day, entity), opened lazily."""

    def __init__(self, out: Path, spec: BookSpec, stack: ExitStack):
        self.out, self.spec, self.stack = out, spec, stack
        self.writers: dict[tuple[str, str], Any] = {}  # csv writers (the type is private to _csv)
        self.counts: dict[str, int] = {e.name: 0 for e in ENTITIES}
        day = spec.start
        while day <= spec.end:
            for entity in ENTITIES:
                self._writer(day.to_date_string(), entity.name)
            day = day.add(days=1)

    def _writer(self, day: str, entity: str) -> Any:
        key = (day, entity)
        if key not in self.writers:
            folder = self.out / day
            folder.mkdir(parents=True, exist_ok=True)
            fh: IO[str] = self.stack.enter_context((folder / f"{entity}.csv").open("w", newline="", encoding="utf-8"))
            writer = csv.writer(fh)
            writer.writerow(next(e.fields for e in ENTITIES if e.name == entity))
            self.writers[key] = writer
        return self.writers[key]

    def write(self, day: date, entity: str, row: tuple[Any, ...]) -> None:
        """Put a row in the drop of ``day`` (rows before the first day go to the first drop)."""
        if day > self.spec.end:
            return
        day = max(day, self.spec.start)
        self.writers[(day.isoformat(), entity)].writerow(row)
        self.counts[entity] += 1


def generate_book(out: str | Path, spec: BookSpec) -> dict[str, int]:
    """Write the drops for ``spec.start``..``spec.end`` under ``out``; row counts per entity."""
    out = Path(out)
    with ExitStack() as stack:
        drops = _Drops(out, spec, stack)
        for index in range(spec.accounts):
            _account(drops, spec, index)
        return dict(drops.counts)


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


@functools.cache
def _offset(tz: str, day: date) -> str:
    """The UTC offset of ``tz`` on ``day`` as +HH:MM (computed once per zone and day)."""
    return pendulum.datetime(day.year, day.month, day.day, 12, tz=tz).format("Z")


def _local(day: date, tz: str, hour: int, minute: int = 0) -> str:
    """ISO 8601 local time with its offset, e.g. 2026-11-05T10:55:00+08:00."""
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:00{_offset(tz, day)}"


def _add_months(day: date, months: int) -> date:
    """``day`` moved by whole months (the day of month is at most 28 here)."""
    total = day.month - 1 + months
    return date(day.year + total // 12, total % 12 + 1, day.day)


@dataclass(frozen=True)
class _Facts:
    """What the repayments and events of one account need to know about it."""

    index: int
    account_id: str
    tz: str
    amount: Decimal
    dues: list[date]
    kind: str
    stop_at: int | None


def _account(drops: _Drops, spec: BookSpec, index: int) -> None:
    """Write every row of account ``index``, drawing from its own random stream."""
    rng = random.Random(f"{spec.seed}:{index}")
    customer_id, tz = _customer(drops, spec, rng, index)
    facts = _open(drops, spec, rng, index, customer_id, tz)
    _repayments(drops, spec, rng, facts)
    _events(drops, spec, rng, facts)


def _customer(drops: _Drops, spec: BookSpec, rng: random.Random, index: int) -> tuple[str, str]:
    """Draw the customer's time zone and write the customer row; (customer id, time zone)."""
    region = PORTFOLIOS[index % len(PORTFOLIOS)][1]
    # about one customer in twenty has a second account (shares the customer)
    shared = index % 20 == 1
    customer_id = f"CU{index - 1 if shared else index:08d}"
    tz = rng.choices([t for t, _ in TIMEZONES], [w for _, w in TIMEZONES])[0]
    if not shared:
        phone = f"+86139{rng.randrange(10**8):08d}" if rng.random() < 0.92 else ""
        language = "en" if rng.random() < 0.1 else "zh-CN"
        address = f"{CITIES[region]}示例路{index % 800 + 1}号"  # no draw: the book stays the same for a seed
        drops.write(
            spec.start, "customers", (customer_id, f"Customer {index:08d}", phone, region, tz, language, address)
        )
    return customer_id, tz


def _kind(profile: float) -> str:
    """The payment behaviour for a draw in [0, 1)."""
    # about 8% of accounts are behind on a given day
    if profile < 0.905:
        return "on_time"
    if profile < 0.945:
        return "late"
    if profile < 0.975:
        return "stops"
    if profile < 0.99:
        return "partial"
    return "defaulted"


def _behaviour(rng: random.Random, paid_count: int) -> tuple[str, int | None, str]:
    """Draw how the account pays; (kind, first installment it stops paying in full, status)."""
    kind = _kind(rng.random())
    status = "active"
    stop_at = rng.randint(max(1, paid_count - 4), max(1, paid_count)) if kind in ("stops", "partial") else None
    if kind == "defaulted":
        stop_at = max(1, paid_count - rng.randint(7, 12))
        if rng.random() < 0.3:
            status = "written_off"
    return kind, stop_at, status


def _open(drops: _Drops, spec: BookSpec, rng: random.Random, index: int, customer_id: str, tz: str) -> _Facts:
    """Draw the loan's terms and behaviour and write the account and installment rows."""
    portfolio = PORTFOLIOS[index % len(PORTFOLIOS)][0]
    account_id = f"AC{index:08d}"
    months_open = rng.randint(2, spec.installments - 1)
    start = date(spec.start.year, spec.start.month, spec.start.day)
    opened = _add_months(start.replace(day=rng.randint(1, 28)), -months_open)
    principal = Decimal(rng.randrange(60_000, 300_000, 1000))
    amount = (principal * Decimal("1.12") / spec.installments).quantize(CENT)
    product = "lease" if portfolio.startswith(("LEASE", "OPL")) else rng.choice(("loan", "loan", "finance_lease"))
    vin = f"LVS{rng.randrange(10**14):014d}"
    dues = [_add_months(opened, k) for k in range(1, spec.installments + 1)]
    paid_count = sum(1 for due in dues if due <= spec.start)
    outstanding = amount * (spec.installments - paid_count)
    kind, stop_at, status = _behaviour(rng, paid_count)

    # the lender's risk grade, worse for the accounts that will fall behind
    grade = {"on_time": "AB"[index % 2], "late": "C", "stops": "D", "partial": "D", "defaulted": "E"}[kind]
    drops.write(
        spec.start,
        "accounts",
        (
            account_id,
            customer_id,
            portfolio,
            product,
            vin,
            "CNY",
            _money(outstanding),
            opened.isoformat(),
            status,
            grade,
        ),
    )
    for seq, due in enumerate(dues, start=1):
        drops.write(spec.start, "installments", (account_id, seq, due.isoformat(), _money(amount)))
    return _Facts(index, account_id, tz, amount, dues, kind, stop_at)


def _payment(rng: random.Random, facts: _Facts, seq: int, due: date) -> tuple[date, Decimal] | None:
    """When and what share of installment ``seq`` is paid; None when it is not paid."""
    pay_day, part = due - timedelta(days=rng.randint(0, 2)), Decimal(1)
    stopped = facts.stop_at is not None and seq >= facts.stop_at
    if facts.kind == "late":
        pay_day = due + timedelta(days=rng.randint(3, 20))
    elif facts.kind in ("stops", "defaulted") and stopped:
        return None
    elif facts.kind == "partial" and stopped:
        part = Decimal(rng.randint(40, 80)) / 100
    return pay_day, part


def _repayments(drops: _Drops, spec: BookSpec, rng: random.Random, facts: _Facts) -> None:
    """Write the repayments, installment by installment."""
    for seq, due in enumerate(facts.dues, start=1):
        if due - timedelta(days=2) > spec.end:  # paid at the earliest two days before it falls due
            break
        payment = _payment(rng, facts, seq, due)
        if payment is None or payment[0] > spec.end:
            continue
        pay_day, part = payment
        payment_id = f"PY{facts.index:08d}{seq:03d}"
        value = (facts.amount * part).quantize(CENT)
        drops.write(
            pay_day,
            "repayments",
            (
                payment_id,
                facts.account_id,
                _local(pay_day, facts.tz, rng.randint(8, 20), rng.randint(0, 59)),
                _money(value),
                "",
                rng.choice(("auto_debit", "bank_transfer", "app")),
            ),
        )
        _bounce(drops, rng, facts, payment_id, pay_day, value)


def _bounce(drops: _Drops, rng: random.Random, facts: _Facts, payment_id: str, pay_day: date, value: Decimal) -> None:
    """Maybe bounce the auto-debit ``payment_id``: its reversal and, often, the payment made again."""
    # about 1% of auto-debits bounce: reversed the next day, paid again two days later
    if rng.random() >= 0.01:
        return
    drops.write(
        pay_day + timedelta(days=1),
        "repayments",
        (
            f"{payment_id}R",
            facts.account_id,
            _local(pay_day + timedelta(days=1), facts.tz, 9),
            _money(-value),
            payment_id,
            "auto_debit",
        ),
    )
    if rng.random() < 0.6:
        drops.write(
            pay_day + timedelta(days=3),
            "repayments",
            (
                f"{payment_id}B",
                facts.account_id,
                _local(pay_day + timedelta(days=3), facts.tz, 11),
                _money(value),
                "",
                "bank_transfer",
            ),
        )


# What the call centre learns of the customers who are behind (SPEC 2's codes), with how often
REASONS = {"income_drop": 30, "unemployment": 20, "forgot": 20, "illness": 15, "other": 8, "dispute": 5, "fraud": 2}
OUTCOMES = {"right_party": 60, "no_answer": 25, "refused": 8, "wrong_number": 5, "third_party": 2}


def _learnt(drops: _Drops, spec: BookSpec, facts: _Facts) -> None:
    """What the dialer learnt of a customer who is behind: why they are late (about half of them), and how
    the last call went (about a quarter). A random stream of its own, so the rest of the book is unchanged."""
    rng = random.Random(f"{spec.seed}:learnt:{facts.index}")
    window = max((spec.end - spec.start).days, 0)
    start = date(spec.start.year, spec.start.month, spec.start.day)
    for kind, share, codes, hour in (("delinquency_reason", 0.5, REASONS, 17), ("contact_outcome", 0.25, OUTCOMES, 18)):
        if rng.random() >= share:
            continue
        day = start + timedelta(days=rng.randint(0, window))
        code = rng.choices(list(codes), weights=list(codes.values()))[0]
        row = (f"EV{facts.index:08d}{kind[0].upper()}", facts.account_id, _local(day, facts.tz, hour), kind, "", "")
        drops.write(day, "events", (*row, code, "dialer"))


def _events(drops: _Drops, spec: BookSpec, rng: random.Random, facts: _Facts) -> None:
    """Write the events for accounts that are behind, inside the generated window."""
    if facts.kind not in ("stops", "partial", "late", "defaulted"):
        return
    _learnt(drops, spec, facts)
    window = (spec.end - spec.start).days
    start = date(spec.start.year, spec.start.month, spec.start.day)
    at_day = start + timedelta(days=rng.randint(0, max(window, 0)))
    roll = rng.random()
    event_id, account_id, tz, amount = f"EV{facts.index:08d}", facts.account_id, facts.tz, facts.amount
    if roll < 0.12:
        until = at_day + timedelta(days=rng.randint(3, 10))
        _event(
            drops,
            at_day,
            (event_id, account_id, _local(at_day, tz, 15), "promise_to_pay", _money(amount), until.isoformat()),
        )
    elif roll < 0.16:
        _event(drops, at_day, (event_id, account_id, _local(at_day, tz, 14), "dispute", "", ""))
        _resolve(drops, spec, rng, facts, event_id, at_day)
    elif roll < 0.19:
        until = at_day + timedelta(days=180)
        _event(
            drops,
            at_day,
            (event_id, account_id, _local(at_day, tz, 16), "payment_plan", _money(amount / 2), until.isoformat()),
        )
    elif roll < 0.205:
        _event(drops, at_day, (event_id, account_id, _local(at_day, tz, 11), "cease_contact", "", ""))
    elif roll < 0.21:
        _event(drops, at_day, (event_id, account_id, _local(at_day, tz, 12), "bankruptcy", "", ""))


def _event(drops: _Drops, day: date, row: tuple[str, ...]) -> None:
    """One events row of the feed's own (no reason code, no source)."""
    drops.write(day, "events", (*row, "", ""))


def _resolve(drops: _Drops, spec: BookSpec, rng: random.Random, facts: _Facts, event_id: str, at_day: date) -> None:
    """Maybe resolve the dispute ``event_id`` five days after it was raised (if that is in the window)."""
    if rng.random() < 0.5 and at_day + timedelta(days=5) <= spec.end:
        _event(
            drops,
            at_day + timedelta(days=5),
            (
                f"{event_id}X",
                facts.account_id,
                _local(at_day + timedelta(days=5), facts.tz, 10),
                "dispute_resolved",
                "",
                "",
            ),
        )
