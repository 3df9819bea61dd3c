"""The four stage kinds of SPEC section 4, and the pre-due courtesy reminder."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from debt_collections.stages import StageKind


def _notice(row: Mapping[str, Any]) -> dict[str, Any]:
    if row["channel"] == "sms":
        return {"to": row["phone"]}
    # a letter also carries its printable PDF (delivery/letters.py), made where its text is composed
    return {"addressee": row["full_name"], "address": row.get("address"), "region": row["region"]}


def _call(row: Mapping[str, Any]) -> dict[str, Any]:
    # the dialer enforces the per-day caps of SPEC section 5 on its attempts, and dials this
    # entry at most max_attempts times (the account's share of its 7-day allowance)
    return {
        "number": row["phone"],
        "priority": str(row["priority"]),
        "name": row["full_name"],
        "max_attempts": row["attempts_per_entry"],
        "max_dial_attempts_per_number_per_day": row["max_dial_attempts"],
        "max_connected_calls_per_debtor_per_day": row["max_connected_calls"],
    }


def _assignment(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"assignee": row["assignee"], "region": row["region"], "name": row["full_name"], "vin": row["vin"]}


CORE_KINDS = (
    StageKind(
        "reminder",
        {"sms": "/v1/sms", "letter": "/v1/letters", "sms_or_letter": ""},
        _notice,
        contact=True,
        stopped_by_cease_contact=True,
        pre_due=True,
        description="courtesy reminder by SMS, or letter, days before an installment falls due",
    ),
    StageKind(
        "notice",
        {"sms": "/v1/sms", "letter": "/v1/letters", "sms_or_letter": ""},
        _notice,
        contact=True,
        stopped_by_cease_contact=True,
        description="overdue notice by SMS, or letter",
    ),
    StageKind(
        "call",
        {"dialer": "/v1/dialer/queue"},
        _call,
        contact=True,
        stopped_by_cease_contact=True,
        stopped_by_promise=True,
        scored=True,
        description="one call-queue entry with a priority score",
    ),
    StageKind(
        "visit",
        {"field_app": "/v1/field/visits"},
        _assignment,
        stopped_by_cease_contact=True,
        stopped_by_promise=True,
        description="field-visit assignment to an agent of the region",
    ),
    StageKind(
        "legal",
        {"legal_portal": "/v1/legal/referrals"},
        _assignment,
        stopped_by_promise=True,
        description="legal referral to a law firm of the region",
    ),
)
