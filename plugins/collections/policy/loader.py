"""Load a policy YAML file and validate it into the policy model (``domain/policy.py``).

Errors name the file, the line, the key and what is allowed, e.g.
``dags/policies/lease.yaml:18: ladder[2].enter.dpd_at_least: Input should be a
valid integer, got 'thirty'``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from debt_collections.domain.policy import Policy, Roster, merge
from debt_collections.errors import ConfigError

DEFAULTS_FILE = "defaults.yaml"
MAX_POLICY_BYTES = 256 * 1024  # the largest shipped policy is under 4 KB


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
        size = path.stat().st_size
        if size > MAX_POLICY_BYTES:
            raise ConfigError(f"{path}: policy file of {size} bytes, over the {MAX_POLICY_BYTES} allowed")
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read policy file: {exc}") from exc


def _refuse_aliases(text: str, source: str) -> None:
    """A policy file has no anchors or aliases: nine levels of nine aliases (a "billion laughs")
    would expand to 387 million nodes in the line index and in validation. Checked on the
    parser's events, before anything is built, so the refusal is immediate."""
    if len(text.encode("utf-8")) > MAX_POLICY_BYTES:
        raise ConfigError(f"{source}: policy text over the {MAX_POLICY_BYTES} bytes allowed")
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            line = event.start_mark.line + 1 if event.start_mark else 1
            raise ConfigError(
                f"{source}:{line}: YAML anchors and aliases (&name, *name) are not allowed "
                "in a policy file: write the value out, or put shared keys in defaults.yaml"
            )


def _parse_yaml(text: str, source: str) -> tuple[dict[str, Any], dict[tuple[Any, ...], int]]:
    try:
        _refuse_aliases(text, source)
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
        data = merge(base, data)
        places = {**{p: (defaults[1], ln) for p, ln in base_lines.items() if p}, **places}
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, places, source)) from None
    roster = _load_roster(policy, source, places) if policy.capacity else None
    return policy.with_source(source, text).with_roster(roster)


def _load_roster(policy: Policy, source: str, places: dict[tuple[Any, ...], tuple[str, int]]) -> Roster:
    """The roster file ``capacity.roster`` names, beside the file that names it; errors name its file and line."""
    assert policy.capacity is not None
    file, line = places.get(("capacity", "roster"), (source, 1))
    path = Path(file).parent / policy.capacity.roster
    if not path.is_file():
        raise ConfigError(f"{file}:{line}: capacity.roster: no roster file {path} (the path is relative to {file})")
    roster_source = str(path)
    data, lines = _parse_yaml(_read(path), roster_source)
    try:
        return Roster.model_validate(data)
    except ValidationError as exc:
        where = {p: (roster_source, ln) for p, ln in lines.items()}
        raise ConfigError(_format_errors(exc, where, roster_source, what="roster")) from None


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


def _format_errors(
    exc: ValidationError, places: dict[tuple[Any, ...], tuple[str, int]], source: str, what: str = "policy"
) -> str:
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
    return f"invalid {what}:\n  " + "\n  ".join(messages)
