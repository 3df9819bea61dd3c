"""The plain, validated form of an escalation policy: no YAML, no Airflow, no I/O."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from typing import Any

from debt_collections.domain.arrears import BUCKETS

PORTFOLIO_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Rung:
    """One rung of the ladder: when a case enters it and what it does each day there.

    A rung with ``days_before_due`` is a pre-due reminder instead: it acts on
    accounts that are not overdue, ``days_before_due`` days before an unpaid
    installment falls due, and no case ever sits on it.
    """

    stage: str
    action: str
    dpd_at_least: int
    overdue_amount_at_least: Decimal | None = None
    products: tuple[str, ...] | None = None  # None: every product
    bucket_at_least: str | None = None
    risk_grades: tuple[str, ...] | None = None  # None: any grade, including none
    broken_promises_at_least: int | None = None  # broken promises to pay in this overdue episode
    days_before_due: int | None = None
    repeat_every_days: int | None = None  # None: once per case
    sticky: bool = False
    channel: str = ""
    template: str = ""
    assignee: str = ""


@dataclass(frozen=True)
class ContactRules:
    """Compliance limits on contacting customers (SPEC section 5)."""

    window_start: time = time(8, 0)
    window_end: time = time(21, 0)
    max_sms_per_customer_per_day: int = 1
    max_connected_calls_per_debtor_per_day: int = 3
    max_dial_attempts_per_number_per_day: int = 6
    max_call_attempts_per_account_per_7_days: int = 7
    no_call_days_after_conversation: int = 0  # 0: no such rule
    preset: str = "cn"

    @property
    def call_attempts_per_entry(self) -> int:
        """Dial attempts the dialer may make on one account's call-queue entry of a day.

        An even share of the 7-day allowance (at least one, at most the per-number
        daily cap), so that a call-queue entry every day keeps the account within
        ``max_call_attempts_per_account_per_7_days`` whatever the dialer does.
        """
        return max(
            1, min(self.max_dial_attempts_per_number_per_day, self.max_call_attempts_per_account_per_7_days // 7)
        )


@dataclass(frozen=True)
class DataQuality:
    """Gates that stop a suspicious drop before anything is loaded, unless an operator confirms it.

    They apply to books of at least ``min_book_accounts`` accounts: on a tiny
    book an empty day, a repeated snapshot or a large relative shift is normal.
    """

    min_book_accounts: int = 1000
    refuse_empty: bool = True
    refuse_repeated: bool = True
    max_balance_shift: Decimal | None = Decimal("0.20")


@dataclass(frozen=True)
class Policy:
    """A whole escalation workflow: one DAG."""

    dag_id: str
    description: str
    schedule: str
    timezone: str
    portfolios: tuple[str, ...]
    ladder: tuple[Rung, ...]
    reminders: tuple[Rung, ...] = ()
    exclude_portfolios: tuple[str, ...] = ()
    contact: ContactRules = field(default_factory=ContactRules)
    tolerance: Decimal = Decimal("1.00")
    max_reject_ratio: Decimal = Decimal("0.01")
    data_quality: DataQuality = field(default_factory=DataQuality)
    feed_source: str = "auto"
    db_conn_id: str = "collections_db"
    feed_conn_id: str = "collections_feed"
    partner_conn_ids: dict[str, str] = field(default_factory=dict)  # channel -> HTTP connection id
    owner: str = "collections"
    retries: int = 2
    alert_conn_id: str = "collections_alerts"
    deadline: time | None = time(7, 30)  # local time by which yesterday must be reported
    portfolio_choices: tuple[str, ...] = ()
    source_path: str = ""
    source_text: str = ""

    @property
    def steps(self) -> tuple[Rung, ...]:
        """Everything a run can act on: the pre-due reminders, then the ladder's rungs."""
        return self.reminders + self.ladder

    @property
    def stages(self) -> tuple[str, ...]:
        return tuple(r.stage for r in self.steps)

    def rung(self, stage: str) -> Rung:
        return next(r for r in self.steps if r.stage == stage)

    def covers(self, portfolio: str) -> bool:
        """Whether the policy's portfolio names or patterns include ``portfolio`` (and do not exclude it)."""
        return any(fnmatch.fnmatchcase(portfolio, p) for p in self.portfolios) and not any(
            fnmatch.fnmatchcase(portfolio, p) for p in self.exclude_portfolios
        )

    def delivery_channels(self) -> list[str]:
        """The channels the ladder's actions go out on (a notice's sms_or_letter is both)."""
        channels: list[str] = []
        for r in self.steps:
            for c in ("sms", "letter") if r.channel == "sms_or_letter" else (r.channel,):
                if c not in channels:
                    channels.append(c)
        return channels

    def ladder_params(self) -> dict[str, list[Any]]:
        """The ladder as parallel arrays, the shape the evaluation SQL binds."""
        return {
            "rung_names": [r.stage for r in self.ladder],
            "rung_min_dpd": [r.dpd_at_least for r in self.ladder],
            "rung_min_overdue": [r.overdue_amount_at_least for r in self.ladder],
            "rung_sticky": [r.sticky for r in self.ladder],
            "rung_every_days": [r.repeat_every_days or 0 for r in self.ladder],
            "rung_actions": [r.action for r in self.ladder],
            "rung_products": [",".join(r.products) if r.products else None for r in self.ladder],
            "rung_min_bucket": [BUCKETS.index(r.bucket_at_least) if r.bucket_at_least else 0 for r in self.ladder],
            "rung_risk_grades": [",".join(r.risk_grades) if r.risk_grades else None for r in self.ladder],
            "rung_min_broken": [r.broken_promises_at_least or 0 for r in self.ladder],
        }
