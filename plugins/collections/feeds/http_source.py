"""The ``http`` source: the servicing API, ``GET /v1/<entity>?as_of=D&portfolio=P&cursor=C``."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pendulum

from debt_collections.delivery.http import DeliveryRefused, PartnerClient, PartnerUnavailable
from debt_collections.errors import FeedError
from debt_collections.feeds.base import Record, clean_field
from debt_collections.feeds.entities import Entity


class HttpSource:
    """A day's data pulled page by page from the servicing API, streamed (never all in memory)."""

    def __init__(self, client: PartnerClient, feed_date: pendulum.Date, portfolios: list[str] | None = None):
        self.client = client
        self.as_of = feed_date.to_date_string()
        self.portfolios: list[str | None] = list(portfolios) if portfolios else [None]

    def _url(self, entity: str, portfolio: str | None, cursor: str | None = None) -> str:
        query = {
            "as_of": self.as_of,
            **({"portfolio": portfolio} if portfolio else {}),
            **({"cursor": cursor} if cursor else {}),
        }
        return f"/v1/{entity}?{urllib.parse.urlencode(query)}"

    def location(self, entity: Entity) -> str:
        return self.client.base_url.rstrip("/") + self._url(entity.name, None)

    def _page(self, path: str) -> dict[str, Any] | None:
        try:
            response = self.client.request("GET", path)
        except (DeliveryRefused, PartnerUnavailable) as exc:
            if isinstance(exc, DeliveryRefused) and exc.status == 404:
                return None  # no such day or entity
            raise FeedError(f"feed {self.client.base_url.rstrip('/')}{path}: {exc}") from exc
        # amounts stay exact: JSON numbers are read as text, never as float
        body = json.loads(response.text, parse_float=str, parse_int=str)
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise FeedError(f"feed {self.client.base_url.rstrip('/')}{path}: answer is not {{items, next_cursor}}")
        return body

    def check_drop(self) -> None:
        path = self._url("accounts", self.portfolios[0])
        if self._page(path) is None:
            raise FeedError(f"missing drop: GET {self.client.base_url.rstrip('/')}{path} answered 404")

    def file(self, entity: Entity) -> None:
        """No file: the loader reads ``records``."""
        return None

    def records(self, entity: Entity) -> Iterator[Record] | None:
        first = self._page(self._url(entity.name, self.portfolios[0]))
        if first is None:
            if entity.optional:
                return None
            raise FeedError(f"missing drop: GET {self.location(entity)} answered 404")
        return self._stream(entity, first)

    def _stream(self, entity: Entity, first: dict[str, Any]) -> Iterator[Record]:
        position = 0
        seen_customers: set[str] = set()
        for index, portfolio in enumerate(self.portfolios):
            page = first if index == 0 else self._page(self._url(entity.name, portfolio))
            while page is not None:
                for item in page["items"]:
                    if entity.name == "customers" and isinstance(item, dict):
                        # the API sends customers unfiltered: one copy per run is enough
                        if item.get("customer_id") in seen_customers:
                            continue
                        seen_customers.add(str(item.get("customer_id")))
                    position += 1
                    yield _record(entity, item, position)
                cursor = page.get("next_cursor")
                page = self._page(self._url(entity.name, portfolio, str(cursor))) if cursor else None


def _record(entity: Entity, item: object, position: int) -> Record:
    raw = json.dumps(item, ensure_ascii=False, default=str)[:8192].replace("\x00", "\\x00")
    blank = (None,) * len(entity.fields)
    if not isinstance(item, dict):
        return Record(position, blank, raw, "item is not a JSON object")
    fields: list[str | None] = []
    for name in entity.fields:
        value = item.get(name)
        if isinstance(value, (dict, list)):
            return Record(position, blank, raw, f"{name}: nested value where text was expected")
        text, error = clean_field(None if value is None else str(value))
        if error:
            return Record(position, blank, raw, f"{name}: {error}")
        fields.append(text)
    return Record(position, tuple(fields), raw)
