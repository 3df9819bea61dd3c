"""Run parameters (SPEC section 7), checked before any of them reaches SQL."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pendulum

from debt_collections.domain.policy import PORTFOLIO_NAME, Policy
from debt_collections.errors import ConfigError


@dataclass(frozen=True)
class RunParams:
    """What one run evaluates: the day, the portfolios (None = all), the stages, and whether to send."""

    as_of: pendulum.Date
    portfolios: tuple[str, ...] | None
    stages: tuple[str, ...]
    dry_run: bool
    resend_failed: bool = False
    confirm_data_quality: bool = False


def default_as_of(logical_date: datetime, timezone: str) -> pendulum.Date:
    """A scheduled run evaluates the day before its logical date, in the policy's timezone."""
    local = pendulum.instance(logical_date).in_timezone(timezone)
    return local.date().subtract(days=1)


def days_of_markers(payloads: Iterable[Any]) -> list[pendulum.Date]:
    """The business dates named by the ready markers that started a run (the asset events' payloads), sorted.

    A payload is what the drop's ready-marker watcher yields, ``{"as_of": "YYYY-MM-DD", "marker": path}``;
    anything else (an event posted by hand through the API, say) names no day.
    """
    days = set()
    for payload in payloads:
        if isinstance(payload, Mapping) and payload.get("as_of"):
            days.add(parse_day(payload["as_of"], "the ready marker's as_of"))
    return sorted(days)


def parse_run_params(
    raw: Mapping[str, Any],
    policy: Policy,
    logical_date: datetime | None,
    *,
    run_after: datetime | None = None,
    marker_days: Sequence[pendulum.Date] = (),
) -> RunParams:
    """Validate the DAG run's params against the policy; errors name the param and the fix.

    Without an ``as_of`` param the day is, in this order: the day the drop's ready marker named (a run
    the marker started), the day before the logical date (a scheduled run), the day before ``run_after``
    (a run with no logical date, e.g. started by an asset event that names no day), in the policy's timezone.
    """
    portfolios = _portfolios(raw.get("portfolios") or [], policy)
    stages = _stages(raw.get("stages") or [], policy)
    return RunParams(
        as_of=_as_of(raw.get("as_of"), policy, logical_date, run_after, marker_days),
        portfolios=tuple(sorted(set(portfolios))) or None,
        stages=tuple(s for s in policy.stages if not stages or s in stages),
        dry_run=_flag(raw, "dry_run"),
        resend_failed=_flag(raw, "resend_failed"),
        confirm_data_quality=_flag(raw, "confirm_data_quality"),
    )


def _as_of(
    value: Any,
    policy: Policy,
    logical_date: datetime | None,
    run_after: datetime | None,
    marker_days: Sequence[pendulum.Date],
) -> pendulum.Date:
    if value in (None, ""):
        if len(marker_days) > 1:
            raise ConfigError(
                f"this run was started by the ready markers of {len(marker_days)} days "
                f"({', '.join(d.to_date_string() for d in marker_days)}): start one run per day with param as_of"
            )
        if marker_days:
            return marker_days[0]
        if logical_date is not None:
            return default_as_of(logical_date, policy.timezone)
        if run_after is not None:
            return default_as_of(run_after, policy.timezone)
        raise ConfigError("param as_of is required when the run has no logical date")
    parsed = parse_day(value, "param as_of")
    if parsed < policy.start_date:
        raise ConfigError(
            f"param as_of {parsed} is before policy {policy.dag_id}'s start_date {policy.start_date}: "
            "set start_date in the policy to run earlier days"
        )
    return parsed


def _portfolios(value: Any, policy: Policy) -> list[str]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ConfigError("param portfolios must be a list of portfolio names (empty = all)")
    for name in value:
        if not isinstance(name, str) or not PORTFOLIO_NAME.match(name):
            raise ConfigError(
                f"param portfolios: {str(name)[:40]!r} is not a portfolio name "
                "(letters, digits, '_', '.', '-'; at most 64 characters)"
            )
        if not policy.covers(name):
            raise ConfigError(
                f"param portfolios: {name!r} is not covered by policy {policy.dag_id} "
                f"(portfolios: {', '.join(policy.portfolios)})"
            )
    return list(value)


def _stages(value: Any, policy: Policy) -> list[str]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ConfigError("param stages must be a list of stage names (empty = all)")
    unknown = [s for s in value if s not in policy.stages]
    if unknown:
        raise ConfigError(
            f"param stages: unknown stage(s) {', '.join(map(str, unknown))}; "
            f"policy {policy.dag_id} has {', '.join(policy.stages)}"
        )
    return list(value)


def _flag(raw: Mapping[str, Any], name: str) -> bool:
    value = raw.get(name, False)
    if not isinstance(value, bool):
        raise ConfigError(f"param {name} must be true or false, got {str(value)[:20]!r}")
    return value


def parse_day(value: Any, name: str) -> pendulum.Date:
    """A date ``YYYY-MM-DD``; ConfigError naming ``name`` otherwise (a date and time is not a date)."""
    wrong = f"{name} must be a date YYYY-MM-DD, got {str(value)[:40]!r}"
    try:
        parsed = pendulum.parse(str(value), exact=True)
    except (ValueError, pendulum.parsing.exceptions.ParserError) as exc:
        raise ConfigError(wrong) from exc
    if not isinstance(parsed, pendulum.Date) or isinstance(parsed, pendulum.DateTime):
        raise ConfigError(wrong)
    return parsed
