"""HTTP calls to partners that survive a bad day: retries with backoff and jitter (tenacity),
``Retry-After``, a rate limit and a circuit breaker. No Airflow here: the Airflow
layer hands in a ``requests.Session`` built by the http provider's HttpHook."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from tenacity import RetryCallState, RetryError, Retrying, retry_if_exception_type, stop_after_attempt

from debt_collections.errors import ConfigError, DeliveryRefused, PartnerUnavailable

RETRYABLE_STATUS = {429, 500, 502, 503, 504}
# a partner connection's extra keys the product reads itself, with their bounds
PARTNER_EXTRAS = {"batch_size": (0, 1000), "concurrency": (1, 64)}

__all__ = [
    "PARTNER_EXTRAS",
    "CircuitBreaker",
    "DeliveryRefused",
    "PartnerClient",
    "PartnerUnavailable",
    "RateLimiter",
    "RetryPolicy",
    "partner_limits",
]


def partner_limits(conn_id: str, extra: dict[str, Any]) -> dict[str, int]:
    """``batch_size`` and ``concurrency`` from a partner connection's extra, checked (ConfigError)."""
    out = {}
    for key, (low, high) in PARTNER_EXTRAS.items():
        if key not in extra:
            continue
        value = extra[key]
        number = int(value) if str(value).strip().isdigit() else low - 1
        if not low <= number <= high:
            raise ConfigError(
                f"connection {conn_id}: extra {key} must be a whole number from {low} to {high}, got {value!r}"
            )
        out[key] = number
    return out


class _Transient(Exception):
    """One attempt failed in a way the next may not: no answer, a 5xx, a 429."""

    def __init__(self, what: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(what)
        self.status, self.retry_after = status, retry_after


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one request."""

    attempts: int = 6
    base_delay: float = 0.1
    max_delay: float = 5.0
    timeout: float = 2.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Exponential backoff with full jitter (``attempt`` counts from 0)."""
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))

    def retry_after(self, seconds: float) -> float:
        """How long to honour a partner's ``Retry-After``: as asked, up to four times the longest backoff."""
        return min(seconds, self.max_delay * 4)


@dataclass
class CircuitBreaker:
    """Opens after ``threshold`` failures in a row; stays open for the rest of the task."""

    threshold: int = 20
    failures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def open(self) -> bool:
        return self.failures >= self.threshold

    def record(self, ok: bool) -> None:
        with self.lock:
            self.failures = 0 if ok else self.failures + 1


@dataclass
class RateLimiter:
    """At most ``per_second`` requests per second across threads (0 = unlimited)."""

    per_second: float = 0
    _next: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, sleep: Callable[[float], None] = time.sleep) -> None:
        if not self.per_second:
            return
        with self.lock:
            now = time.monotonic()
            at = max(now, self._next)
            self._next = at + 1 / self.per_second
        if at > now:
            sleep(at - now)


@dataclass
class PartnerClient:
    """One partner: a base URL, a session (credentials from its Airflow connection) and its limits.

    ``batch_size`` above 1 says the partner takes a list per request (``POST <path>/batch``,
    a result per item), that many items a request; 0 or 1: one message per request.
    ``concurrency`` bounds the requests in flight to this partner from one delivery
    (None: the delivery's default). Both come from the connection's extra.
    """

    base_url: str
    session: requests.Session
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker: CircuitBreaker = field(default_factory=CircuitBreaker)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    rng: random.Random = field(default_factory=random.Random)
    sleep: Callable[[float], None] = time.sleep
    batch_size: int = 0
    concurrency: int | None = None

    @property
    def batches(self) -> bool:
        """Whether this partner is sent lists (its batch endpoint) rather than one message a request."""
        return self.batch_size > 1

    def request(self, method: str, path: str, *, key: str | None = None, **kwargs: Any) -> requests.Response:
        """Send one request, retrying what can be retried; the final 2xx response.

        Raises PartnerUnavailable when the circuit is open, DeliveryRefused (with the
        partner's status code) when the partner refused or the attempts ran out.
        """
        headers = dict(kwargs.pop("headers", {}) or {})
        if key:
            headers["Idempotency-Key"] = key
        retrying = Retrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_Transient),
            sleep=self.sleep,
        )
        try:
            response: requests.Response = retrying(self._once, method, path, headers, kwargs)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            status = last.status if isinstance(last, _Transient) else None
            raise DeliveryRefused(
                f"gave up after {self.retry.attempts} attempts ({last})", status=status, retryable=True
            ) from None
        return response

    def _once(self, method: str, path: str, headers: dict[str, str], kwargs: dict[str, Any]) -> requests.Response:
        """One attempt, under the circuit breaker and the rate limit."""
        if self.breaker.open:
            raise PartnerUnavailable(f"{self.base_url}: circuit open after repeated failures")
        self.limiter.wait(self.sleep)
        url = self.base_url.rstrip("/") + path
        try:
            response = self.session.request(method, url, headers=headers, timeout=self.retry.timeout, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            self.breaker.record(False)
            raise _Transient(type(exc).__name__) from exc
        status = response.status_code
        if status < 400:
            self.breaker.record(True)
            return response
        if status not in RETRYABLE_STATUS:
            self.breaker.record(True)  # the partner is up; it refused this request
            raise DeliveryRefused(f"partner answered {status}: {response.text[:200]}", status=status)
        self.breaker.record(status == 429)  # 429 means alive but busy
        after = response.headers.get("Retry-After")
        seconds = float(after) if status == 429 and after and after.isdigit() else None
        raise _Transient(f"HTTP {status}", status=status, retry_after=seconds)

    def _wait(self, state: RetryCallState) -> float:
        """Seconds before the next attempt: a 429's ``Retry-After`` when it gave one, else jittered backoff."""
        failed = state.outcome.exception() if state.outcome else None
        if isinstance(failed, _Transient) and failed.retry_after is not None:
            return self.retry.retry_after(failed.retry_after)
        return self.retry.delay(state.attempt_number - 1, self.rng)
