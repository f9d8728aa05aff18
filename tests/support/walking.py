"""A walker that runs the same test body over ``MeetBot`` and ``AsyncMeetBot`` pagers, and
transports that watch or hold page requests on their way to the fake."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import threading
from collections.abc import AsyncIterable, Callable, Iterable
from typing import Any

import httpx

from meetbot_sdk import ApiLog, ApiLogPage, AsyncMeetBot, MeetBot
from meetbot_sdk._transport import _http
from meetbot_sdk._walk._pagination import Walk
from meetbot_sdk.testing import FakeMeetBot, instant_waits

LOGS = "/users/me/api-logs"


def ids(items: list[Any]) -> list[int]:
    """The ids of ``ApiLog`` models or of the fake's wire dicts."""
    return [item.id if isinstance(item, ApiLog) else item["id"] for item in items]


def page_requests(fake: FakeMeetBot) -> list[dict[str, str]]:
    """The query of every request the fake received for the request-log endpoint."""
    return [request.query for request in fake.requests if request.path == LOGS]


class Walker:
    """One client of either kind on a fake's in-process transport (or a given one).

    ``consume`` drives a pager (or its ``.pages()``) with ``for`` or ``async for`` alike;
    the async client lives on one event loop kept for the walker's lifetime, so a pager
    can be left and iterated again as a user would.
    """

    def __init__(
        self,
        kind: str,
        fake: FakeMeetBot,
        *,
        record_sleeps: bool = True,
        transport: Callable[[FakeMeetBot, str], Any] | None = None,
        **client_kwargs: Any,
    ) -> None:
        self.kind = kind
        self.fake = fake
        self.sleeps: list[float] = []
        self._waits = contextlib.ExitStack()  # instant waits, recorded, for the walker's life
        if record_sleeps:
            self.sleeps = self._waits.enter_context(instant_waits())
        client_kwargs.setdefault("max_retries", 10)
        made = (transport or (lambda fake, kind: fake.transport()))(fake, kind)
        # A client of the transport's library, else of the library this run chooses.
        lib = _http.backend_for(made) or _http.chosen_backend()
        if kind == "sync":
            self._http: httpx.Client | httpx.AsyncClient = lib.Client(transport=made)
            self.client: Any = MeetBot(
                fake.api_key, base_url=fake.base_url, http_client=self._http, **client_kwargs
            )
        else:
            self.loop = asyncio.new_event_loop()
            self._http = lib.AsyncClient(transport=made)
            self.client = AsyncMeetBot(
                fake.api_key, base_url=fake.base_url, http_client=self._http, **client_kwargs
            )

    def list(self, **kwargs: Any) -> Any:
        return self.client.api_logs.list(**kwargs)

    def consume(
        self,
        iterable: Iterable[Any] | AsyncIterable[Any],
        *,
        stop_after: int | None = None,
        each: Callable[[int, Any], None] | None = None,
    ) -> list[Any]:
        """Loop over ``iterable``, calling ``each(index, item)``; break after ``stop_after``."""
        items: list[Any] = []
        if stop_after == 0:
            return items
        if self.kind == "sync":
            assert isinstance(iterable, Iterable)
            for item in iterable:
                items.append(item)
                if each is not None:
                    each(len(items) - 1, item)
                if len(items) == stop_after:
                    break
            return items

        async def main() -> None:
            assert isinstance(iterable, AsyncIterable)
            async for item in iterable:
                items.append(item)
                if each is not None:
                    each(len(items) - 1, item)
                if len(items) == stop_after:
                    break

        self.run(main())
        return items

    async def consume_async(self, iterable: AsyncIterable[Any]) -> list[Any]:
        return [item async for item in iterable]

    def __enter__(self) -> Walker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def run(self, value: Any) -> Any:
        """Await ``value`` on the walker's loop if it is awaitable; else return it."""
        if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future):
            result = self.loop.run_until_complete(value)
            self.settle()
            return result
        return value

    def settle(self) -> None:
        """Let the loop finish what a left ``async for`` scheduled (closing its generator)."""
        if self.kind == "async":
            for _ in range(3):
                self.loop.run_until_complete(asyncio.sleep(0))

    def pending_tasks(self) -> set[asyncio.Task[Any]]:
        return asyncio.all_tasks(self.loop) if self.kind == "async" else set()

    def close(self) -> None:
        with self._waits:
            if self.kind == "sync":
                self.client.close()
                self._http.close()  # type: ignore[union-attr]
                return
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.run_until_complete(self.client.close())
            self.loop.run_until_complete(self._http.aclose())  # type: ignore[union-attr]
            self.loop.close()


def page_of(request: httpx.Request) -> int | None:
    """The page number a request to the request-log endpoint asks for."""
    if not request.url.path.endswith("/api-logs"):
        return None
    return int(request.url.params.get("page", "1"))


class Watching(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Passes requests to the fake, counting how many are in flight at once."""

    def __init__(self, fake: FakeMeetBot) -> None:
        self._inner = fake.transport()
        self._lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0

    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._enter()
        try:
            return self._inner.handle_request(request)
        finally:
            self._leave()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._enter()
        try:
            return await self._inner.handle_async_request(request)
        finally:
            self._leave()


class HoldPage(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Holds the first request for page ``held`` until page ``until`` has been answered, so
    the fake answers them out of order, as a slow link can."""

    def __init__(self, fake: FakeMeetBot, held: int, until: int) -> None:
        self._inner = fake.transport()
        self._held, self._until = held, until
        self._released = threading.Event()
        self._async_released: asyncio.Event | None = None
        self._holding = True

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        page = page_of(request)
        if page == self._held and self._holding:
            self._holding = False
            assert self._released.wait(5), f"page {self._until} was never asked for"
        response = self._inner.handle_request(request)
        if page == self._until:
            self._released.set()
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        page = page_of(request)
        if self._async_released is None:
            self._async_released = asyncio.Event()
        if page == self._held and self._holding:
            self._holding = False
            await asyncio.wait_for(self._async_released.wait(), 5)
        response = await self._inner.handle_async_request(request)
        if page == self._until:
            self._async_released.set()
        return response


T0 = datetime.datetime(2026, 1, 15, 12, 0, tzinfo=datetime.timezone.utc)


def log(log_id: int) -> ApiLog:
    """A log whose id is also its age order: a higher id is newer."""
    return ApiLog(
        id=log_id,
        method="GET",
        path="/api/v1/bots",
        status_code=200,
        response_time_ms=12,
        api_key_id=None,
        api_key_name=None,
        ip_address=None,
        user_agent=None,
        created_at=T0 + datetime.timedelta(seconds=log_id),
    )


class Server:
    """Logs ``count .. 1`` newest first, paged by offset like the API; ``arrive`` adds logs."""

    def __init__(self, count: int) -> None:
        self.ids = list(range(count, 0, -1))

    def arrive(self, count: int) -> None:
        top = self.ids[0] if self.ids else 0
        self.ids[:0] = range(top + count, top, -1)

    def page(self, number: int, size: int) -> ApiLogPage:
        chunk = self.ids[(number - 1) * size : number * size]
        return ApiLogPage(
            logs=[log(i) for i in chunk], total=len(self.ids), page=number, page_size=size
        )


def drain(walk: Walk) -> list[int]:
    ids = []
    while (item := walk.pop()) is not None:
        ids.append(item.id)
    return ids
