"""Run parameters (SPEC section 7), checked before any of them reaches SQL."""

from __future__ import annotations

from collections.abc import Mapping
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


def parse_run_params(raw: Mapping[str, Any], policy: Policy, logical_date: datetime | None) -> RunParams:
    """Validate the DAG run's params against the policy; errors name the param and the fix."""
    as_of_raw = raw.get("as_of")
    if as_of_raw in (None, ""):
        if logical_date is None:
            raise ConfigError("param as_of is required when the run has no logical date")
        as_of = default_as_of(logical_date, policy.timezone)
    else:
        try:
            parsed = pendulum.parse(str(as_of_raw), exact=True)
        except (ValueError, pendulum.parsing.exceptions.ParserError) as exc:
            raise ConfigError(f"param as_of must be a date YYYY-MM-DD, got {str(as_of_raw)[:40]!r}") from exc
        if not isinstance(parsed, pendulum.Date) or isinstance(parsed, pendulum.DateTime):
            raise ConfigError(f"param as_of must be a date YYYY-MM-DD, got {str(as_of_raw)[:40]!r}")
        as_of = parsed

    portfolios_raw = raw.get("portfolios") or []
    if isinstance(portfolios_raw, str) or not isinstance(portfolios_raw, (list, tuple)):
        raise ConfigError("param portfolios must be a list of portfolio names (empty = all)")
    for name in portfolios_raw:
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

    stages_raw = raw.get("stages") or []
    if isinstance(stages_raw, str) or not isinstance(stages_raw, (list, tuple)):
        raise ConfigError("param stages must be a list of stage names (empty = all)")
    unknown = [s for s in stages_raw if s not in policy.stages]
    if unknown:
        raise ConfigError(
            f"param stages: unknown stage(s) {', '.join(map(str, unknown))}; "
            f"policy {policy.dag_id} has {', '.join(policy.stages)}"
        )

    dry_run = raw.get("dry_run", False)
    if not isinstance(dry_run, bool):
        raise ConfigError(f"param dry_run must be true or false, got {str(dry_run)[:20]!r}")
    resend = raw.get("resend_failed", False)
    if not isinstance(resend, bool):
        raise ConfigError(f"param resend_failed must be true or false, got {str(resend)[:20]!r}")
    confirm = raw.get("confirm_data_quality", False)
    if not isinstance(confirm, bool):
        raise ConfigError(f"param confirm_data_quality must be true or false, got {str(confirm)[:20]!r}")

    return RunParams(
        as_of=as_of,
        portfolios=tuple(sorted(set(portfolios_raw))) or None,
        stages=tuple(s for s in policy.stages if not stages_raw or s in stages_raw),
        dry_run=dry_run,
        resend_failed=resend,
        confirm_data_quality=confirm,
    )


def params_to_xcom(params: RunParams) -> dict[str, Any]:
    """RunParams as plain JSON for XCom."""
    return {
        "as_of": params.as_of.to_date_string(),
        "portfolios": list(params.portfolios) if params.portfolios else None,
        "stages": list(params.stages),
        "dry_run": params.dry_run,
        "resend_failed": params.resend_failed,
        "confirm_data_quality": params.confirm_data_quality,
    }


def params_from_xcom(data: Mapping[str, Any]) -> RunParams:
    """RunParams back from ``params_to_xcom``'s form."""
    return RunParams(
        as_of=pendulum.parse(data["as_of"]).date(),
        portfolios=tuple(data["portfolios"]) if data["portfolios"] else None,
        stages=tuple(data["stages"]),
        dry_run=bool(data["dry_run"]),
        resend_failed=bool(data.get("resend_failed", False)),
        confirm_data_quality=bool(data.get("confirm_data_quality", False)),
    )
