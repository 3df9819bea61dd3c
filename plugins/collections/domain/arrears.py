"""Arrears vocabulary shared by docs, tools and tests (the SQL is the engine)."""

from __future__ import annotations

BUCKETS = ("M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+")


def bucket(dpd: int) -> str:
    """The delinquency bucket of SPEC section 3 for a days-past-due figure."""
    if dpd <= 0:
        return "M0"
    if dpd > 180:
        return "M7+"
    return f"M{(dpd - 1) // 30 + 1}"
