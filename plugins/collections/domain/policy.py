"""An escalation policy: the one validated model the whole product reads (no YAML, no Airflow, no I/O).

The policy file's schema, its defaults (the contact presets included) and what the rest of the code
reads are this module's models, nothing else: ``policy/loader.py`` turns YAML into them and names the
file and line of any error; ``dags/policies/policy.schema.json`` is generated from them
(``collections policy schema``). A new policy key is a field here, its use, its line in
``dags/policies/README.md`` and its test.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from datetime import date, time
from decimal import Decimal
from typing import Annotated, Any, Literal

import pendulum
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from debt_collections.domain.arrears import BUCKETS

PORTFOLIO_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_DAG_ID = r"^[a-z][a-z0-9_]{0,99}$"
_HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
_PORTFOLIO_PATTERN = re.compile(r"^[A-Za-z0-9_.*?-]{1,64}$")
_STAGE = r"^[a-z][a-z0-9_]{0,30}$"
_TEMPLATE = r"^[a-z0-9_.{}-]+$"
_CONN_ID = r"^[a-z0-9_]+$"
# the steps of the day other than the rungs: each rung's task is named after its stage, so no stage takes these
DAY_STEPS = ("prepare", "load_feed", "evaluate", "choose_stages", "report")

BUCKET_MIN_DPD = {b: 0 if i == 0 else 30 * (i - 1) + 1 for i, b in enumerate(BUCKETS)}  # M2 -> 31

Money = Annotated[Decimal, Field(ge=0, max_digits=17, decimal_places=2)]


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``: mappings merge key by key, anything else is replaced."""
    out = dict(base)
    for key, value in over.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Enter(_Strict):
    """Entry condition of a rung."""

    dpd_at_least: int | None = Field(default=None, ge=1, le=3650)
    overdue_amount_at_least: Money | None = None
    products: list[Literal["loan", "lease", "finance_lease"]] | None = Field(default=None, min_length=1)
    bucket_at_least: Literal[BUCKETS[1:]] | None = None  # type: ignore[valid-type]  # a Literal of the BUCKETS tuple (M1 ... M7+): mypy wants literals written out
    risk_grades: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9+-]{1,8}$")]] | None = Field(default=None, min_length=1)
    broken_promises_at_least: int | None = Field(default=None, ge=1, le=100)

    @model_validator(mode="after")
    def _has_a_threshold(self) -> Enter:
        if self.dpd_at_least is None and self.bucket_at_least is None:
            raise ValueError("set dpd_at_least (an integer >= 1) or bucket_at_least (M1 ... M7+)")
        return self

    @property
    def min_dpd(self) -> int:
        """The lowest dpd at which the rung can be entered."""
        from_bucket = BUCKET_MIN_DPD[self.bucket_at_least] if self.bucket_at_least else 1
        return max(self.dpd_at_least or 1, from_bucket)


class Approval(_Strict):
    """A rung whose actions cannot be taken back waits for a person's decision (SPEC 11)."""

    required: bool = True
    # how long the day's request waits for a decision; undecided actions stay awaiting_approval
    # and are asked about again by the next day's request
    timeout_hours: int = Field(default=24, ge=1, le=24 * 14)
    # Airflow user ids who may decide (empty: anyone the auth manager lets decide on the DAG)
    approvers: list[Annotated[str, Field(min_length=1, max_length=100)]] = []


class Rung(_Strict):
    """One rung of the ladder: when a case enters it and what it does each day there."""

    stage: str = Field(pattern=_STAGE)
    action: str = Field(description="a stage kind: notice, call, visit, legal, or one registered by a plugin")
    enter: Enter
    repeat_every_days: int | None = Field(default=None, ge=1, le=365)
    once_per_case: bool = False
    sticky: bool = False
    channel: str = Field(pattern=r"^[a-z_]+$")
    template: str = Field(min_length=1, max_length=100, pattern=_TEMPLATE)
    assignee: str = Field(default="", max_length=100, pattern=r"^[A-Za-z0-9_.:{}-]*$")
    approval: Approval | None = None

    @property
    def needs_approval(self) -> bool:
        return self.approval is not None and self.approval.required

    @field_validator("action")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        from debt_collections.stages import registry

        kinds = {name: kind for name, kind in registry().items() if not kind.pre_due}
        if value not in kinds:
            raise ValueError(f"unknown stage kind {value!r}; known: {', '.join(kinds)}")
        return value

    @model_validator(mode="after")
    def _channel_of_kind(self) -> Rung:
        from debt_collections.stages import registry

        channels = registry()[self.action].channels
        if self.channel not in channels:
            raise ValueError(f"channel {self.channel!r} is not one of {self.action}'s: {', '.join(channels)}")
        return self

    @model_validator(mode="after")
    def _repeat_or_once(self) -> Rung:
        if (self.repeat_every_days is None) == (not self.once_per_case):
            raise ValueError("set exactly one of repeat_every_days (a number of days) or once_per_case: true")
        return self

    @property
    def min_dpd(self) -> int:
        return self.enter.min_dpd

    @property
    def days_before_due(self) -> None:
        """Rungs act on overdue cases; only a ``Reminder`` acts before the due date."""
        return None


class Reminder(_Strict):
    """A courtesy reminder before an installment falls due (accounts not overdue; no case ever sits on it)."""

    stage: str = Field(pattern=_STAGE)
    days_before_due: int = Field(ge=1, le=30)
    channel: Literal["sms_or_letter", "sms", "letter"] = "sms_or_letter"
    template: str = Field(min_length=1, max_length=100, pattern=_TEMPLATE)

    # what a run reads of every step, rung or reminder
    @property
    def action(self) -> str:
        return "reminder"

    @property
    def sticky(self) -> bool:
        return False

    @property
    def assignee(self) -> str:
        return ""

    @property
    def needs_approval(self) -> bool:
        return False

    @property
    def repeat_every_days(self) -> None:
        return None

    @property
    def min_dpd(self) -> int:
        return 0


Step = Rung | Reminder


class Window(_Strict):
    """The hours of the customer's local day in which contact is allowed."""

    start: str = Field(default="08:00", pattern=_HHMM)
    end: str = Field(default="21:00", pattern=_HHMM)


# Jurisdiction presets of the contact rules: what each changes from the defaults of ``ContactRules``
# (SPEC section 5, the product's rules: mainland China practice). A policy's own keys override its
# preset's. Sources are in docs/CONTACT-RULES.md.
PRESETS: dict[str, dict[str, Any]] = {
    "cn": {},
    # US Regulation F (12 CFR 1006.6(b)(1)(i) and 1006.14(b)(2)): a conversation stops the day's calls
    # (one connected call per debtor per day) and the next seven days'
    "us": {"max_connected_calls_per_debtor_per_day": 1, "no_call_days_after_conversation": 7},
}


class ContactRules(_Strict):
    """Compliance limits on contacting customers (SPEC section 5); the defaults are the ``cn`` preset."""

    preset: Literal["cn", "us"] = "cn"
    window: Window = Window()
    max_sms_per_customer_per_day: int = Field(default=1, ge=0, le=10)
    max_connected_calls_per_debtor_per_day: int = Field(default=3, ge=0, le=10)
    max_dial_attempts_per_number_per_day: int = Field(default=6, ge=0, le=20)
    max_call_attempts_per_account_per_7_days: int = Field(default=7, ge=0, le=50)
    no_call_days_after_conversation: int = Field(default=0, ge=0, le=30)  # 0: no such rule

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        """The preset's numbers first, then whatever the policy sets itself."""
        preset = data.get("preset", "cn") if isinstance(data, dict) else None
        if isinstance(preset, str) and preset in PRESETS:
            return merge(PRESETS[preset], data)
        return data

    @property
    def window_start(self) -> time:
        return _hhmm(self.window.start)

    @property
    def window_end(self) -> time:
        return _hhmm(self.window.end)

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


class Partners(BaseModel):
    """Airflow HTTP connection of each delivery channel; a channel without one waits.

    Channels of plugin stage kinds may be named too; one not named here uses
    the connection ``collections_<channel>``.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    sms: str = Field(default="collections_sms", pattern=_CONN_ID)
    letter: str = Field(default="collections_letters", pattern=_CONN_ID)
    dialer: str = Field(default="collections_dialer", pattern=_CONN_ID)
    field_app: str = Field(default="collections_field", pattern=_CONN_ID)
    legal_portal: str = Field(default="collections_legal", pattern=_CONN_ID)

    @model_validator(mode="after")
    def _plugin_channels(self) -> Partners:
        from debt_collections.stages import channel_paths

        known = channel_paths()
        for channel, conn_id in (self.model_extra or {}).items():
            if channel not in known:
                raise ValueError(f"unknown channel {channel!r}; channels: {', '.join(known)}")
            if not isinstance(conn_id, str) or not re.match(_CONN_ID, conn_id):
                raise ValueError(f"connection id for {channel} must match {_CONN_ID}, got {conn_id!r}")
        return self

    def conn_ids(self) -> dict[str, str]:
        """Channel -> connection id, the plugin channels included."""
        return {k: str(v) for k, v in self.model_dump().items()}


class DataQuality(_Strict):
    """Gates that stop a suspicious drop before anything is loaded, unless an operator confirms it.

    They apply to books of at least ``min_book_accounts`` accounts: on a tiny
    book an empty day, a repeated snapshot or a large relative shift is normal.
    """

    min_book_accounts: int = Field(default=1000, ge=0)
    refuse_empty: bool = True
    refuse_repeated: bool = True
    max_balance_shift: Decimal | None = Field(default=Decimal("0.20"), ge=0)


class Connections(_Strict):
    database: str = Field(default="collections_db", pattern=_CONN_ID)
    feed: str = Field(default="collections_feed", pattern=_CONN_ID)
    partners: Partners = Partners()


class Alerts(_Strict):
    """Where alerts go, and by when the day must be done."""

    connection: str = Field(default="collections_alerts", pattern=_CONN_ID)
    deadline: str | None = Field(default="07:30", pattern=_HHMM)  # policy-timezone time; None: no deadline
    # also Airflow's DeadlineAlert on the daily DAG's scheduled runs; off: in Airflow 3.3.2 a DAG with a
    # deadline fails `airflow dags test` when its run ends (docs/DESIGN-NOTES.md)
    deadline_alert: bool = False

    @property
    def deadline_time(self) -> time | None:
        return _hhmm(self.deadline) if self.deadline else None


class Feed(_Strict):
    # auto: the feed connection's conn_type decides (fs -> csv, http -> servicing API, postgres -> sql)
    source: Literal["auto", "csv", "http", "sql"] = "auto"
    # a repayment whose paid_at is later than the end of the drop's day plus this many days (in the
    # policy's timezone) is not plausible: it is quarantined, not loaded (a mistyped year, a test row)
    paid_at_days_ahead: int = Field(default=1, ge=0, le=31)
    # the file the sender writes last into a day's drop, relative to the fs feed connection's path;
    # {date} stands for the business date (YYYY-MM-DD). None: runs start on the cron schedule only
    ready_marker: str | None = Field(
        default=None,
        max_length=200,
        pattern=r"^[A-Za-z0-9_.{}-]+(/[A-Za-z0-9_.{}-]+)*$",
        description="the drop's ready marker, relative to the feed connection's path, e.g. {date}/_READY",
    )
    # how often the triggerer looks for the marker
    ready_poll_seconds: int = Field(default=30, ge=1, le=3600)

    @field_validator("ready_marker")
    @classmethod
    def _marker_names_the_day(cls, value: str | None) -> str | None:
        if value is None:
            return value
        rest = value.replace("{date}", "", 1)
        if "{date}" not in value or "{" in rest or "}" in rest:
            raise ValueError(f"ready_marker {value!r} must hold {{date}} exactly once and no other braces")
        if any(part in (".", "..") for part in value.split("/")):
            raise ValueError(f"ready_marker {value!r} must stay inside the drops' folder (no '.' or '..')")
        return value

    @model_validator(mode="after")
    def _marker_needs_files(self) -> Feed:
        if self.ready_marker is not None and self.source in ("http", "sql"):
            raise ValueError(f"ready_marker is for csv drops (an fs connection), not for source {self.source}")
        return self

    def marker_glob(self) -> str:
        """The ready marker as a glob pattern relative to the drops' folder (``{date}`` as a date's shape)."""
        if self.ready_marker is None:
            raise ValueError("no ready_marker")
        return self.ready_marker.replace("{date}", "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]")

    def marker_day(self, relative: str) -> pendulum.Date | None:
        """The business date a ready marker's path (relative to the drops' folder) names; None if it names none."""
        if self.ready_marker is None:
            return None
        head, tail = self.ready_marker.split("{date}")
        found = re.fullmatch(re.escape(head) + r"(\d{4}-\d{2}-\d{2})" + re.escape(tail), relative)
        if found is None:
            return None
        try:
            return pendulum.Date.fromisoformat(found.group(1))
        except ValueError:  # 2026-02-30
            return None

    def paid_at_before(self, day: date, timezone: str) -> pendulum.DateTime:
        """The first instant a repayment in the drop of ``day`` cannot plausibly have been paid at: the
        end of ``day`` plus ``paid_at_days_ahead`` days, in ``timezone``."""
        return pendulum.datetime(day.year, day.month, day.day, tz=timezone).add(days=1 + self.paid_at_days_ahead)


class Payment(_Strict):
    """The lender's ways to pay, named in notices and reminders; each one the policy leaves out is not mentioned."""

    link: str | None = Field(
        default=None,
        pattern=r"^https://[^\s{}]+\{account_id\}[^\s{}]*$",
        description="online payment page; {account_id} is replaced by the account's id",
    )
    bank_name: str | None = Field(default=None, min_length=1, max_length=80)
    bank_account_name: str | None = Field(default=None, min_length=1, max_length=80)
    bank_account_no: str | None = Field(default=None, pattern=r"^[0-9][0-9 -]{4,38}[0-9]$")
    hotline: str | None = Field(default=None, pattern=r"^\+?[0-9][0-9 ()-]{2,28}$")
    hotline_hours: str | None = Field(default=None, min_length=1, max_length=40)

    @model_validator(mode="after")
    def _bank_details_together(self) -> Payment:
        bank = (self.bank_name, self.bank_account_name, self.bank_account_no)
        if any(bank) and not all(bank):
            raise ValueError(
                "set bank_name, bank_account_name and bank_account_no together (a transfer needs all three)"
            )
        return self

    def variables(self, account_id: str) -> dict[str, str]:
        """What a template may use of these, for one account."""
        out = {k: v for k, v in self.model_dump(exclude={"link"}).items() if v is not None}
        if self.link:
            out["pay_link"] = self.link.replace("{account_id}", account_id)
        return out


class Messages(_Strict):
    """What every message to a customer carries, and how long an SMS may be."""

    # the lender's name in each language; an SMS starts with it (【...】 in Chinese, as carriers require)
    signature: dict[
        Annotated[str, Field(pattern=r"^(zh-CN|en)$")], Annotated[str, Field(min_length=2, max_length=20)]
    ] = {}
    max_sms_segments: int = Field(default=2, ge=1, le=10)
    payment: Payment = Payment()

    def signature_for(self, language: str) -> str:
        """The lender's name an SMS in ``language`` starts with ("" when the policy sets none)."""
        return self.signature.get(language, "")


class RosterEntry(_Strict):
    """One field agent or law firm (or any assignee of a stage kind) of a region, and its daily capacity."""

    kind: str = Field(description="the stage kind whose orders it takes: visit, legal, or one registered by a plugin")
    region: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    assignee: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")
    daily_capacity: int = Field(ge=0, le=1000, description="orders it takes a day")

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        from debt_collections.stages import registry

        kinds = [name for name, kind in registry().items() if not kind.pre_due]
        if value not in kinds:
            raise ValueError(f"unknown stage kind {value!r}; known: {', '.join(kinds)}")
        return value


class Roster(_Strict):
    """A roster file (``capacity.roster``): who takes each region's orders of a kind, and how many a day."""

    assignees: list[RosterEntry] = Field(min_length=1)

    @field_validator("assignees")
    @classmethod
    def _one_entry_each(cls, entries: list[RosterEntry]) -> list[RosterEntry]:
        seen: set[tuple[str, str]] = set()
        for i, e in enumerate(entries):
            if (e.kind, e.assignee) in seen:
                raise ValueError(
                    f"assignees[{i}]: {e.kind} assignee {e.assignee} is listed twice "
                    "(one entry per assignee and kind, in one region)"
                )
            seen.add((e.kind, e.assignee))
        return entries

    def params(self, kind: str) -> dict[str, Any]:
        """What ``actions/plan.sql`` binds for ``kind``: on when the roster lists the kind, and its entries."""
        mine = [e for e in self.assignees if e.kind == kind]
        return {
            "roster_on": bool(mine),
            "roster_regions": [e.region for e in mine],
            "roster_assignees": [e.assignee for e in mine],
            "roster_daily": [e.daily_capacity for e in mine],
        }


NO_ROSTER = {"roster_on": False, "roster_regions": [], "roster_assignees": [], "roster_daily": []}


class Capacity(_Strict):
    """Who takes the orders and how many a day: a roster file beside the policy file (docs/OPERATIONS.md)."""

    roster: str = Field(
        pattern=r"^([A-Za-z0-9_][A-Za-z0-9_-]{0,63}/){0,3}[A-Za-z0-9_][A-Za-z0-9_-]{0,63}\.ya?ml$",
        description="the roster file, relative to the policy file's folder (e.g. rosters/east.yaml)",
    )


VARIANT_BUCKETS = 10000  # an account's variant hash falls in 0 .. 9999 (SPEC 9)

# Contact rules a challenger may only make stricter (SPEC 5 is compliance, not strategy): the caps may
# go down, the days without calls after a conversation up; the window may only narrow.
_AT_MOST = (
    "max_sms_per_customer_per_day",
    "max_connected_calls_per_debtor_per_day",
    "max_dial_attempts_per_number_per_day",
    "max_call_attempts_per_account_per_7_days",
)
_AT_LEAST = ("no_call_days_after_conversation",)
_RUNG_FIXED = ("stage", "action")  # a rung's task group and stage kind are the DAG's, the same in every variant


def variant_hash(dag_id: str, account_id: str) -> int:
    """SPEC 9: ``int(sha256((dag_id + ":" + account_id).encode("utf-8")).hexdigest()[:8], 16) % 10000``."""
    digest = hashlib.sha256(f"{dag_id}:{account_id}".encode()).hexdigest()
    return int(digest[:8], 16) % VARIANT_BUCKETS


class Variant(_Strict):
    """A strategy the policy runs on a share of its new cases (SPEC 9): overrides of the ladder and contact rules.

    ``ladder`` maps a rung's stage to the fields it changes (``enter``, ``repeat_every_days``,
    ``once_per_case``, ``sticky``, ``channel``, ``template``, ``assignee``); ``contact`` the
    contact rules, which a variant may only make stricter.
    """

    name: str = Field(pattern=_STAGE)
    share: Decimal = Field(gt=0, le=1, decimal_places=4)
    ladder: dict[str, dict[str, Any]] = {}
    contact: dict[str, Any] = {}
    description: str = Field(default="", max_length=200)


class Policy(_Strict):
    """A whole escalation workflow: one DAG."""

    dag_id: str = Field(pattern=_DAG_ID)
    description: str = Field(default="", max_length=500)
    schedule: str = Field(min_length=1, max_length=100)
    timezone: str = "Asia/Shanghai"
    # the first business day the policy runs: the DAG's start date (catchup is off, so the
    # scheduler runs no earlier day); a run for an earlier day fails, naming this key
    start_date: date = date(2020, 1, 1)
    # YAML sequences are lists (as their errors name them); the model is frozen, and nothing changes them
    portfolios: list[str] = Field(min_length=1)
    exclude_portfolios: list[str] = []
    portfolio_choices: list[str] = []
    owner: str = Field(default="collections", max_length=100)
    retries: int = Field(default=2, ge=0, le=10)
    connections: Connections = Connections()
    feed: Feed = Feed()
    tolerance: Money = Decimal("1.00")
    max_reject_ratio: Decimal = Field(default=Decimal("0.01"), ge=0, le=1)
    # a repayment is credited to the latest contact sent at most this many days before it (SPEC 8)
    attribution_days: int = Field(default=7, ge=1, le=90)
    data_quality: DataQuality = DataQuality()
    alerts: Alerts = Alerts()
    contact: ContactRules = ContactRules()
    messages: Messages = Messages()
    reminders: list[Reminder] = []
    ladder: list[Rung] = Field(min_length=1)
    # champion and challengers (SPEC 9): none listed is one variant, champion, with the whole book
    variants: list[Variant] = []
    # what one action of each kind costs (money, the policy's currency), for cost per unit recovered
    cost: dict[Annotated[str, Field(pattern=_STAGE)], Money] = {}
    # field agents and law firms per region with a daily capacity (none: orders go to the rung's assignee label)
    capacity: Capacity | None = None

    # where the policy was read from (set by the loader; not a key of the file)
    _source: tuple[str, str] = PrivateAttr(default=("", ""))
    # the roster file ``capacity.roster`` names, read and validated by the loader
    _roster: Roster | None = PrivateAttr(default=None)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            pendulum.timezone(value)
        except Exception as exc:  # pendulum raises its own InvalidTimezone
            raise ValueError(f"unknown IANA timezone {value!r} (e.g. Asia/Shanghai)") from exc
        return value

    @field_validator("portfolios", "exclude_portfolios")
    @classmethod
    def _portfolio_patterns(cls, value: list[str]) -> list[str]:
        for item in value:
            if not _PORTFOLIO_PATTERN.match(item):
                raise ValueError(f"{item!r} is not a portfolio name or pattern (letters, digits, _ . - * ?)")
        return value

    @field_validator("portfolio_choices")
    @classmethod
    def _portfolio_names(cls, value: list[str]) -> list[str]:
        for item in value:
            if not PORTFOLIO_NAME.match(item):
                raise ValueError(f"{item!r} is not a portfolio name (letters, digits, _ . -)")
        return value

    @field_validator("ladder")
    @classmethod
    def _ladder_is_ordered(cls, ladder: list[Rung], info: ValidationInfo) -> list[Rung]:
        stages = [r.stage for r in info.data.get("reminders") or ()] + [r.stage for r in ladder]
        repeated = sorted({s for s in stages if stages.count(s) > 1})
        if repeated:
            raise ValueError(
                f"ladder stages must be unique, reminders included: {', '.join(repeated)} "
                f"is used twice (stages: {', '.join(stages)})"
            )
        taken = [s for s in stages if s in DAY_STEPS]
        if taken:
            raise ValueError(
                f"stage {taken[0]!r} is the name of a step of the day ({', '.join(DAY_STEPS)}), which a rung's "
                "task would clash with: name the rung after what it does"
            )
        for i in range(1, len(ladder)):
            low, high = ladder[i - 1], ladder[i]
            if high.min_dpd < low.min_dpd:
                raise ValueError(
                    f"ladder rungs must be listed lowest first: ladder[{i}] ({high.stage}) can be entered from "
                    f"dpd {high.min_dpd}, below ladder[{i - 1}] ({low.stage}) at dpd {low.min_dpd} "
                    "(from dpd_at_least or bucket_at_least)"
                )
        return ladder

    @model_validator(mode="after")
    def _variants_hold(self) -> Policy:
        if not self.variants:
            return self
        names = [v.name for v in self.variants]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"variant names must be unique: {', '.join(repeated)} is used twice")
        total = sum((v.share for v in self.variants), Decimal(0))
        if total != 1:
            raise ValueError(f"variant shares must sum to 1, they sum to {total} ({', '.join(names)})")
        for i, v in enumerate(self.variants):
            try:
                self._check_variant(v)
            except ValueError as exc:
                raise ValueError(f"variants[{i}] ({v.name}): {exc}") from None
        return self

    def _check_variant(self, v: Variant) -> None:
        stages = [r.stage for r in self.ladder]
        for stage, fields in v.ladder.items():
            if stage not in stages:
                raise ValueError(f"ladder.{stage}: no such rung (rungs: {', '.join(stages)})")
            fixed = [k for k in _RUNG_FIXED if k in fields]
            if fixed:
                raise ValueError(f"ladder.{stage}.{fixed[0]} cannot change in a variant (it is the DAG's)")
        if "preset" in v.contact:
            raise ValueError("contact.preset cannot change in a variant (the jurisdiction is the policy's)")
        built = self._variant_policy(v)  # every rung and rule valid, the ladder still in order
        base, mine = self.contact, built.contact
        for key in _AT_MOST:
            if getattr(mine, key) > getattr(base, key):
                raise ValueError(f"contact.{key} {getattr(mine, key)} is looser than the policy's {getattr(base, key)}")
        for key in _AT_LEAST:
            if getattr(mine, key) < getattr(base, key):
                raise ValueError(f"contact.{key} {getattr(mine, key)} is looser than the policy's {getattr(base, key)}")
        if mine.window_start < base.window_start or mine.window_end > base.window_end:
            raise ValueError(
                f"contact.window {mine.window.start}-{mine.window.end} is wider than the policy's "
                f"{base.window.start}-{base.window.end}"
            )

    def _variant_policy(self, v: Variant) -> Policy:
        data = self.model_dump(exclude={"variants"})
        data["ladder"] = [merge(rung, v.ladder.get(rung["stage"], {})) for rung in data["ladder"]]
        data["contact"] = merge(data["contact"], v.contact)
        return Policy.model_validate(data)

    def variant_policies(self) -> list[tuple[str, Decimal, Policy]]:
        """Each variant's name, share and whole policy (its overrides applied); ``champion`` when none is listed."""
        if not self.variants:
            return [("champion", Decimal(1), self)]
        return [(v.name, v.share, self._variant_policy(v).with_source(*self._source)) for v in self.variants]

    def variant_upto(self) -> list[int]:
        """Where each variant's range of the hash ends (exclusive): the listed order, ``share * 10000`` values each."""
        ends, total = [], Decimal(0)
        for _, share, _ in self.variant_policies():
            total += share
            ends.append(int(total * VARIANT_BUCKETS))
        return ends

    def variant_of(self, account_id: str) -> str:
        """The variant a new case of ``account_id`` opens under (SPEC 9): the first range that holds its hash."""
        h = variant_hash(self.dag_id, account_id)
        names = [name for name, _, _ in self.variant_policies()]
        return next(name for name, end in zip(names, self.variant_upto(), strict=True) if h < end)

    def with_source(self, path: str, text: str) -> Policy:
        """This policy, remembering the file it was read from (shown in the DAG's docs)."""
        self._source = (path, text)
        return self

    def with_roster(self, roster: Roster | None) -> Policy:
        """This policy, with the roster its ``capacity.roster`` names (set by the loader)."""
        self._roster = roster
        return self

    @property
    def roster(self) -> Roster | None:
        return self._roster

    def roster_params(self, kind: str) -> dict[str, Any]:
        """What ``actions/plan.sql`` binds for a kind's capacity; off (the assignee label) without a roster."""
        return self._roster.params(kind) if self._roster else dict(NO_ROSTER)

    @property
    def source_path(self) -> str:
        return self._source[0]

    @property
    def source_text(self) -> str:
        return self._source[1]

    @property
    def steps(self) -> tuple[Step, ...]:
        """Everything a run can act on: the pre-due reminders, then the ladder's rungs."""
        return (*self.reminders, *self.ladder)

    @property
    def stages(self) -> tuple[str, ...]:
        return tuple(r.stage for r in self.steps)

    def rung(self, stage: str) -> Step:
        return next(r for r in self.steps if r.stage == stage)

    @property
    def approval_rungs(self) -> tuple[Rung, ...]:
        """The rungs whose actions wait for a person's decision (SPEC 11)."""
        return tuple(r for r in self.ladder if r.needs_approval)

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

    def ladder_params(self) -> dict[str, Any]:
        """Every variant's ladder as parallel arrays, the shape the evaluation SQL binds, and the variants' ranges."""
        sides = self.variant_policies()
        params: dict[str, Any] = {
            "dag_id": self.dag_id,
            "variant_names": [n for n, _, _ in sides],
            "variant_upto": self.variant_upto(),
        }
        for name, _, side in sides:
            for key, values in side._own_ladder_params().items():
                params.setdefault(key, []).extend(values)
            params.setdefault("rung_variant", []).extend([name] * len(side.ladder))
            params.setdefault("rung_ord", []).extend(range(1, len(side.ladder) + 1))
        return params

    def _own_ladder_params(self) -> dict[str, list[Any]]:
        e = [r.enter for r in self.ladder]
        return {
            "rung_names": [r.stage for r in self.ladder],
            "rung_min_dpd": [r.min_dpd for r in self.ladder],
            "rung_min_overdue": [x.overdue_amount_at_least for x in e],
            "rung_sticky": [r.sticky for r in self.ladder],
            "rung_every_days": [r.repeat_every_days or 0 for r in self.ladder],
            "rung_actions": [r.action for r in self.ladder],
            "rung_products": [",".join(x.products) if x.products else None for x in e],
            "rung_min_bucket": [BUCKETS.index(x.bucket_at_least) if x.bucket_at_least else 0 for x in e],
            "rung_risk_grades": [",".join(x.risk_grades) if x.risk_grades else None for x in e],
            "rung_min_broken": [x.broken_promises_at_least or 0 for x in e],
        }
