"""The ``http`` feed source against the simulator's servicing API (SPEC section 2)."""

from __future__ import annotations

import json
import random

import pytest
import requests

from debt_collections.delivery.http import PartnerClient, RetryPolicy
from debt_collections.errors import FeedError
from debt_collections.feeds.csv_source import CsvSource
from debt_collections.feeds.entities import BY_NAME
from debt_collections.feeds.http_source import HttpSource, _record
from debt_collections.generator.book import BookSpec, generate_book
from debt_collections.simulator.server import SimulatorServer
from debt_collections.store.db import connect
from debt_collections.store.loading import load_drop
from tests.scenario import d, loaded_counts

DAY = "2026-11-28"


@pytest.fixture
def served_book(tmp_path):
    root = tmp_path / "book"
    generate_book(root, BookSpec(accounts=120, start=d(DAY), end=d(DAY), seed=5))
    server = SimulatorServer(book=root).start()
    yield server, root
    server.shutdown()
    server.server_close()


def client(url: str) -> PartnerClient:
    return PartnerClient(
        url, requests.Session(), RetryPolicy(attempts=8, base_delay=0.01, max_delay=0.05), rng=random.Random(1)
    )


def test_http_source_pages_through_the_api_and_loads_what_the_csv_drop_holds(db, fresh_db, served_book):
    from debt_collections.store.migrate import migrate

    server, root = served_book
    requests.post(
        server.url + "/_faults", json={"error_rate": 0.2, "rate_429": 0.1, "retry_after": 0, "seed": 3}, timeout=5
    )
    from decimal import Decimal

    load_drop(db, HttpSource(client(server.url), d(DAY)), d(DAY), portfolios=None, max_reject_ratio=Decimal("0.01"))
    migrate(fresh_db)
    load_drop(fresh_db, CsvSource(root, d(DAY)), d(DAY), portfolios=None, max_reject_ratio=Decimal("0.01"))
    assert loaded_counts(db) == loaded_counts(fresh_db)
    assert loaded_counts(db)["i"] == 120 * 36
    pages = [e for e in requests.get(server.url + "/_log", timeout=5).json() if e["path"] == "/v1/installments"]
    assert sum(1 for e in pages if e["status"] == 200) >= 120 * 36 // 500  # it really paged


def test_http_source_limited_to_a_portfolio_asks_for_that_portfolio_only(db, served_book):
    from decimal import Decimal

    server, _ = served_book
    load_drop(
        db,
        HttpSource(client(server.url), d(DAY), ["AUTO-EAST"]),
        d(DAY),
        portfolios=["AUTO-EAST"],
        max_reject_ratio=Decimal("0.01"),
    )
    with connect(db) as conn:
        portfolios = {r["portfolio"] for r in conn.execute("select distinct portfolio from collections.account")}
    assert portfolios == {"AUTO-EAST"}


def test_a_missing_day_names_the_url(served_book):
    server, _ = served_book
    with pytest.raises(
        FeedError, match=r"missing drop: GET http://127.0.0.1:\d+/v1/accounts\?as_of=2026-12-25 answered 404"
    ):
        HttpSource(client(server.url), d("2026-12-25")).check_drop()


def test_items_become_records_exactly_and_bad_items_are_marked():
    entity = BY_NAME["repayments"]
    good = json.loads(
        '{"payment_id": "p1", "account_id": "A1", "paid_at": "2026-11-01T10:00:00+08:00", "amount": 1000.10}',
        parse_float=str,
    )
    rec = _record(entity, good, 7)
    assert rec.fields == ("p1", "A1", "2026-11-01T10:00:00+08:00", "1000.10", None, None)
    assert rec.position == 7 and rec.parse_error is None
    assert _record(entity, ["not", "an", "object"], 8).parse_error == "item is not a JSON object"
    assert (
        _record(entity, {**good, "amount": {"x": 1}}, 9).parse_error == "amount: nested value where text was expected"
    )
    assert _record(entity, {**good, "channel": "a\x00b"}, 10).parse_error == "channel: contains a NUL character"


def test_a_promise_made_on_the_phone_suppresses_the_next_days_escalation(db, tmp_path):
    import pendulum

    from debt_collections.domain.params import RunParams
    from debt_collections.plan import run_day
    from debt_collections.policy.loader import load_policy
    from tests.scenario import STANDARD

    root = tmp_path / "book"
    generate_book(root, BookSpec(accounts=400, start=d("2026-11-27"), end=d("2026-11-28"), seed=21))
    server = SimulatorServer(book=root).start()
    try:
        requests.post(server.url + "/_faults", json={"promise_rate": 0.5}, timeout=5)
        policy = load_policy(STANDARD)
        partners = {c: client(server.url) for c in ("sms", "letter", "dialer", "field_app", "legal_portal")}
        for day, morning in (("2026-11-27", "2026-11-28T10:00:00+08:00"), ("2026-11-28", "2026-11-29T10:00:00+08:00")):
            run_day(
                db,
                policy,
                HttpSource(client(server.url), d(day)),
                RunParams(d(day), None, policy.stages, False),
                partners=partners,
                now=pendulum.parse(morning),
            )
        outcomes = requests.get(server.url + "/_outcomes", timeout=5).json()["2026-11-28"]
    finally:
        server.shutdown()
        server.server_close()
    promised = {e["account_id"] for e in outcomes if e["kind"] == "promise_to_pay"}
    assert promised
    with connect(db) as conn:
        events = {
            r["account_id"]
            for r in conn.execute("select account_id from collections.event where event_id like 'OUT-%'").fetchall()
        }
        next_day_calls = conn.execute(
            "select account_id, status, reason from collections.action_log "
            "where as_of = '2026-11-28' and kind = 'call' and account_id = any(%s)",
            (list(promised),),
        ).fetchall()
    assert events == promised  # the outcomes came in through the feed as events
    assert next_day_calls and all(
        (r["status"], r["reason"]) == ("suppressed", "promise_to_pay") for r in next_day_calls
    )
