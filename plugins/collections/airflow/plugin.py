"""The Airflow plugin of the collections product (registered by the airflow.plugins entry point)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from debt_collections.airflow.links import CollectionsViewLink
from debt_collections.ui.asgi import LazyApp

UI_PREFIX = "/collections"


class CollectionsPlugin(AirflowPlugin):
    """Registers the collections product with Airflow: the operations UI and its menu entry."""

    name = "collections"
    # Mounted by the API server (airflow.api_fastapi.app.init_plugins): needs "app", "url_prefix", "name".
    fastapi_apps = [{"app": LazyApp(), "url_prefix": UI_PREFIX, "name": "Collections"}]
    # With "url_route" the Airflow UI shows "href" in a frame at /plugin/collections in its navigation.
    # "Collections view" on the stage, evaluate and report tasks' pages
    global_operator_extra_links = [CollectionsViewLink()]
    external_views = [
        {
            "name": "Collections",
            "href": f"{UI_PREFIX}/today",
            "destination": "nav",
            "url_route": "collections",
            "nav_top_level": True,  # its own entry in the navigation, not inside the Plugins menu
        }
    ]
