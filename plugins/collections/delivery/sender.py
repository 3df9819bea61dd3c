"""Sending actions to their partner, with bounded concurrency: one message per request, or in lists
to a partner that takes them (its batch endpoint, a result per item)."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from debt_collections.clock import now as clock_now
from debt_collections.delivery.http import DeliveryRefused, PartnerClient, PartnerUnavailable
from debt_collections.delivery.letters import LetterError, letter_font, letter_pdf
from debt_collections.domain.policy import Messages
from debt_collections.policy.templates import MessageTooLong, TemplateError, compose
from debt_collections.stages import channel_paths, registry

BATCH_PATH = "/batch"  # after a channel's path: the partner's endpoint that takes a list


@dataclass(frozen=True)
class Result:
    """What became of one action."""

    idempotency_key: str
    status: str  # sent | failed | deferred
    reason: str | None
    partner_message_id: str | None
    attempts: int
    sent_at: datetime | None


def payload(row: dict[str, Any], messages: Messages | None = None, *, opt_out: bool = False) -> dict[str, Any]:
    """The partner's message: the least personal data that does the job.

    ``messages`` gives the lender's signature, ways to pay and SMS length limit; ``opt_out``
    adds the opt-out line an SMS must carry under the ``us`` preset (Regulation F).
    """
    messages = messages or Messages()
    base = {
        "reference": row["idempotency_key"],
        "as_of": str(row["as_of"]),
        "account_id": row["account_id"],
        "case_id": row["case_id"],
        "template": row["template"],
        "language": row["language"],
        "dpd": row["dpd"],
        "overdue_amount": row["overdue_amount"],
        "currency": row["currency"],
    }
    if row.get("due_date") is not None:  # a pre-due reminder names the installment, not arrears
        base.update(due_date=str(row["due_date"]), amount_due=row["amount_due"])
    variables = {
        "name": row["full_name"],
        "account_ref": str(row["account_id"])[-4:],
        "overdue_amount": row["overdue_amount"],
        "currency": row["currency"],
        "dpd": row["dpd"],
        "as_of": str(row["as_of"]),
        "due_date": str(row["due_date"]) if row.get("due_date") is not None else None,
        "amount_due": row.get("amount_due"),
        "next_debit_date": str(row["next_debit_date"]) if row.get("next_debit_date") is not None else None,
        **messages.payment.variables(str(row["account_id"])),
    }
    # what does not apply is left undefined, so a template that uses it fails instead of printing "None"
    base["text"] = compose(
        row["template"],
        {k: v for k, v in variables.items() if v is not None},
        channel=row["channel"],
        language=str(row["language"]),
        messages=messages,
        opt_out=opt_out,
    )
    if row["channel"] == "letter":
        pdf = letter_pdf(
            base["text"],
            name=str(row["full_name"]),
            address=row.get("address"),
            sender=messages.signature_for(str(row["language"])),
        )
        base["pdf_base64"] = base64.b64encode(pdf).decode("ascii")
    return {**base, **registry()[row["kind"]].payload(row)}


def message_or_failure(row: dict[str, Any], messages: Messages | None, opt_out: bool) -> dict[str, Any] | Result:
    """The row's message, or its failed Result when the message cannot be made (nothing is sent then)."""
    key = row["idempotency_key"]
    try:
        return payload(row, messages, opt_out=opt_out)
    except MessageTooLong as exc:
        return Result(key, "failed", str(exc)[:300], None, 0, None)
    except LetterError as exc:  # fixed by installing the font; then resend_failed sends it
        return Result(key, "failed", f"letter: {exc}"[:300], None, 0, None)
    except TemplateError as exc:
        return Result(key, "failed", f"template: {exc}"[:300], None, 0, None)


def cut_letter_font(rows: list[dict[str, Any]], messages: Messages | None) -> None:
    """Cut the letter font once for the letters among ``rows``: their names, addresses and the lender's
    signature (delivery/letters.py), so that the threads setting them do not each cut it again for a
    name's new characters. Without a font, nothing: each letter then fails with the fix."""
    letters = [row for row in rows if row["channel"] == "letter"]
    if not letters:
        return
    messages = messages or Messages()
    parts = [
        f"{row.get('full_name') or ''}{row.get('address') or ''}{messages.signature_for(str(row.get('language')))}"
        for row in letters
    ]
    with contextlib.suppress(LetterError):
        letter_font("".join(parts))


def send_one_by_one(
    rows: list[dict[str, Any]],
    client: PartnerClient,
    *,
    concurrency: int = 8,
    clock: Callable[[], datetime] = lambda: clock_now("UTC"),
    messages: Messages | None = None,
    opt_out: bool = False,
) -> list[Result]:
    """Send each row once (retrying inside), ``concurrency`` at a time; one Result per row.

    ``clock`` stamps what was sent: the delivery's own clock, the one its contact rules use.
    ``messages`` and ``opt_out`` are what ``payload`` adds to an SMS.
    """

    def one(row: dict[str, Any]) -> Result:
        key = row["idempotency_key"]
        message = message_or_failure(row, messages, opt_out)
        if isinstance(message, Result):
            return message
        try:
            response = client.request("POST", channel_paths()[row["channel"]], key=key, json=message)
        except (PartnerUnavailable, DeliveryRefused) as exc:
            return _not_sent(key, exc)
        body = response.json()
        return Result(key, "sent", None, str(body.get("message_id")), 1, clock())

    cut_letter_font(rows, messages)
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="deliver") as pool:
        return list(pool.map(one, rows))


def send_in_batches(
    rows: list[dict[str, Any]],
    client: PartnerClient,
    *,
    concurrency: int = 8,
    clock: Callable[[], datetime] = lambda: clock_now("UTC"),
    messages: Messages | None = None,
    opt_out: bool = False,
) -> Iterator[list[Result]]:
    """Send the rows (of one channel) in lists of ``client.batch_size``, ``concurrency`` requests in
    flight; yield each list's Results as its answer comes, so that they are written back in sets.

    A list is one request, retried as a whole with the same items and keys (the partner answers
    an item it already took as a duplicate, with its first message id).
    """
    size = max(1, client.batch_size)
    chunks = [rows[i : i + size] for i in range(0, len(rows), size)]
    cut_letter_font(rows, messages)
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="deliver") as pool:
        futures = [pool.submit(_send_list, chunk, client, clock, messages, opt_out) for chunk in chunks]
        for done in as_completed(futures):
            yield done.result()


def _send_list(
    rows: list[dict[str, Any]],
    client: PartnerClient,
    clock: Callable[[], datetime],
    messages: Messages | None,
    opt_out: bool,
) -> list[Result]:
    """One request with a list of messages: a Result per row."""
    results: list[Result] = []
    items: list[dict[str, Any]] = []
    for row in rows:
        message = message_or_failure(row, messages, opt_out)
        if isinstance(message, Result):
            results.append(message)
        else:
            items.append({"idempotency_key": row["idempotency_key"], "message": message})
    if not items:
        return results
    keys = [item["idempotency_key"] for item in items]
    try:
        response = client.request("POST", channel_paths()[rows[0]["channel"]] + BATCH_PATH, json=items)
    except (PartnerUnavailable, DeliveryRefused) as exc:
        return results + [_not_sent(k, exc) for k in keys]
    return results + item_results(keys, response, clock())


def _not_sent(key: str, exc: PartnerUnavailable | DeliveryRefused) -> Result:
    """What a request that did not go through means for an action: deferred while the partner is
    unavailable (the next delivery tries again), failed when it refused."""
    if isinstance(exc, PartnerUnavailable):
        return Result(key, "deferred", f"partner_unavailable: {exc}"[:300], None, 1, None)
    return Result(key, "failed", str(exc)[:300], None, 1, None)


def item_results(keys: list[str], response: Any, at: datetime) -> list[Result]:
    """The partner's result for each key of a list: accepted or a duplicate is sent (with the first
    message id), rejected is failed with the partner's reason. An item the answer does not name is
    deferred: the next delivery sends it again with its key."""
    try:
        answered = response.json().get("results")
    except (ValueError, AttributeError):
        answered = None
    by_key = (
        {r.get("idempotency_key"): r for r in answered if isinstance(r, dict)} if isinstance(answered, list) else {}
    )
    out = []
    for key in keys:
        item = by_key.get(key) or {}
        status, message_id = item.get("status"), item.get("message_id")
        if status in ("accepted", "duplicate") and message_id:
            out.append(Result(key, "sent", None, str(message_id), 1, at))
        elif status == "rejected":
            out.append(Result(key, "failed", f"partner rejected: {item.get('reason')}"[:300], None, 1, None))
        else:
            out.append(Result(key, "deferred", "partner_no_result: the batch answer had none for it", None, 1, None))
    return out
