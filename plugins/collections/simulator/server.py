"""The partner simulator: one real HTTP server on a loopback port.

It plays every partner the product talks to:

- the loan servicing API of SPEC section 2: ``GET /v1/<entity>?as_of=D&portfolio=P&cursor=C``
  -> ``{"items": [...], "next_cursor": "..." | null}``, served from a folder of csv drops;
- the SMS gateway (``POST /v1/sms``), the letter house (``/v1/letters``), the dialer
  (``/v1/dialer/queue``), the field app (``/v1/field/visits``), the law-firm portal
  (``/v1/legal/referrals``), the recovery agency (``/v1/repossessions``) and the
  operations team's alert webhook (``/v1/alerts``). Each
  deduplicates on the ``Idempotency-Key`` header: the same key again returns the
  first answer with ``"duplicate": true``.

The SMS gateway, the letter house and the dialer also take a list per request, as
real gateways do: ``POST <partner path>/batch`` (e.g. ``/v1/sms/batch``) with a JSON
list of ``{"idempotency_key": K, "message": {...}}``, at most ``MAX_BATCH`` items,
answers ``{"results": [...]}``, one per item in the order sent: ``{"idempotency_key",
"status": "accepted", "message_id"}``, ``"duplicate"`` with the first message id, or
``"rejected"`` with a ``reason``. Each item is deduplicated on its own key exactly as
the single endpoint does; faults, latency and a lost answer apply to the request as a
whole. ``reject_rate`` rejects a share of keys (deterministic per key) on both
endpoints: the single one answers 422 with the reason.

Each dialer call gets an outcome (promise to pay with ``promise_rate``, else no answer
or refused); promises come back as ``events`` of the next business date on the
servicing API, so the next run applies them. ``GET /_outcomes`` lists them.

Every accepted message later gets a delivery receipt, readable by the product at
``GET <partner path>/receipts?cursor=C`` (e.g. ``/v1/sms/receipts``), paged like
the servicing API: ``{"items": [{"message_id", "reference", "status", "reason",
"at"}], "next_cursor"}``. A receipt is ``delivered``, or ``failed`` with the
partner's reason for a share ``undeliverable_rate`` (deterministic per key). The
dialer's receipts add ``attempts`` (dials made on the entry: all it was allowed when
nobody answered) and ``connected``; ``no_answer_rate`` sets how many go unanswered.

Switches (``POST /_faults`` with JSON): ``latency_ms``, ``error_rate`` (answers 503),
``rate_429`` (answers 429 with ``Retry-After: retry_after``), ``timeout_rate`` (sleeps
``timeout_s`` before answering), ``drop_rate`` (accepts, then closes the connection
without an answer), ``reject_rate``, ``seed``. ``GET /_log`` lists every request received; ``GET
/_accepted`` lists accepted deliveries (one per key); ``POST /_reset`` clears both.
"""

from __future__ import annotations

import csv
import json
import random
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from debt_collections.feeds.entities import BY_NAME

PARTNER_PATHS = (
    "/v1/sms",
    "/v1/letters",
    "/v1/dialer/queue",
    "/v1/field/visits",
    "/v1/legal/referrals",
    "/v1/repossessions",
    "/v1/alerts",
)
BATCH_PATHS = ("/v1/sms", "/v1/letters", "/v1/dialer/queue")  # partners that take a list per request
MAX_BATCH = 1000
PAGE_SIZE = 500
REJECTED = "rejected: invalid destination (simulated)"


@dataclass
class Faults:
    """What goes wrong, and how often."""

    latency_ms: int = 0
    error_rate: float = 0.0
    rate_429: float = 0.0
    retry_after: int = 1
    timeout_rate: float = 0.0
    timeout_s: float = 3.0
    drop_rate: float = 0.0
    promise_rate: float = 0.2
    no_answer_rate: float = 0.7  # a call that is no promise is unanswered below this roll, else refused
    undeliverable_rate: float = 0.0
    reject_rate: float = 0.0  # refused on arrival (422, or "rejected" in a batch), deterministic per key
    seed: int = 1


class State:
    """Everything the simulator remembers, behind one lock."""

    def __init__(self, book: Path | None):
        self.book = book
        self.lock = threading.Lock()
        self.faults = Faults()
        self.rng = random.Random(1)
        self.log: list[dict[str, Any]] = []
        self.accepted: dict[str, dict[str, Any]] = {}
        self.outcomes: dict[str, list[dict[str, Any]]] = {}  # business date -> call outcomes
        self.receipts: dict[str, list[dict[str, Any]]] = {}  # partner path -> receipts, in order
        self._portfolio_of: dict[str, dict[str, str]] = {}

    def outcome_for(self, path: str, key: str, body: Any) -> None:
        """A dialer call ends with an outcome; a promise to pay becomes an event of the next day.

        Deterministic per idempotency key, so a rerun of the same calls gives the same outcomes.
        Callers hold ``self.lock``.
        """
        if path != "/v1/dialer/queue" or not isinstance(body, dict) or not body.get("as_of"):
            return
        outcome = self.call_outcome(key)
        called_on = date.fromisoformat(body["as_of"]) + timedelta(days=1)
        event = {
            "event_id": f"OUT-{key}",
            "account_id": body.get("account_id"),
            "at": f"{called_on.isoformat()}T10:30:00+08:00",
            "kind": outcome,
            "amount": body.get("overdue_amount") or "",
            "until": (called_on + timedelta(days=7)).isoformat(),
        }
        self.outcomes.setdefault(called_on.isoformat(), []).append(event)

    def call_outcome(self, key: str) -> str:
        """A call's outcome, deterministic per idempotency key."""
        roll = random.Random(key).random()
        if roll < self.faults.promise_rate:
            return "promise_to_pay"
        return "no_answer" if roll < self.faults.no_answer_rate else "refused"

    def receipt_for(self, path: str, key: str, message_id: str, body: Any = None) -> None:
        """The partner's later word on an accepted message. Callers hold ``self.lock``.

        The dialer's receipt also says how many times it dialled the entry (all of its
        ``max_attempts`` when nobody answered) and whether a call connected.
        """
        failed = random.Random(f"receipt:{key}").random() < self.faults.undeliverable_rate
        reason = {"/v1/sms": "unreachable: number not in service", "/v1/letters": "returned: addressee unknown"}.get(
            path, "rejected: no agent or firm for the region"
        )
        receipt = {
            "message_id": message_id,
            "reference": key,
            "status": "failed" if failed else "delivered",
            "reason": reason if failed else None,
            "at": time.time(),
        }
        if path == "/v1/dialer/queue" and isinstance(body, dict):
            allowed = max(1, int(body.get("max_attempts") or 1))
            connected = self.call_outcome(key) != "no_answer"
            tries = 1 + int(random.Random(f"attempts:{key}").random() * allowed) if connected else allowed
            receipt.update(attempts=tries, connected=connected)
        self.receipts.setdefault(path, []).append(receipt)

    def accept(self, path: str, key: str, body: Any) -> tuple[dict[str, Any] | None, bool]:
        """Take one message: (its first acceptance, whether this one is a duplicate); (None, False) when
        it is rejected. Callers hold ``self.lock``."""
        first = self.accepted.get(key)
        if first is not None:
            return first, True
        if random.Random(f"reject:{key}").random() < self.faults.reject_rate:
            return None, False
        first = {
            "key": key,
            "path": path,
            "message_id": f"M-{len(self.accepted) + 1:08d}",
            "body": body,
            "at": time.time(),
        }
        self.accepted[key] = first
        self.outcome_for(path, key, body)
        self.receipt_for(path, key, first["message_id"], body)
        return first, False

    def take_item(self, path: str, item: dict[str, Any]) -> dict[str, Any]:
        """One item of a batch: accepted, duplicate (with the first message id) or rejected (with the reason).
        Logged like a single request. Callers hold ``self.lock``."""
        key = item.get("idempotency_key")
        first, duplicate = (
            self.accept(path, key, item.get("message")) if isinstance(key, str) and key else (None, False)
        )
        entry = {"path": f"{path}/batch", "key": key, "status": 200 if first else 422, "duplicate": duplicate}
        self.log.append({**entry, "at": time.time()})
        if first is None:
            reason = REJECTED if isinstance(key, str) and key else "rejected: idempotency_key is required"
            return {"idempotency_key": key, "status": "rejected", "reason": reason}
        status = "duplicate" if duplicate else "accepted"
        return {"idempotency_key": key, "status": status, "message_id": first["message_id"]}

    def roll(self) -> float:
        with self.lock:
            return self.rng.random()

    def portfolio_of(self, as_of: str) -> dict[str, str]:
        """account_id -> portfolio for a day's drop (for the portfolio filter)."""
        if self.book is None:
            return {}  # no book served: no feed, so nothing to filter
        with self.lock:
            if as_of not in self._portfolio_of:
                mapping: dict[str, str] = {}
                path = self.book / as_of / "accounts.csv"
                with path.open(encoding="utf-8", newline="") as fh:
                    for row in csv.DictReader(fh):
                        mapping[row["account_id"]] = row["portfolio"]
                self._portfolio_of[as_of] = mapping
            return self._portfolio_of[as_of]


class Handler(BaseHTTPRequestHandler):
    """One request."""

    server: SimulatorServer
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt: str, *args: Any) -> None:  # quiet: the log is /_log
        pass

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body, default=str).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw else None

    def do_GET(self) -> None:  # http.server's naming
        state = self.server.state
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/_log":
            with state.lock:
                return self._json(200, list(state.log))
        if url.path == "/_accepted":
            with state.lock:
                return self._json(200, list(state.accepted.values()))
        if url.path == "/_outcomes":
            with state.lock:
                return self._json(200, state.outcomes)
        if url.path.startswith("/v1/") and url.path[4:] in BY_NAME:
            return self._feed(url.path[4:], urllib.parse.parse_qs(url.query))
        if url.path.endswith("/receipts") and url.path[: -len("/receipts")] in PARTNER_PATHS:
            return self._receipts(url.path[: -len("/receipts")], urllib.parse.parse_qs(url.query))
        return self._json(404, {"error": f"no such path {url.path}"})

    def _receipts(self, path: str, query: dict[str, list[str]]) -> None:
        cursor_text = (query.get("cursor") or ["0"])[0] or "0"
        if not cursor_text.isdigit():
            return self._json(400, {"error": f"bad cursor {cursor_text!r}"})
        if self._faulty(f"{path}/receipts", None):
            return None
        cursor = int(cursor_text)
        with self.server.state.lock:
            receipts = list(self.server.state.receipts.get(path, []))
        page = receipts[cursor : cursor + PAGE_SIZE]
        self._record({"path": f"{path}/receipts", "key": None, "status": 200, "at": time.time()})
        # the cursor of the last page is kept, so that later receipts are read from there
        return self._json(200, {"items": page, "next_cursor": str(cursor + len(page))})

    def do_POST(self) -> None:
        state = self.server.state
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/_faults":
            with state.lock:
                state.faults = Faults(**{**asdict(state.faults), **(self._body() or {})})
                state.rng = random.Random(state.faults.seed)
            return self._json(200, asdict(state.faults))
        if url.path == "/_reset":
            with state.lock:
                state.log.clear()
                state.accepted.clear()
                state.outcomes.clear()
                state.receipts.clear()
                state.faults = Faults()
            return self._json(200, {"reset": True})
        if url.path in PARTNER_PATHS:
            return self._partner(url.path)
        if url.path.endswith("/batch") and url.path[: -len("/batch")] in BATCH_PATHS:
            return self._batch(url.path[: -len("/batch")])
        return self._json(404, {"error": f"no such path {url.path}"})

    def _faulty(self, path: str, key: str | None, **more: Any) -> bool:
        """Apply latency and faults; True when the request was answered (or dropped) by a fault."""
        state, faults = self.server.state, self.server.state.faults
        if faults.latency_ms:
            time.sleep(faults.latency_ms / 1000)
        roll = state.roll()
        entry = {"path": path, "key": key, "at": time.time(), **more}
        if roll < faults.error_rate:
            self._record({**entry, "status": 503})
            self._json(503, {"error": "service unavailable (simulated)"})
            return True
        roll -= faults.error_rate
        if roll < faults.rate_429:
            self._record({**entry, "status": 429})
            self._json(429, {"error": "too many requests (simulated)"}, {"Retry-After": str(faults.retry_after)})
            return True
        roll -= faults.rate_429
        if roll < faults.timeout_rate:
            self._record({**entry, "status": "timeout"})
            time.sleep(faults.timeout_s)
            self._json(504, {"error": "late answer (simulated)"})
            return True
        return False

    def _record(self, entry: dict[str, Any]) -> None:
        with self.server.state.lock:
            self.server.state.log.append(entry)

    def _partner(self, path: str) -> None:
        state = self.server.state
        key = self.headers.get("Idempotency-Key")
        body = self._body()
        if not key:
            self._record({"path": path, "key": None, "status": 400, "at": time.time()})
            return self._json(400, {"error": "Idempotency-Key header is required"})
        if self._faulty(path, key):
            return None
        with state.lock:
            first, duplicate = state.accept(path, key, body)
            status = 200 if first else 422
            state.log.append({"path": path, "key": key, "status": status, "duplicate": duplicate, "at": time.time()})
            drop = first is not None and state.rng.random() < state.faults.drop_rate
        if first is None:
            return self._json(422, {"error": REJECTED})
        if drop:
            # accepted, but the answer is lost: the client must retry with the same key
            self.close_connection = True
            self.connection.shutdown(2)
            return None
        return self._json(200, {"message_id": first["message_id"], "status": "accepted", "duplicate": duplicate})

    def _batch(self, path: str) -> None:
        """A list of messages in one request: a result per item, each deduplicated on its own key."""
        state = self.server.state
        items = self._body()
        problem = _batch_problem(items)
        if problem:
            self._record({"path": f"{path}/batch", "key": None, "status": 400, "at": time.time()})
            return self._json(400 if "at most" not in problem else 413, {"error": problem})
        if self._faulty(f"{path}/batch", None, items=len(items)):
            return None
        with state.lock:
            results = [state.take_item(path, item) for item in items]
            drop = state.rng.random() < state.faults.drop_rate
        if drop:  # every item taken, the answer lost: the client retries the batch with the same keys
            self.close_connection = True
            self.connection.shutdown(2)
            return None
        return self._json(200, {"results": results})

    def _feed(self, entity: str, query: dict[str, list[str]]) -> None:
        state = self.server.state
        as_of = (query.get("as_of") or [""])[0]
        portfolio = query["portfolio"][0] if query.get("portfolio") else None
        cursor = int((query.get("cursor") or ["0"])[0] or 0)
        if self._faulty(f"/v1/{entity}", None):
            return None
        path = state.book / as_of / f"{entity}.csv" if state.book else None
        if path is None or not path.is_file():
            return self._json(404, {"error": f"no {entity} for as_of={as_of}"})
        owner = state.portfolio_of(as_of) if portfolio else {}
        items: list[dict[str, Any]] = []
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            for row in reader:
                if portfolio:
                    if entity == "customers":
                        pass  # customers are filtered by the caller's accounts
                    elif entity == "accounts":
                        if row.get("portfolio") != portfolio:
                            continue
                    elif owner.get(row.get("account_id", "")) != portfolio:
                        continue
                items.append(row)
        if entity == "events":
            # promises made on the phone come back as events of the day they were made
            with state.lock:
                made = [e for e in state.outcomes.get(as_of, []) if e["kind"] == "promise_to_pay"]
            items.extend(e for e in made if not portfolio or owner.get(e["account_id"]) == portfolio)
        page = items[cursor : cursor + PAGE_SIZE]
        next_cursor = str(cursor + PAGE_SIZE) if cursor + PAGE_SIZE < len(items) else None
        self._record({"path": f"/v1/{entity}", "key": None, "status": 200, "at": time.time()})
        return self._json(200, {"items": page, "next_cursor": next_cursor})


def _batch_problem(items: Any) -> str | None:
    """Why a batch request's body is not a batch, or None."""
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return "the body must be a JSON list of {idempotency_key, message}"
    if len(items) > MAX_BATCH:
        return f"at most {MAX_BATCH} items per request, got {len(items)}"
    return None


class SimulatorServer(ThreadingHTTPServer):
    """The simulator bound to a loopback port (0 = any free port)."""

    daemon_threads = True

    def __init__(self, port: int = 0, book: str | Path | None = None):
        super().__init__(("127.0.0.1", port), Handler)
        self.state = State(Path(book) if book else None)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeouts are simulated on purpose) is not an error here."""
        import sys

        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)

    def start(self) -> SimulatorServer:
        """Serve in a background thread (for tests and the demo)."""
        threading.Thread(target=self.serve_forever, name="partner-simulator", daemon=True).start()
        return self
