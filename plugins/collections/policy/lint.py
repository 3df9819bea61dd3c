"""Checks for people who write policies: every policy file and every template it uses."""

from __future__ import annotations

import json
from pathlib import Path

from debt_collections.domain.policy import Policy
from debt_collections.errors import ConfigError
from debt_collections.policy.loader import DEFAULTS_FILE, load_policy
from debt_collections.policy.templates import LANGUAGES, compose, samples

SCHEMA_FILE = "policy.schema.json"


def policy_files(folder: Path) -> list[Path]:
    """The policy files of a folder (the shared defaults file is not a policy)."""
    return sorted(p for p in folder.glob("*.yaml") if p.name != DEFAULTS_FILE)


def lint(folder: Path) -> list[str]:
    """Problems found in the policies of ``folder`` and their templates; empty when all is well."""
    problems: list[str] = []
    seen_ids: dict[str, Path] = {}
    loaded: list[tuple[Path, Policy]] = []
    for path in policy_files(folder):
        try:
            policy = load_policy(path)
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        problems += _overlaps(path, policy, loaded)
        loaded.append((path, policy))
        if policy.dag_id in seen_ids:
            problems.append(f"{path}: dag_id {policy.dag_id} is already used by {seen_ids[policy.dag_id]}")
        seen_ids[policy.dag_id] = path
        problems += _template_problems(path, policy)
    return problems


def _overlaps(path: Path, policy: Policy, loaded: list[tuple[Path, Policy]]) -> list[str]:
    """A portfolio that ``policy`` and an earlier policy both cover."""
    return [
        f"{path}: portfolio {name} is also covered by {other_path}: "
        "each portfolio must belong to one policy (use exclude_portfolios)"
        for other_path, other in loaded
        for name in sorted(_sample_portfolios(policy) | _sample_portfolios(other))
        if policy.covers(name) and other.covers(name)
    ]


def _template_problems(path: Path, policy: Policy) -> list[str]:
    """Each template a rung names, composed for a sample case of each dpd tier in every language and
    channel, as its reader gets it: an SMS with the lender's signature, within ``max_sms_segments``."""
    problems: set[str] = set()
    opt_out = policy.contact.preset == "us"
    sides = policy.variant_policies()
    # every variant's rungs: a challenger may name other templates (SPEC 9)
    steps = [(rung, f"variant {name}: " if len(sides) > 1 else "") for name, _, side in sides for rung in side.steps]
    for rung, variant in steps:
        channels = ("sms", "letter") if rung.channel == "sms_or_letter" else (rung.channel,)
        where = variant + ("reminder" if rung.days_before_due else "ladder stage")
        for channel in channels:
            for language in LANGUAGES:
                if channel == "sms" and not policy.messages.signature_for(language):
                    problems.add(
                        f"{path}: messages.signature has no {language} name: carriers refuse an SMS "
                        "without the lender's signature"
                    )
                name = rung.template.replace("{channel}", channel).replace("{language}", language)
                for variables in samples(language, reminder=bool(rung.days_before_due), messages=policy.messages):
                    try:
                        compose(
                            name,
                            variables,
                            channel=channel,
                            language=language,
                            messages=policy.messages,
                            opt_out=opt_out,
                        )
                    except ConfigError as exc:
                        problems.add(f"{path}: {where} {rung.stage}: {exc}")
    return sorted(problems)


def _sample_portfolios(policy: Policy) -> set[str]:
    """Names that a policy's portfolios stand for: its choices, and each pattern made concrete."""
    return set(policy.portfolio_choices) | {p.replace("*", "X").replace("?", "X") for p in policy.portfolios}


def schema_text() -> str:
    """The JSON Schema of a policy file (committed as dags/policies/policy.schema.json for editors)."""
    return json.dumps(Policy.model_json_schema(), indent=2, sort_keys=True) + "\n"
