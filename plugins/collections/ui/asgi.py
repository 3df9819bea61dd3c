"""The ASGI entry the Airflow plugin mounts; it builds the FastAPI app on the first request."""

from __future__ import annotations

import threading
from typing import Any


class LazyApp:
    """An ASGI app that builds the collections UI on first use.

    Every Airflow process loads the plugin (task runners and the scheduler too), but
    only the API server serves it: building the app lazily keeps Airflow's API
    security module and FastAPI out of the processes that never answer HTTP.
    """

    def __init__(self) -> None:
        """Nothing is built until the first ASGI call."""
        self._app: Any = None
        self._lock = threading.Lock()

    @property
    def app(self) -> Any:
        """The FastAPI app, built once."""
        if self._app is None:
            with self._lock:
                if self._app is None:
                    from debt_collections.ui.app import create_app

                    self._app = create_app()
        return self._app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Hand the ASGI call to the FastAPI app."""
        await self.app(scope, receive, send)
