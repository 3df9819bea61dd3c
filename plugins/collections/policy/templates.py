"""Message templates: Jinja2 files under ``include/templates/<name>.<language>.j2``,
rendered in a sandbox with strict undefined variables, so that a template can
neither run code nor print an empty placeholder."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateNotFound, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from debt_collections.errors import ConfigError

LANGUAGES = ("zh-CN", "en")
VARIABLES = ("name", "account_ref", "overdue_amount", "currency", "dpd", "as_of", "due_date", "amount_due")
# a case's message (notice, call script, visit, referral) ...
SAMPLE = {
    "name": "Wang Fang",
    "account_ref": "1234",
    "overdue_amount": "1234.50",
    "currency": "CNY",
    "dpd": 12,
    "as_of": "2026-11-28",
}
# ... and a pre-due reminder's: no arrears yet, the installment about to fall due
REMINDER_SAMPLE = {
    "name": "Wang Fang",
    "account_ref": "1234",
    "currency": "CNY",
    "as_of": "2026-11-28",
    "due_date": "2026-12-01",
    "amount_due": "2150.00",
}


class TemplateError(ConfigError):
    """A template is missing, malformed, uses an unknown variable or tries to escape the sandbox."""


def template_root() -> Path:
    """The template folder (``COLLECTIONS_TEMPLATE_DIR`` overrides it)."""
    override = os.environ.get("COLLECTIONS_TEMPLATE_DIR")
    return Path(override) if override else Path(__file__).resolve().parents[3] / "include" / "templates"


@functools.cache
def _environment(folder: str) -> SandboxedEnvironment:
    return SandboxedEnvironment(loader=FileSystemLoader(folder), undefined=StrictUndefined, autoescape=False)


def render(name: str, variables: dict[str, Any], folder: Path | None = None) -> str:
    """Render template ``name`` (e.g. ``notice_sms.zh-CN``) with ``variables``."""
    folder = folder or template_root()
    file = f"{name}.j2"
    try:
        return _environment(str(folder)).get_template(file).render(**variables).strip()
    except TemplateNotFound:
        raise TemplateError(f"template {folder / file} does not exist") from None
    except TemplateSyntaxError as exc:
        raise TemplateError(f"{folder / file}:{exc.lineno}: {exc.message}") from None
    except SecurityError as exc:
        raise TemplateError(f"{folder / file}: not allowed in a template: {exc}") from None
    except UndefinedError as exc:
        raise TemplateError(f"{folder / file}: {exc.message}; the variables are {', '.join(VARIABLES)}") from None
