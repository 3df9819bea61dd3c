"""The outbox: planned actions of a day, the send-time rules, and results written back."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import pendulum

from debt_collections.delivery.http import DeliveryRefused, PartnerClient, PartnerUnavailable
from debt_collections.delivery.sender import Result, send_in_batches, send_one_by_one
from debt_collections.domain.policy import ContactRules, Messages
from debt_collections.faults import crash_point
from debt_collections.stages import channel_paths, registry
from debt_collections.store.db import Conn, connect, fetch_all, fetch_one, run, transaction
from debt_collections.store.sql import sql

BATCH = 500
log = logging.getLogger(__name__)


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
    messages: Messages | None = None,
) -> dict[str, int]:
    """Apply the send-time rules, then send what may go out now, in batches; counts by outcome.

    ``clients`` maps a channel (sms, letter, dialer, ...) to its partner. Actions of
    a channel without a partner stay planned ("waiting") for a later delivery.
    ``caps`` are the contact rules (the ``us`` preset adds an SMS's opt-out line);
    ``messages`` the policy's signature, ways to pay and SMS length limit.
    """
    caps = caps or ContactRules()
    framing = {"messages": messages, "opt_out": caps.preset == "us"}
    bind = _bind(portfolio, as_of, kind, now, caps)
    counts = {"sent": 0, "failed": 0, "deferred": 0, "waiting": 0}
    # sent_at on the delivery's clock: ``now`` plus the time spent since, so that the
    # send-time rules (one SMS per customer per local day) compare like with like
    began = time.monotonic()

    def clock() -> datetime:
        return pendulum.instance(now).add(seconds=time.monotonic() - began)

    with connect(conninfo, autocommit=True) as conn:
        by_channel: dict[str, list[dict[str, Any]]] = {}
        with conn.transaction():
            calls = "dialer" in registry()[kind].channels
            if calls:
                # dial budgets one delivery at a time, each counting those the others hold (migration
                # 0031); the lock goes with this transaction, before anything is sent
                run(conn, "outbox/lock_dial_budgets.sql", bind)
            run(conn, "outbox/reopen_deferred.sql", bind)
            run(conn, "outbox/apply_send_rules.sql", bind)
            for row in fetch_all(conn, "outbox/sendable.sql", bind):
                by_channel.setdefault(row["channel"], []).append(row)
            if calls and "dialer" in clients and by_channel.get("dialer"):
                keys = [r["idempotency_key"] for r in by_channel["dialer"]]
                run(conn, "outbox/reserve_dial_budgets.sql", {"keys": keys, "now": now})
        for channel, channel_rows in by_channel.items():
            client = clients.get(channel)
            if client is None:
                counts["waiting"] += len(channel_rows)
                continue
            if channel == "sms":
                channel_rows = _claim_sms_days(conn, channel_rows, now)
            for status, n in _send(conn, channel_rows, client, concurrency, clock, framing).items():
                counts[status] += n
    return counts


def _claim_sms_days(conn: Conn, rows: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The SMS rows whose customer's day this delivery holds now; the others are suppressed.

    One SMS a customer a day (SPEC 5) across portfolios and kinds: each customer's local day is
    claimed by a unique key in a statement that commits before anything is sent, so deliveries
    of other portfolios run at once and only two SMS to one customer meet (migration 0030).
    """
    bind = {"keys": [r["idempotency_key"] for r in rows], "now": now}
    run(conn, "outbox/prune_sms_claims.sql", bind)
    run(conn, "outbox/free_sms_claims.sql", bind)
    taken = {r["idempotency_key"] for r in fetch_all(conn, "outbox/claim_sms.sql", bind)}
    crash_point("deliver.sms_claimed")  # the days are claimed; nothing has gone to the gateway
    if taken:
        log.info("sms suppressed=%d (the customer's day already claimed by another SMS)", len(taken))
    return [r for r in rows if r["idempotency_key"] not in taken]


def _bind(portfolio: str, as_of: pendulum.Date, kind: str, now: datetime, caps: ContactRules) -> dict[str, Any]:
    """The parameters of the outbox statements for one (portfolio, day, kind) at ``now``."""
    stage_kind = registry().get(kind)
    return {
        "portfolio": portfolio,
        "as_of": as_of,
        "kind": kind,
        "now": now,
        # what stops this kind of action (apply_send_rules.sql: an action whose case changed since its day)
        "stopped_by_promise": bool(stage_kind and stage_kind.stopped_by_promise),
        "stopped_by_cease_contact": bool(stage_kind and stage_kind.stopped_by_cease_contact),
        "max_dial_attempts": caps.max_dial_attempts_per_number_per_day,
        "max_connected_calls": caps.max_connected_calls_per_debtor_per_day,
        "attempts_per_entry": caps.call_attempts_per_entry,
    }


def _send(
    conn: Conn,
    rows: list[dict[str, Any]],
    client: PartnerClient,
    concurrency: int,
    clock: Callable[[], datetime],
    framing: dict[str, Any],
) -> Counter[str]:
    """Send one channel's rows, writing each set of results back as it comes; counts by outcome.

    A partner that takes lists gets ``batch_size`` actions a request, each list's results
    written back when its answer comes; another gets one action a request, written back
    ``BATCH`` at a time. Either way ``client.concurrency`` (else ``concurrency``) requests
    are in flight at once.
    """
    counts: Counter[str] = Counter()
    workers = client.concurrency or concurrency
    sets: Iterable[list[Result]] = (
        send_in_batches(rows, client, concurrency=workers, clock=clock, **framing)
        if client.batches
        else (
            send_one_by_one(rows[start : start + BATCH], client, concurrency=workers, clock=clock, **framing)
            for start in range(0, len(rows), BATCH)
        )
    )
    for results in sets:
        crash_point("deliver.sent")  # the partner has the set; its results are not written yet
        _record(conn, results)
        crash_point("deliver.recorded")
        counts.update(r.status for r in results)
    return counts


def _record(conn: Conn, results: list[Result]) -> None:
    """Write a set of results back in one statement (arrays bound as parameters, unnested in SQL)."""
    run(
        conn,
        "outbox/record_results.sql",
        {
            "keys": [r.idempotency_key for r in results],
            "statuses": [r.status for r in results],
            "reasons": [r.reason for r in results],
            "message_ids": [r.partner_message_id for r in results],
            "attempts": [r.attempts for r in results],
            "sent_at": [r.sent_at for r in results],
        },
    )


def resend_failed(conninfo: str, portfolio: str, as_of: pendulum.Date, kinds: list[str]) -> int:
    """Put the day's failed actions of ``kinds`` back in the outbox; how many."""
    with transaction(conninfo) as conn:
        return sum(
            run(conn, "outbox/failed_to_resend.sql", {"portfolio": portfolio, "as_of": as_of, "kind": k}) for k in kinds
        )


def pending_work(conninfo: str, since: pendulum.Date) -> list[dict[str, Any]]:
    """(portfolio, as_of, kind) with actions still waiting to go out since ``since``."""
    with connect(conninfo) as conn:
        return fetch_all(conn, "outbox/pending_work.sql", {"since": since})


MAX_RECEIPT_PAGES = 1000  # per channel and call; the cursor keeps the rest for the next call


def collect_receipts(conninfo: str, clients: dict[str, PartnerClient]) -> dict[str, dict[str, int]]:
    """Read each channel's new delivery receipts and settle the actions they name; counts per channel.

    Pages are read from the channel's stored cursor until an empty one; each page
    is applied and its cursor saved in one transaction, so a crash between pages
    loses nothing and reading a page twice changes nothing.
    """
    paths = channel_paths()
    out: dict[str, dict[str, int]] = {}
    for channel, client in clients.items():
        if channel not in paths:
            continue
        counts = {"receipts": 0, "settled": 0, "malformed": 0}
        with connect(conninfo, autocommit=True) as conn:
            row = fetch_one(conn, "receipts/read_cursor.sql", {"channel": channel})
            cursor = row["cursor"] if row else "0"
            for _ in range(MAX_RECEIPT_PAGES):
                try:
                    body = client.request("GET", f"{paths[channel]}/receipts", params={"cursor": cursor}).json()
                except (PartnerUnavailable, DeliveryRefused, ValueError) as exc:
                    counts["unavailable"] = 1
                    log.warning("receipts channel=%s not read: %s", channel, exc)
                    break
                items, next_cursor = body.get("items") or [], body.get("next_cursor")
                if not items:
                    break
                # a last page without a next cursor is applied, and read again next time (harmless)
                last = not isinstance(next_cursor, str)
                good = [r for r in map(_receipt, items) if r is not None]
                counts["malformed"] += len(items) - len(good)
                with conn.transaction():
                    run(conn, "receipts/create.sql")
                    with conn.cursor().copy(sql("receipts/copy.sql")) as copy:
                        for r in good:
                            copy.write_row(r)
                    counts["settled"] += run(conn, "receipts/apply.sql", {"channels": [channel]})
                    if not last:
                        run(conn, "receipts/save_cursor.sql", {"channel": channel, "cursor": next_cursor})
                counts["receipts"] += len(items)
                if last:
                    break
                cursor = next_cursor
        out[channel] = counts
    return out


def _receipt(item: object) -> tuple[Any, ...] | None:
    """A receipt row for COPY, or None when the partner sent something unusable."""
    if not isinstance(item, dict) or not isinstance(item.get("reference"), str):
        return None
    status, at = item.get("status"), item.get("at")
    if status not in ("delivered", "failed"):
        return None
    try:
        when = pendulum.from_timestamp(float(at)) if isinstance(at, (int, float)) else pendulum.parse(str(at))
    except (ValueError, TypeError, OverflowError):
        return None
    reason = item.get("reason")
    attempts, connected = item.get("attempts"), item.get("connected")
    return (
        item["reference"][:200],
        str(item.get("message_id") or "")[:200] or None,
        status,
        str(reason)[:300] if reason is not None else None,
        when,
        # the dialer's count of its dials and whether one connected; anything else is left unknown
        attempts if isinstance(attempts, int) and not isinstance(attempts, bool) and 0 <= attempts <= 100 else None,
        connected if isinstance(connected, bool) else None,
    )
