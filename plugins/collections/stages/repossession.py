"""Vehicle repossession: an auto-finance stage kind added through the extension point.

A recovery order goes to a recovery agency of the customer's region, with the
vehicle's VIN. It is not customer contact (no window, no SMS cap) and, like a
legal referral, it waits while a promise to pay or a payment plan is active.
Registered in pyproject.toml under the ``debt_collections.stages`` entry points.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from debt_collections.stages import StageKind


def _order(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"agency": row["assignee"], "region": row["region"], "vin": row["vin"], "debtor": row["full_name"]}


REPOSSESSION = StageKind(
    name="repossession",
    channels={"recovery_agency": "/v1/repossessions"},
    payload=_order,
    stopped_by_promise=True,
    description="vehicle recovery order to a recovery agency of the region, with the VIN",
)
