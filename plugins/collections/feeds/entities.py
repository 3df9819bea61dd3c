"""The feed's entities and their fields (SPEC section 2)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entity:
    """One entity of the daily feed."""

    name: str
    fields: tuple[str, ...]
    optional_fields: frozenset[str] = frozenset()
    optional: bool = False  # the whole entity may be absent from a drop

    @property
    def required_fields(self) -> tuple[str, ...]:
        return tuple(f for f in self.fields if f not in self.optional_fields)


ENTITIES: tuple[Entity, ...] = (
    Entity(
        "customers",
        ("customer_id", "full_name", "phone", "region", "timezone", "language", "address"),
        frozenset({"phone", "address"}),  # address: the postal address a letter goes to (beyond SPEC section 2)
    ),
    Entity(
        "accounts",
        (
            "account_id",
            "customer_id",
            "portfolio",
            "product",
            "vin",
            "currency",
            "principal_outstanding",
            "opened_on",
            "status",
            "risk_grade",
        ),
        frozenset({"vin", "risk_grade"}),
    ),
    Entity("installments", ("account_id", "seq", "due_date", "amount_due")),
    Entity(
        "repayments",
        ("payment_id", "account_id", "paid_at", "amount", "reverses", "channel"),
        frozenset({"reverses", "channel"}),
    ),
    Entity(
        "events",
        ("event_id", "account_id", "at", "kind", "amount", "until", "reason", "source"),
        frozenset({"amount", "until", "reason", "source"}),
        optional=True,
    ),
)

BY_NAME = {e.name: e for e in ENTITIES}
