"""Turning Airflow connections into a database conninfo and a feed source."""

from __future__ import annotations

import logging

import pendulum
import psycopg
from airflow.sdk import Connection
from airflow.sdk.exceptions import AirflowNotFoundException

from debt_collections.delivery.http import PARTNER_EXTRAS, PartnerClient, partner_limits
from debt_collections.domain.policy import Policy
from debt_collections.errors import ConfigError
from debt_collections.feeds.base import FeedSource
from debt_collections.feeds.csv_source import CsvSource
from debt_collections.feeds.http_source import HttpSource
from debt_collections.feeds.sql_source import SqlSource

log = logging.getLogger(__name__)


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


def partner_client(conn_id: str) -> PartnerClient | None:
    """A client for the partner behind HTTP connection ``conn_id``; None when it is not configured.

    The connection's extra may say ``batch_size`` (above 1: the partner takes that many
    messages per request on its batch endpoint) and ``concurrency`` (requests in flight
    at once); the http provider would send any other extra key as a header.
    """
    from airflow.providers.http.hooks.http import HttpHook

    hook = HttpHook(method="POST", http_conn_id=conn_id)
    try:
        session = hook.get_conn()
    except AirflowNotFoundException:
        return None
    # the provider turned every extra key it does not know into a header: these are the product's
    limits = partner_limits(conn_id, {k: session.headers.pop(k) for k in PARTNER_EXTRAS if k in session.headers})
    return PartnerClient(
        hook.base_url, session, batch_size=limits.get("batch_size", 0), concurrency=limits.get("concurrency")
    )


def partner_clients(policy: Policy) -> dict[str, PartnerClient]:
    """Channel -> partner client, for the policy's channels whose connection exists."""
    clients = {}
    for channel in policy.delivery_channels():
        conn_id = policy.connections.partners.conn_ids().get(channel, f"collections_{channel}")
        client = partner_client(conn_id)
        if client is None:
            log.warning("no connection %s: %s actions wait in the outbox", conn_id, channel)
        else:
            clients[channel] = client
    return clients


def feed_source(policy: Policy, feed_date: pendulum.Date, portfolios: list[str] | None = None) -> FeedSource:
    """The day's drop, read through the feed connection; its conn_type picks the source (SPEC section 2)."""
    conn = Connection.get(policy.connections.feed)
    kind = policy.feed.source if policy.feed.source != "auto" else (conn.conn_type or "").lower()
    if kind in ("fs", "csv"):
        root = (conn.extra_dejson or {}).get("path")
        if not root:
            raise ConfigError(
                f'connection {policy.connections.feed} (conn_type fs) needs extra {{"path": "<root>"}} '
                "naming the folder that holds the daily drops"
            )
        return CsvSource(root, feed_date)
    if kind in ("http", "https"):
        client = partner_client(policy.connections.feed)
        if client is None:
            raise ConfigError(f"connection {policy.connections.feed} (conn_type http) is not defined")
        return HttpSource(client, feed_date, portfolios)
    if kind in ("postgres", "postgresql", "sql"):
        schema = (conn.extra_dejson or {}).get("source_schema", "public")
        return SqlSource(database_conninfo(policy.connections.feed), schema)
    raise ConfigError(
        f"connection {policy.connections.feed}: conn_type {conn.conn_type!r} is not a feed source "
        "(fs for csv drops, http for the servicing API, postgres for a source database)"
    )
