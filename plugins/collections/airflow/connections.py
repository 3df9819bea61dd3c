"""Turning Airflow connections into a database conninfo and a feed source."""

from __future__ import annotations

import pendulum
import psycopg
from airflow.sdk import Connection

from debt_collections.domain.policy import Policy
from debt_collections.errors import ConfigError
from debt_collections.feeds.base import FeedSource
from debt_collections.feeds.csv_source import CsvSource


def database_conninfo(conn_id: str) -> str:
    """A libpq conninfo for the Postgres connection ``conn_id`` (credentials stay in Airflow)."""
    conn = Connection.get(conn_id)
    extra = conn.extra_dejson or {}
    options = {k: v for k, v in extra.items() if k in ("sslmode", "sslrootcert", "connect_timeout", "options")}
    return psycopg.conninfo.make_conninfo(
        "",
        host=conn.host or None,
        port=conn.port or None,
        user=conn.login or None,
        password=conn.password or None,
        dbname=conn.schema or None,
        application_name="debt_collections",
        **options,
    )


def feed_source(policy: Policy, feed_date: pendulum.Date) -> FeedSource:
    """The day's drop, read through the policy's feed connection."""
    conn = Connection.get(policy.feed_conn_id)
    if policy.feed_source == "csv":
        root = (conn.extra_dejson or {}).get("path")
        if not root:
            raise ConfigError(
                f"connection {policy.feed_conn_id} (conn_type fs) needs extra {{\"path\": \"<root>\"}} "
                "naming the folder that holds the daily drops"
            )
        return CsvSource(root, feed_date)
    raise ConfigError(
        f"policy {policy.dag_id}: feed source {policy.feed_source!r} is not available yet (supported: csv)"
    )
