"""The "Collections view" extra link on the tasks of a collections run.

Registered by the plugin as a global link, so Airflow's task pages show it next to
the logs. It is worked out in the API server from the task instance's key alone;
the view then finds the run's business date and the task's portfolio (its
rendered map index) and opens the Today page filtered to them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from airflow.sdk import BaseOperatorLink

LINKED_SUFFIXES = (".plan", ".deliver")
LINKED_TASKS = ("evaluate", "report")


class CollectionsViewLink(BaseOperatorLink):
    """A link from a stage, evaluation or report task to the collections view of its run and portfolio."""

    name = "Collections view"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        task_id = ti_key.task_id
        if not (task_id.endswith(LINKED_SUFFIXES) or task_id in LINKED_TASKS):
            return ""
        return "/collections/task?" + urlencode(
            {"dag_id": ti_key.dag_id, "run_id": ti_key.run_id, "task_id": task_id, "map_index": ti_key.map_index}
        )
