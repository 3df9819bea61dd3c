"""HTTP calls to partners that survive a bad day: retries with backoff and jitter,
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

RETRYABLE_STATUS = {429, 500, 502, 503, 504}


class PartnerUnavailable(Exception):
    """The circuit is open: the partner is down; try again in a later run."""


class DeliveryRefused(Exception):
    """The partner refused the request for good (a 4xx other than 429), or retries ran out."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one request."""

    attempts: int = 6
    base_delay: float = 0.1
    max_delay: float = 5.0
    timeout: float = 2.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Exponential backoff with full jitter."""
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


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
    """One partner: a base URL, a session (credentials from its Airflow connection) and its limits."""

    base_url: str
    session: requests.Session
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker: CircuitBreaker = field(default_factory=CircuitBreaker)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    rng: random.Random = field(default_factory=random.Random)
    sleep: Callable[[float], None] = time.sleep

    def request(self, method: str, path: str, *, key: str | None = None, **kwargs: Any) -> requests.Response:
        """Send one request, retrying what can be retried; the final 2xx response."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if key:
            headers["Idempotency-Key"] = key
        last = "no attempt made"
        for attempt in range(self.retry.attempts):
            if self.breaker.open:
                raise PartnerUnavailable(f"{self.base_url}: circuit open after repeated failures ({last})")
            self.limiter.wait(self.sleep)
            try:
                response = self.session.request(
                    method, self.base_url.rstrip("/") + path, headers=headers, timeout=self.retry.timeout, **kwargs
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = f"{type(exc).__name__}"
                self.breaker.record(False)
                self.sleep(self.retry.delay(attempt, self.rng))
                continue
            if response.status_code < 400:
                self.breaker.record(True)
                return response
            last = f"HTTP {response.status_code}"
            if response.status_code not in RETRYABLE_STATUS:
                self.breaker.record(True)  # the partner is up; it refused this request
                raise DeliveryRefused(f"partner answered {response.status_code}: {response.text[:200]}")
            self.breaker.record(response.status_code == 429)  # 429 means alive but busy
            retry_after = response.headers.get("Retry-After")
            if response.status_code == 429 and retry_after and retry_after.isdigit():
                self.sleep(min(float(retry_after), self.retry.max_delay * 4))
            else:
                self.sleep(self.retry.delay(attempt, self.rng))
        raise DeliveryRefused(f"gave up after {self.retry.attempts} attempts ({last})")
