"""Clients of both kinds on a fake, in-process or over loopback, for the data and notebook tests;
and what a frame of the fake's logs must hold, computed from its wire dicts."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import gc
import inspect
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from meetbot_sdk import Analytics, ApiKeyUsage, ApiLogPage, AsyncMeetBot, MeetBot
from meetbot_sdk._notebook import _frames as frames_module
from meetbot_sdk.testing import FakeMeetBot

LOG_COLUMNS = [
    "id",
    "method",
    "path",
    "status_code",
    "response_time_ms",
    "api_key_id",
    "api_key_name",
    "ip_address",
    "user_agent",
    "created_at",
]
_WIRE = {
    "id": "id",
    "method": "method",
    "path": "path",
    "status_code": "statusCode",
    "response_time_ms": "responseTimeMs",
    "api_key_id": "apiKeyId",
    "api_key_name": "apiKeyName",
    "ip_address": "ipAddress",
    "user_agent": "userAgent",
    "created_at": "createdAt",
}


def parse_time(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(
        datetime.timezone.utc
    )


def expected_rows(wire_logs: Any) -> list[dict[str, Any]]:
    """The rows a frame of these logs must have: Python values, ``None`` where missing."""
    rows = []
    for log in wire_logs:
        row = {column: log[_WIRE[column]] for column in LOG_COLUMNS}
        row["created_at"] = parse_time(row["created_at"])
        rows.append(row)
    return rows


def pandas_rows(frame: Any) -> list[dict[str, Any]]:
    """A pandas frame's rows as plain Python values (``pd.NA`` -> ``None``)."""
    import pandas as pd

    return [
        {key: None if value is pd.NA else value for key, value in row.items()}
        for row in frame.to_dict("records")
    ]


def rows_of(frame: Any) -> list[dict[str, Any]]:
    """The rows of a pandas or a polars frame, as plain Python values."""
    if type(frame).__module__.startswith("polars"):
        return frame.to_dicts()  # type: ignore[no-any-return]
    return pandas_rows(frame)


@contextlib.contextmanager
def _connection(fake: FakeMeetBot, kind: str, link: str) -> Iterator[dict[str, Any]]:
    if link == "loopback":
        with fake.serve() as base_url:
            yield {"base_url": base_url}
        return
    http: httpx.Client | httpx.AsyncClient = (
        httpx.Client(transport=fake.transport("httpx"))
        if kind == "sync"
        else httpx.AsyncClient(transport=fake.transport("httpx"))
    )
    yield {"base_url": fake.base_url, "http_client": http}


def call(fake: FakeMeetBot, kind: str, link: str, fn: Callable[[Any], Any]) -> Any:
    """``fn(client)`` with a ``kind`` client on ``fake`` over ``link``; awaited if need be."""
    with _connection(fake, kind, link) as options:
        http = options.get("http_client")
        if kind == "sync":
            try:
                with MeetBot(fake.api_key, **options) as client:
                    return fn(client)
            finally:
                if http is not None:
                    http.close()

        async def main() -> Any:
            try:
                async with AsyncMeetBot(fake.api_key, **options) as client:
                    result = fn(client)
                    return await result if inspect.isawaitable(result) else result
            finally:
                if http is not None:
                    await http.aclose()

        return asyncio.run(main())


def fetched(kind: str, link: str, fake: FakeMeetBot) -> tuple[Analytics, ApiLogPage, ApiKeyUsage]:
    async def fetch_async(client: Any) -> Any:
        return (
            await client.analytics.get(period="90d"),
            await client.api_logs.get_page(page_size=100),
            await client.api_keys.get_usage(1),
        )

    def fetch(client: Any) -> Any:
        if kind == "async":
            return fetch_async(client)
        return (
            client.analytics.get(period="90d"),
            client.api_logs.get_page(page_size=100),
            client.api_keys.get_usage(1),
        )

    result: tuple[Analytics, ApiLogPage, ApiKeyUsage] = call(fake, kind, link, fetch)
    return result


def analytics_of(calls: dict[str, int], bots: dict[str, int]) -> Analytics:
    data = {
        "apiCalls": {
            "today": 1,
            "thisMonth": 2,
            "total": 3,
            "dailyBreakdown": [{"date": d, "count": n} for d, n in calls.items()],
        },
        "bots": {
            "created": 1,
            "active": 0,
            "platformBreakdown": {},
            "statusBreakdown": {},
            "dailyCreated": [{"date": d, "count": n} for d, n in bots.items()],
        },
        "recordings": {"total": 0, "totalDurationSeconds": 0, "storageUsedMb": 0.0},
        "transcriptions": {"total": 0, "totalMinutes": 0.0},
        "webhooks": {"totalDeliveries": 0, "successRate": 0.0, "avgResponseTimeMs": 0.0},
    }
    return Analytics.from_dict(data)


def page_usage_and_analytics(kind: str) -> Callable[[Any], Any]:
    """For :func:`call`: page 2 of 30 logs, key 2's usage and 90 days of analytics, from a
    client of ``kind`` (``"sync"`` or ``"async"``: then a coroutine)."""

    async def fetch_async(client: Any) -> tuple[Any, ...]:
        return (
            await client.api_logs.get_page(page=2, page_size=30),
            await client.api_keys.get_usage(2),
            await client.analytics.get(period="90d"),
        )

    def fetch(client: Any) -> Any:
        if kind == "async":
            return fetch_async(client)
        return (
            client.api_logs.get_page(page=2, page_size=30),
            client.api_keys.get_usage(2),
            client.analytics.get(period="90d"),
        )

    return fetch


def built_holding_a_page_at_most(
    monkeypatch: Any, build: Callable[[Any], Any], log_count: int = 1_000
) -> tuple[Any, list[int]]:
    """Run ``build`` (given a sync client of a fake with ``log_count`` logs) and count, after
    each page the frame builder adds, the logs still alive: what it built, and the counts."""
    alive: list[int] = []
    seen: weakref.WeakSet[Any] = weakref.WeakSet()  # every log handed over, while alive
    add_page = frames_module.LogFrameBuilder.add_page

    def counting(self: Any, page: Any) -> None:
        seen.update(page.logs)
        add_page(self, page)
        del page
        gc.collect()
        alive.append(len(seen))

    monkeypatch.setattr(frames_module.LogFrameBuilder, "add_page", counting)
    fake = FakeMeetBot(log_count=log_count)
    # What the suite made before this test cannot hold a log of it: kept out of the collections
    # above, which would otherwise walk every object alive in the process each time.
    gc.freeze()
    try:
        built = call(fake, "sync", "in-process", build)
    finally:
        gc.unfreeze()
    return built, alive
