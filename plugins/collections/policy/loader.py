"""Load a policy YAML file, validate it, and turn it into the plain ``Policy`` form.

Errors name the file, the line, the key and what is allowed, e.g.
``dags/policies/lease.yaml:18: ladder[2].enter.dpd_at_least: Input should be a
valid integer, got 'thirty'``.
"""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import pendulum
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from debt_collections.domain.arrears import BUCKETS
from debt_collections.domain.policy import PORTFOLIO_NAME, ContactRules, DataQuality, Policy, Rung
from debt_collections.errors import ConfigError
from debt_collections.stages import channel_paths, registry

DEFAULTS_FILE = "defaults.yaml"
_DAG_ID = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
_PORTFOLIO_PATTERN = re.compile(r"^[A-Za-z0-9_.*?-]{1,64}$")

BUCKET_MIN_DPD = {b: 0 if i == 0 else 30 * (i - 1) + 1 for i, b in enumerate(BUCKETS)}  # M2 -> 31

Money = Annotated[Decimal, Field(ge=0, max_digits=17, decimal_places=2)]


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``: mappings merge key by key, anything else is replaced."""
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EnterModel(_Strict):
    """Entry condition of a rung."""

    dpd_at_least: int | None = Field(default=None, ge=1, le=3650)
    overdue_amount_at_least: Money | None = None
    products: list[Literal["loan", "lease", "finance_lease"]] | None = Field(default=None, min_length=1)
    bucket_at_least: Literal[BUCKETS[1:]] | None = None  # type: ignore[valid-type]  # a Literal of the BUCKETS tuple (M1 ... M7+): mypy wants literals written out
    risk_grades: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9+-]{1,8}$")]] | None = Field(default=None, min_length=1)
    broken_promises_at_least: int | None = Field(default=None, ge=1, le=100)

    @model_validator(mode="after")
    def _has_a_threshold(self) -> EnterModel:
        if self.dpd_at_least is None and self.bucket_at_least is None:
            raise ValueError("set dpd_at_least (an integer >= 1) or bucket_at_least (M1 ... M7+)")
        return self

    @property
    def min_dpd(self) -> int:
        """The lowest dpd at which the rung can be entered."""
        from_bucket = BUCKET_MIN_DPD[self.bucket_at_least] if self.bucket_at_least else 1
        return max(self.dpd_at_least or 1, from_bucket)


class RungModel(_Strict):
    """One rung as written in YAML."""

    stage: str = Field(pattern=r"^[a-z][a-z0-9_]{0,30}$")
    action: str = Field(description="a stage kind: notice, call, visit, legal, or one registered by a plugin")
    enter: EnterModel
    repeat_every_days: int | None = Field(default=None, ge=1, le=365)
    once_per_case: bool = False
    sticky: bool = False
    channel: str = Field(pattern=r"^[a-z_]+$")
    template: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9_.{}-]+$")
    assignee: str = Field(default="", max_length=100, pattern=r"^[A-Za-z0-9_.:{}-]*$")

    @field_validator("action")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        kinds = {name: kind for name, kind in registry().items() if not kind.pre_due}
        if value not in kinds:
            raise ValueError(f"unknown stage kind {value!r}; known: {', '.join(kinds)}")
        return value

    @model_validator(mode="after")
    def _channel_of_kind(self) -> RungModel:
        channels = registry()[self.action].channels
        if self.channel not in channels:
            raise ValueError(f"channel {self.channel!r} is not one of {self.action}'s: {', '.join(channels)}")
        return self

    @model_validator(mode="after")
    def _repeat_or_once(self) -> RungModel:
        if (self.repeat_every_days is None) == (not self.once_per_case):
            raise ValueError("set exactly one of repeat_every_days (a number of days) or once_per_case: true")
        return self


class ReminderModel(_Strict):
    """A courtesy reminder before an installment falls due (accounts not overdue; no case)."""

    stage: str = Field(pattern=r"^[a-z][a-z0-9_]{0,30}$")
    days_before_due: int = Field(ge=1, le=30)
    channel: Literal["sms_or_letter", "sms", "letter"] = "sms_or_letter"
    template: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9_.{}-]+$")


class WindowModel(_Strict):
    start: str = Field(pattern=_HHMM.pattern)
    end: str = Field(pattern=_HHMM.pattern)


# Jurisdiction presets of the contact rules; a policy's own keys override its preset's.
# Sources are in docs/CONTACT-RULES.md.
PRESETS: dict[str, dict[str, Any]] = {
    # SPEC section 5, the product's default rules (mainland China practice)
    "cn": {
        "window": {"start": "08:00", "end": "21:00"},
        "max_sms_per_customer_per_day": 1,
        "max_connected_calls_per_debtor_per_day": 3,
        "max_dial_attempts_per_number_per_day": 6,
        "max_call_attempts_per_account_per_7_days": 7,
        "no_call_days_after_conversation": 0,
    },
    # US Regulation F (12 CFR 1006.6(b)(1)(i) and 1006.14(b)(2))
    # (a conversation stops the day's calls: one connected call per debtor per day)
    "us": {
        "window": {"start": "08:00", "end": "21:00"},
        "max_sms_per_customer_per_day": 1,
        "max_connected_calls_per_debtor_per_day": 1,
        "max_dial_attempts_per_number_per_day": 6,
        "max_call_attempts_per_account_per_7_days": 7,
        "no_call_days_after_conversation": 7,
    },
}


class ContactModel(_Strict):
    preset: Literal["cn", "us"] = "cn"
    window: WindowModel = WindowModel(start="08:00", end="21:00")
    max_sms_per_customer_per_day: int = Field(default=1, ge=0, le=10)
    max_connected_calls_per_debtor_per_day: int = Field(default=3, ge=0, le=10)
    max_dial_attempts_per_number_per_day: int = Field(default=6, ge=0, le=20)
    max_call_attempts_per_account_per_7_days: int = Field(default=7, ge=0, le=50)
    no_call_days_after_conversation: int = Field(default=0, ge=0, le=30)

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        """The preset's numbers first, then whatever the policy sets itself."""
        preset = data.get("preset", "cn") if isinstance(data, dict) else None
        if isinstance(preset, str) and preset in PRESETS:
            return _merge(PRESETS[preset], data)
        return data


_CONN_ID = r"^[a-z0-9_]+$"


class PartnersModel(BaseModel):
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
    def _plugin_channels(self) -> PartnersModel:
        known = channel_paths()
        for channel, conn_id in (self.model_extra or {}).items():
            if channel not in known:
                raise ValueError(f"unknown channel {channel!r}; channels: {', '.join(known)}")
            if not isinstance(conn_id, str) or not re.match(_CONN_ID, conn_id):
                raise ValueError(f"connection id for {channel} must match {_CONN_ID}, got {conn_id!r}")
        return self


class DataQualityModel(_Strict):
    min_book_accounts: int = Field(default=1000, ge=0)
    refuse_empty: bool = True
    refuse_repeated: bool = True
    max_balance_shift: Decimal | None = Field(default=Decimal("0.20"), ge=0)


class ConnectionsModel(_Strict):
    database: str = Field(default="collections_db", pattern=_CONN_ID)
    feed: str = Field(default="collections_feed", pattern=_CONN_ID)
    partners: PartnersModel = PartnersModel()


class AlertsModel(_Strict):
    """Where alerts go, and by when the day must be done."""

    connection: str = Field(default="collections_alerts", pattern=_CONN_ID)
    deadline: str | None = Field(default="07:30", pattern=_HHMM.pattern)


class FeedModel(_Strict):
    # auto: the feed connection's conn_type decides (fs -> csv, http -> servicing API, postgres -> sql)
    source: Literal["auto", "csv", "http", "sql"] = "auto"


class PolicyModel(_Strict):
    """A policy file as written."""

    dag_id: str = Field(pattern=_DAG_ID.pattern)
    description: str = Field(default="", max_length=500)
    schedule: str = Field(min_length=1, max_length=100)
    timezone: str = "Asia/Shanghai"
    portfolios: list[str] = Field(min_length=1)
    exclude_portfolios: list[str] = []
    portfolio_choices: list[str] = []
    owner: str = Field(default="collections", max_length=100)
    retries: int = Field(default=2, ge=0, le=10)
    connections: ConnectionsModel = ConnectionsModel()
    feed: FeedModel = FeedModel()
    tolerance: Money = Decimal("1.00")
    max_reject_ratio: Decimal = Field(default=Decimal("0.01"), ge=0, le=1)
    data_quality: DataQualityModel = DataQualityModel()
    alerts: AlertsModel = AlertsModel()
    contact: ContactModel = ContactModel()
    reminders: list[ReminderModel] = []
    ladder: list[RungModel] = Field(min_length=1)

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
    def _ladder_is_ordered(cls, ladder: list[RungModel], info: ValidationInfo) -> list[RungModel]:
        stages = [r.stage for r in info.data.get("reminders") or []] + [r.stage for r in ladder]
        repeated = sorted({s for s in stages if stages.count(s) > 1})
        if repeated:
            raise ValueError(
                f"ladder stages must be unique, reminders included: {', '.join(repeated)} "
                f"is used twice (stages: {', '.join(stages)})"
            )
        for i in range(1, len(ladder)):
            low, high = ladder[i - 1], ladder[i]
            if high.enter.min_dpd < low.enter.min_dpd:
                raise ValueError(
                    f"ladder rungs must be listed lowest first: ladder[{i}] ({high.stage}) can be entered from "
                    f"dpd {high.enter.min_dpd}, below ladder[{i - 1}] ({low.stage}) at dpd {low.enter.min_dpd} "
                    "(from dpd_at_least or bucket_at_least)"
                )
        return ladder


def load_policy(path: str | Path) -> Policy:
    """Read and validate one policy file, over the folder's ``defaults.yaml`` when there is one.

    ConfigError names file, line, key and the fix.
    """
    path = Path(path)
    text = _read(path)
    defaults_path = path.with_name(DEFAULTS_FILE)
    defaults = None
    if defaults_path.is_file() and defaults_path.resolve() != path.resolve():
        defaults = (_read(defaults_path), str(defaults_path))
    return parse_policy(text, str(path), defaults=defaults)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read policy file: {exc}") from exc


def _parse_yaml(text: str, source: str) -> tuple[dict[str, Any], dict[tuple[Any, ...], int]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.load(text, Loader=yaml.SafeLoader)  # SafeLoader: no Python objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise ConfigError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{source}:1: a policy file must be a mapping of keys (dag_id, schedule, ladder, ...)")
    return data, _line_index(node)


def parse_policy(text: str, source: str, *, defaults: tuple[str, str] | None = None) -> Policy:
    """Validate policy YAML text (over optional ``(defaults_text, defaults_source)``); ``source`` names it."""
    data, lines = _parse_yaml(text, source)
    places = {path: (source, line) for path, line in lines.items()}
    if defaults is not None:
        base, base_lines = _parse_yaml(*defaults)
        data = _merge(base, data)
        places = {**{p: (defaults[1], ln) for p, ln in base_lines.items() if p}, **places}
    try:
        model = PolicyModel.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, places, source)) from None
    return _to_policy(model, source, text)


def _line_index(node: yaml.Node | None, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], int]:
    """Map each key path (('ladder', 2, 'enter')) to the 1-based line it is written on."""
    index: dict[tuple[Any, ...], int] = {}
    if node is None:
        return index
    index[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key_path = (*path, key_node.value)
            index.update(_line_index(value_node, key_path))
            index[key_path] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            index.update(_line_index(item, (*path, i)))
    return index


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _format_errors(exc: ValidationError, places: dict[tuple[Any, ...], tuple[str, int]], source: str) -> str:
    messages = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("function-", "literal["))))
        file, line = next((places[loc[:n]] for n in range(len(loc), -1, -1) if loc[:n] in places), (source, 1))
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check its spelling; see dags/policies/README.md for the allowed keys)"
        elif err["type"] == "missing":
            msg = "required key is missing"
        value = err.get("input")
        got = (
            f", got {value!r}"
            if err["type"] not in ("missing", "extra_forbidden") and not isinstance(value, (dict, list))
            else ""
        )
        messages.append(f"{file}:{line}: {_dotted(loc)}: {msg}{got}")
    return "invalid policy:\n  " + "\n  ".join(messages)


def _hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _contact(m: PolicyModel) -> ContactRules:
    return ContactRules(
        window_start=_hhmm(m.contact.window.start),
        window_end=_hhmm(m.contact.window.end),
        max_sms_per_customer_per_day=m.contact.max_sms_per_customer_per_day,
        max_connected_calls_per_debtor_per_day=m.contact.max_connected_calls_per_debtor_per_day,
        max_dial_attempts_per_number_per_day=m.contact.max_dial_attempts_per_number_per_day,
        max_call_attempts_per_account_per_7_days=m.contact.max_call_attempts_per_account_per_7_days,
        no_call_days_after_conversation=m.contact.no_call_days_after_conversation,
        preset=m.contact.preset,
    )


def _rung(r: RungModel) -> Rung:
    return Rung(
        stage=r.stage,
        action=r.action,
        dpd_at_least=r.enter.min_dpd,
        overdue_amount_at_least=r.enter.overdue_amount_at_least,
        products=tuple(r.enter.products) if r.enter.products else None,
        bucket_at_least=r.enter.bucket_at_least,
        risk_grades=tuple(r.enter.risk_grades) if r.enter.risk_grades else None,
        broken_promises_at_least=r.enter.broken_promises_at_least,
        repeat_every_days=r.repeat_every_days,
        sticky=r.sticky,
        channel=r.channel,
        template=r.template,
        assignee=r.assignee,
    )


def _reminder(r: ReminderModel) -> Rung:
    return Rung(
        stage=r.stage,
        action="reminder",
        dpd_at_least=0,
        days_before_due=r.days_before_due,
        channel=r.channel,
        template=r.template,
    )


def _to_policy(m: PolicyModel, source: str, text: str) -> Policy:
    return Policy(
        dag_id=m.dag_id,
        description=m.description,
        schedule=m.schedule,
        timezone=m.timezone,
        portfolios=tuple(m.portfolios),
        exclude_portfolios=tuple(m.exclude_portfolios),
        portfolio_choices=tuple(m.portfolio_choices),
        ladder=tuple(_rung(r) for r in m.ladder),
        reminders=tuple(_reminder(r) for r in m.reminders),
        contact=_contact(m),
        tolerance=m.tolerance,
        max_reject_ratio=m.max_reject_ratio,
        data_quality=DataQuality(**m.data_quality.model_dump()),
        feed_source=m.feed.source,
        db_conn_id=m.connections.database,
        feed_conn_id=m.connections.feed,
        partner_conn_ids=m.connections.partners.model_dump(),
        owner=m.owner,
        retries=m.retries,
        alert_conn_id=m.alerts.connection,
        deadline=_hhmm(m.alerts.deadline) if m.alerts.deadline else None,
        source_path=source,
        source_text=text,
    )
