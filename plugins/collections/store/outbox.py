"""The outbox: planned actions of a day, the send-time rules, and results written back."""

from __future__ import annotations

from datetime import datetime

import pendulum

from debt_collections.delivery.http import PartnerClient
from debt_collections.delivery.sender import Result, send_batch
from debt_collections.domain.policy import ContactRules
from debt_collections.store.db import connect, fetch_all, run, transaction
from debt_collections.store.sql import sql

BATCH = 500


def deliver(
    conninfo: str,
    portfolio: str,
    as_of: pendulum.Date,
    kind: str,
    clients: dict[str, PartnerClient],
    *,
    now: datetime,
    concurrency: int = 8,
    caps: ContactRules | None = None,
) -> dict[str, int]:
    """Apply the send-time rules, then send what may go out now, in batches; counts by outcome.

    ``clients`` maps a channel (sms, letter, dialer, ...) to its partner. Actions of
    a channel without a partner stay planned ("waiting") for a later delivery.
    """
    caps = caps or ContactRules()
    bind = {"portfolio": portfolio, "as_of": as_of, "kind": kind, "now": now,
            "max_dial_attempts": caps.max_dial_attempts_per_number_per_day,
            "max_connected_calls": caps.max_connected_calls_per_debtor_per_day}
    counts = {"sent": 0, "failed": 0, "deferred": 0, "waiting": 0}
    with connect(conninfo, autocommit=True) as conn:
        if kind == "notice":
            run(conn, "outbox/lock_sms.sql", bind)
        try:
            with conn.transaction():
                run(conn, "outbox/reopen_deferred.sql", bind)
                run(conn, "outbox/apply_send_rules.sql", bind)
            rows = fetch_all(conn, "outbox/sendable.sql", bind)
            by_channel: dict[str, list[dict]] = {}
            for row in rows:
                by_channel.setdefault(row["channel"], []).append(row)
            for channel, channel_rows in by_channel.items():
                client = clients.get(channel)
                if client is None:
                    counts["waiting"] += len(channel_rows)
                    continue
                for start in range(0, len(channel_rows), BATCH):
                    results = send_batch(channel_rows[start:start + BATCH], client, concurrency=concurrency)
                    _record(conn, results)
                    for r in results:
                        counts[r.status] += 1
        finally:
            if kind == "notice":
                run(conn, "outbox/unlock_sms.sql", bind)
    return counts


def _record(conn, results: list[Result]) -> None:
    with conn.transaction():
        run(conn, "outbox/create_results.sql")
        with conn.cursor().copy(sql("outbox/copy_results.sql")) as copy:
            for r in results:
                copy.write_row((r.idempotency_key, r.status, r.reason, r.partner_message_id, r.attempts, r.sent_at))
        run(conn, "outbox/record_results.sql")


def resend_failed(conninfo: str, portfolio: str, as_of: pendulum.Date, kinds: list[str]) -> int:
    """Put the day's failed actions of ``kinds`` back in the outbox; how many."""
    with transaction(conninfo) as conn:
        return sum(run(conn, "outbox/failed_to_resend.sql", {"portfolio": portfolio, "as_of": as_of, "kind": k})
                   for k in kinds)


def pending_work(conninfo: str, since: pendulum.Date) -> list[dict]:
    """(portfolio, as_of, kind) with actions still waiting to go out since ``since``."""
    with connect(conninfo) as conn:
        return fetch_all(conn, "outbox/pending_work.sql", {"since": since})
