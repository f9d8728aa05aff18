"""Read-ahead for the pagers: up to ``concurrency`` page fetches in flight ahead of the loop,
on a small thread pool (:class:`ThreadReadAhead`) or as tasks (:class:`TaskReadAhead`).

The walk decides which pages to fetch (:meth:`Walk.pages_to_request`) and takes them in
order; read-ahead only starts the fetches, hands each over with whether it was sent ahead
of its turn, and stops them all when the loop ends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

from meetbot_sdk import _endpoints
from meetbot_sdk._models import ApiLogPage
from meetbot_sdk._ratelimit._throttle import Abandoned
from meetbot_sdk._walk._pagination import Walk

if TYPE_CHECKING:
    import asyncio
    from concurrent.futures import Future

    from meetbot_sdk._sender import AsyncSender, Sender

__all__ = ["PageCall", "TaskReadAhead", "ThreadReadAhead"]

_THREAD_NAME = "meetbot-sdk-read-ahead"

PageCall = Callable[[int], _endpoints.APICall[ApiLogPage]]
_Fetch = TypeVar("_Fetch")  # a future or a task


class _ReadAhead(Generic[_Fetch]):
    """The page fetches in flight, each with whether it was sent ahead of its turn."""

    def __init__(self, concurrency: int) -> None:
        self._concurrency = concurrency
        self._in_flight: dict[int, tuple[_Fetch, bool]] = {}

    def _start(self, number: int) -> _Fetch:
        raise NotImplementedError

    def schedule(self, walk: Walk) -> None:
        """Have every page the walk wants in flight."""
        for number in walk.pages_to_request(self._concurrency):
            if number not in self._in_flight:
                self._in_flight[number] = (self._start(number), number != walk.fetch_page)

    def _next(self, walk: Walk) -> tuple[_Fetch, bool]:
        self.schedule(walk)
        return self._in_flight.pop(walk.fetch_page)

    def _drop_all(self) -> list[_Fetch]:
        fetches = [fetch for fetch, _ in self._in_flight.values()]
        self._in_flight.clear()
        return fetches


class ThreadReadAhead(_ReadAhead["Future[ApiLogPage]"]):
    """Pages fetched ahead on a small thread pool, for :class:`~meetbot_sdk.ApiLogPager`.

    The workers send through a copy of the client whose retry sleeps and rate-limit waits
    give up once the walk stops, so nothing new goes out after :meth:`close`.
    """

    def __init__(self, client: Sender, page_call: PageCall, concurrency: int) -> None:
        from concurrent.futures import ThreadPoolExecutor  # only walks with read-ahead pay

        super().__init__(concurrency)
        self._stop = threading.Event()
        self._client = client._copy(stop=self._stop)  # its waits give up once we stop
        self._page_call = page_call
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix=_THREAD_NAME)

    def _fetch(self, number: int) -> ApiLogPage:
        if self._stop.is_set():
            raise Abandoned
        return self._client._request(self._page_call(number))

    def _start(self, number: int) -> Future[ApiLogPage]:
        return self._pool.submit(self._fetch, number)

    def take(self, walk: Walk) -> tuple[ApiLogPage, bool]:
        """Wait for the page the walk takes next; with whether it was fetched ahead."""
        future, fetched_ahead = self._next(walk)
        return future.result(), fetched_ahead

    def close(self) -> None:
        """Drop queued fetches, abandon waits, and let requests on the wire finish."""
        self._stop.set()
        for future in self._drop_all():
            future.cancel()
        self._client._throttle.wake_all()
        self._pool.shutdown(wait=True)


class TaskReadAhead(_ReadAhead["asyncio.Task[ApiLogPage]"]):
    """Pages fetched ahead as tasks, for :class:`~meetbot_sdk.AsyncApiLogPager`.

    Each fetch is also known to the client (and its copies), whose :meth:`close` cancels
    and awaits the fetches still running: an ``async for`` loop that was left is closed by
    asyncio a moment later, and a pool closed under a fetch in mid-connect would leave its
    socket behind.
    """

    def __init__(self, client: AsyncSender, page_call: PageCall, concurrency: int) -> None:
        super().__init__(concurrency)
        self._client = client
        self._page_call = page_call

    def _start(self, number: int) -> asyncio.Task[ApiLogPage]:
        import asyncio  # loaded already: this runs in an event loop

        task = asyncio.ensure_future(self._client._request(self._page_call(number)))
        in_flight = self._client._in_flight
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
        return task

    async def take(self, walk: Walk) -> tuple[ApiLogPage, bool]:
        """Wait for the page the walk takes next; with whether it was fetched ahead."""
        task, fetched_ahead = self._next(walk)
        return await task, fetched_ahead

    async def close(self) -> None:
        """Cancel every fetch in flight and wait until they have ended."""
        import asyncio  # import time: async walks only

        tasks = self._drop_all()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
