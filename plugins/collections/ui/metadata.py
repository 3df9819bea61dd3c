"""What the UI reads from Airflow's own metadata database (it runs inside the API server)."""

from __future__ import annotations


def task_in_airflow(dag_id: str, run_id: str, task_id: str, map_index: int) -> tuple[str | None, str | None]:
    """The task's portfolio (its rendered map index) and its run's ``as_of`` param, from Airflow's metadata."""
    from airflow.models import DagRun, TaskInstance  # the API server's ORM: this runs there
    from airflow.utils.session import create_session

    with create_session() as session:
        ti = (
            session.query(TaskInstance)
            .filter_by(dag_id=dag_id, run_id=run_id, task_id=task_id, map_index=map_index)
            .one_or_none()
        )
        run = session.query(DagRun).filter_by(dag_id=dag_id, run_id=run_id).one_or_none()
        portfolio = ti.rendered_map_index if ti is not None and map_index >= 0 else None
        as_of = (run.conf or {}).get("as_of") if run is not None else None
    return portfolio, as_of


def run_conf_day(dag_id: str, run_id: str) -> str | None:
    """The ``as_of`` a run's conf names (a manual run, a rerun), from Airflow's metadata; None for a scheduled
    run (its day follows from its logical date) or a run Airflow does not know."""
    from airflow.models import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        run = session.query(DagRun).filter_by(dag_id=dag_id, run_id=run_id).one_or_none()
        day = (run.conf or {}).get("as_of") if run is not None else None
    return str(day) if day else None
