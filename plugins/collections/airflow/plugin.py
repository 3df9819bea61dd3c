"""The Airflow plugin of the collections product (registered by the airflow.plugins entry point)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin


class CollectionsPlugin(AirflowPlugin):
    """Registers the collections product with Airflow."""

    name = "collections"
