"""The operations UI: server-rendered pages served by the Airflow API server under /collections."""
