"""The "Collections view" extra link on the tasks of a collections run.

Registered by the plugin as a global link, so Airflow's task pages show it next to
the logs. It is worked out in the API server from the task instance's key alone;
the view then finds the run's business date and the task's portfolio (its
rendered map index) and opens the Today page filtered to them (and to the rung,
for a rung's task).

A daily DAG's tasks mapped over portfolios are its evaluations, its rungs (each
named after its stage) and its reports; those are linked. The outbox and approvals
DAGs map theirs too, over work that is not a day of a portfolio: not linked.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from airflow.sdk import BaseOperatorLink

NOT_LINKED_DAG_SUFFIXES = ("_outbox", "_approvals")


class CollectionsViewLink(BaseOperatorLink):
    """A link from a rung, evaluation or report task to the collections view of its run and portfolio."""

    name = "Collections view"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        if ti_key.map_index < 0 or ti_key.dag_id.endswith(NOT_LINKED_DAG_SUFFIXES):
            return ""
        return "/collections/task?" + urlencode(
            {"dag_id": ti_key.dag_id, "run_id": ti_key.run_id, "task_id": ti_key.task_id, "map_index": ti_key.map_index}
        )
