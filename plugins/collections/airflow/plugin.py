"""The Airflow plugin of the collections product (registered by the airflow.plugins entry point)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from debt_collections.airflow.links import CollectionsViewLink
from debt_collections.ui.asgi import LazyApp

UI_PREFIX = "/collections"
# Airflow shows the Collections pages at /plugin/collections, and a page of them at /plugin/collections/<its path>
NAV_ROUTE = "collections"


class CollectionsPlugin(AirflowPlugin):
    """Registers the collections product with Airflow: the operations UI, its menu entry, a tab on every DAG run
    and a widget on the dashboard."""

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
            "url_route": NAV_ROUTE,
            "nav_top_level": True,  # its own entry in the navigation, not inside the Plugins menu
        },
        # A "Collections" tab on the page of a DAG run: Airflow puts the run's ids into the href. Airflow 3.3 has
        # no way to show a tab on some DAGs only: a run of a DAG that is not a collections daily DAG gets a
        # short page saying so.
        {
            "name": "Collections",
            "href": f"{UI_PREFIX}/run?dag_id={{DAG_ID}}&run_id={{RUN_ID}}",
            "destination": "dag_run",
            "url_route": "collections-run",
        },
    ]
    # The widget on Airflow's dashboard (its home page, above "Welcome"): an ES module Airflow imports and renders
    # (ui/web/dashboard.jsx, built by `make install`). Airflow keeps a react app only with a url_route; at
    # /plugin/collections-today it shows the widget alone.
    react_apps = [
        {
            "name": "Collections today",
            "bundle_url": f"{UI_PREFIX}/static/dashboard.js",
            "destination": "dashboard",
            "url_route": "collections-today",
        }
    ]
