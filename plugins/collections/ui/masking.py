"""Masking personal data shown in lists (names and phone numbers)."""

from __future__ import annotations


def mask_name(name: str | None) -> str:
    """The first letter of each part of a name, e.g. ``Wang Fang`` -> ``W*** F***``."""
    if not name:
        return ""
    return " ".join(part[0] + "***" for part in name.split())


def mask_phone(phone: str | None) -> str:
    """At most the last 4 digits of a phone number, e.g. ``+8613912341234`` -> ``****1234``.

    Whatever the numbering plan: a prefix shown with them would narrow a US number
    (``+1 415 555 ....``) to a handful of people.
    """
    if not phone:
        return ""
    digits = [c for c in phone if c.isdigit()]
    return "****" + "".join(digits[-4:]) if len(digits) > 6 else "****"
