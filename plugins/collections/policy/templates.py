"""Message templates: Jinja2 files under ``include/templates/<name>.<language>.j2``,
rendered in a sandbox with strict undefined variables, so that a template can
neither run code nor print an empty placeholder."""

from __future__ import annotations

import functools
import os
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateNotFound, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from debt_collections.domain.messages import segments, sms_text
from debt_collections.domain.policy import Messages
from debt_collections.errors import ConfigError

LANGUAGES = ("zh-CN", "en")
VARIABLES = (
    "name",
    "account_ref",
    "overdue_amount",
    "currency",
    "dpd",
    "as_of",
    "due_date",
    "amount_due",
    # the lender's ways to pay (policy key messages.payment), each only when the policy sets it
    "pay_link",
    "bank_name",
    "bank_account_name",
    "bank_account_no",
    "hotline",
    "hotline_hours",
    # when the account pays by auto-debit: the day the next debit is tried
    "next_debit_date",
)
# ways to pay as a policy might set them, for previews and lint
PAYMENT_SAMPLE = {
    "pay_link": "https://pay.example.com/r/ACC0001234",
    "bank_name": "Example Bank Shanghai Branch",
    "bank_account_name": "Example Auto Finance Co., Ltd.",
    "bank_account_no": "6222 0000 1234 5678",
    "hotline": "400-820-1234",
    "hotline_hours": "08:00-21:00",
}
# a case's message (notice, call script, visit, referral) ...
SAMPLE: dict[str, Any] = {
    "name": "Wang Fang",
    "account_ref": "1234",
    "overdue_amount": "1234.50",
    "currency": "CNY",
    "dpd": 12,
    "as_of": "2026-11-28",
}
# ... and a pre-due reminder's: no arrears yet, the installment about to fall due
REMINDER_SAMPLE: dict[str, Any] = {
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


# how an amount reads in each language: 1,234.50元 in Chinese (for yuan), CNY 1,234.50 in English
_SYMBOL_AFTER = {"zh-CN": {"CNY": "元"}}


def money(amount: Any, currency: str, language: str = "en") -> str:
    """``amount`` with thousands separators and two decimals, the currency as a reader of ``language`` expects."""
    try:
        text = f"{Decimal(str(amount)):,.2f}"
    except InvalidOperation:
        raise TemplateError(f"not an amount: {amount!r}") from None
    after = _SYMBOL_AFTER.get(language, {}).get(currency)
    return f"{text}{after}" if after else f"{currency} {text}"


@functools.cache
def _environment(folder: str) -> SandboxedEnvironment:
    env = SandboxedEnvironment(loader=FileSystemLoader(folder), undefined=StrictUndefined, autoescape=False)
    env.filters["money"] = money
    return env


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


class MessageTooLong(TemplateError):
    """A rendered SMS needs more segments than ``messages.max_sms_segments``: it is never sent cut short."""


def compose(
    template: str,
    variables: dict[str, Any],
    *,
    channel: str,
    language: str,
    messages: Messages | None = None,
    opt_out: bool = False,
) -> str:
    """The message as its reader gets it: the template rendered and, for an SMS, the lender's
    signature and (``opt_out``, the ``us`` preset) the opt-out line around it, its length checked
    against ``messages.max_sms_segments``. MessageTooLong names the template and its length."""
    messages = messages or Messages()
    text = render(template, variables)
    if channel != "sms":
        return text
    text = sms_text(text, language=language, signature=messages.signature_for(language), opt_out=opt_out)
    length = segments(text)
    if length.count > messages.max_sms_segments:
        raise MessageTooLong(
            f"sms_too_long: {template} renders to {length}, over max_sms_segments {messages.max_sms_segments}: "
            "shorten the template (an SMS is never sent cut short)"
        )
    return text


# the names a sample case has in each language
_SAMPLE_NAMES = {"zh-CN": "王芳", "en": "Wang Fang"}
SAMPLE_DPDS = (5, 45, 80)  # a template's tone may change with dpd: one case of each tier


def samples(language: str, *, reminder: bool, messages: Messages | None = None) -> list[dict[str, Any]]:
    """Sample variables to render a template with: each dpd tier (a case) or the installment (a reminder),
    with and without auto-debit, with the ways to pay the policy sets (all of them when none is given)."""
    pay = (messages.payment.variables("ACC0001234") if messages else dict(PAYMENT_SAMPLE)) | {
        "name": _SAMPLE_NAMES.get(language, "Wang Fang")
    }
    bases = [REMINDER_SAMPLE] if reminder else [{**SAMPLE, "dpd": dpd} for dpd in SAMPLE_DPDS]
    return [{**base, **pay, **debit} for base in bases for debit in ({}, {"next_debit_date": "2026-12-05"})]
