"""Where the UI reads from: the collections database behind the Airflow connection ``collections_db``."""

from __future__ import annotations

CONN_ID = "collections_db"


def collections_conninfo() -> str:
    """The libpq conninfo of the collections database, looked up in Airflow on each call.

    In the API server ``airflow.sdk.Connection.get`` searches the server chain
    (environment variables, then the metadata database): ``airflow.api_fastapi.main``
    marks the process as a server context before anything is imported.
    """
    from debt_collections.airflow.connections import database_conninfo

    return database_conninfo(CONN_ID)
