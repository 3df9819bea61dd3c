"""Masking personal data shown in lists (names and phone numbers)."""

from __future__ import annotations


def mask_name(name: str | None) -> str:
    """The first letter of each part of a name, e.g. ``Wang Fang`` -> ``W*** F***``."""
    if not name:
        return ""
    return " ".join(part[0] + "***" for part in name.split())


def mask_phone(phone: str | None) -> str:
    """A phone number with its middle hidden, e.g. ``+8613912341234`` -> ``+86139****1234``."""
    if not phone:
        return ""
    if len(phone) > 10:
        return phone[:6] + "****" + phone[-4:]
    if len(phone) > 4:
        return "****" + phone[-4:]
    return "****"
