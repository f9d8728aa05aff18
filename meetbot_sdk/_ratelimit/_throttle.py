"""The proactive rate-limit throttle: wait for the budget rather than provoke a 429.

:class:`Throttle` puts a :class:`~meetbot_sdk._ratelimit._window.Window` (the pure
arithmetic) behind one lock and adds the two ways to wait: on a
:class:`threading.Condition` for threads, on loop futures for asyncio tasks. One throttle
is shared by a client and its ``with_options`` copies. With a :class:`Store` (a shared
budget), the window that counts is the fleet's.
"""

from __future__ import annotations

import datetime
import math
import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

import attrs

from meetbot_sdk._ratelimit._window import (
    BLOCKING_STATUSES,
    MAX_LEASE_SECONDS,
    Admit,
    Decision,
    Refuse,
    Wait,
    Window,
    lease_seconds,
)
from meetbot_sdk._retry import Budget, parse_budget, rate_headers, server_wait
from meetbot_sdk._utils._clock import CLOCK
from meetbot_sdk._utils._logs import logger

if TYPE_CHECKING:
    import asyncio

    import httpx

__all__ = [
    "BLOCKING_STATUSES",
    "MAX_LEASE_SECONDS",
    "Abandoned",
    "Admit",
    "RateLimit",
    "Refuse",
    "Store",
    "StoreUnavailable",
    "Throttle",
    "Wait",
    "Window",
    "lease_seconds",
]


class Abandoned(Exception):  # noqa: N818 (a signal, like asyncio's CancelledError, not an error)
    """A request was given up before it was sent: whoever wanted it has stopped.

    Raised in read-ahead workers of a pager whose loop has ended, out of a rate-limit wait
    or a retry sleep; it never reaches users.
    """


@attrs.frozen
class RateLimit:
    """The rate-limit budget the last response stated, as :attr:`MeetBot.rate_limit` shows it.

    Attributes:
        limit: Requests allowed per window, when the server said.
        remaining: Requests left in the window when the response was sent.
        reset: When the window resets (aware, UTC), when the server said.
    """

    limit: int | None
    remaining: int
    reset: datetime.datetime | None


class StoreUnavailable(Exception):  # noqa: N818 (a signal between a store and the throttle)
    """A shared budget could not be read or updated in time; the throttle goes on alone."""


class Store(Protocol):
    """Where a shared budget keeps its :class:`Window`: :class:`~meetbot_sdk.FileBudget`,
    :class:`~meetbot_sdk.RedisBudget`. Each call reads the record, applies ``change`` to it
    with the store's current time, and writes it back, atomically across the fleet."""

    def transact(self, key: str, change: Callable[[Window, float], _T]) -> _T: ...

    async def transact_async(self, key: str, change: Callable[[Window, float], _T]) -> _T: ...

    def describe(self) -> str: ...


_T = TypeVar("_T")
SHARED_POLL_SECONDS = 0.02
"""How often a request held for another process's answer looks at the shared budget again."""
REJOIN_AFTER_SECONDS = 1.0
"""After a shared budget failed, how long the throttle goes on alone before trying it again."""


class Throttle:
    """The :class:`Window` of one client and its copies, behind a lock, with waiting.

    With a ``store``, the window that counts is the shared one; this process's own window
    still learns from every response, and stands in (with one warning) while the store
    cannot be reached, until it can again.
    """

    def __init__(
        self,
        clock: Callable[[], float] = CLOCK.monotonic,
        *,
        store: Store | None = None,
        key: str = "",
    ) -> None:
        self._clock = clock
        self._window = Window()
        self._store = store
        self._key = key
        self._alone_until: float | None = None  # monotonic: the store failed; try it then
        self._condition = threading.Condition(threading.Lock())
        self._generation = 0  # bumped by every release: a wait decided before it is stale
        self._waiters: set[asyncio.Future[None]] = set()
        self._sleepers = 0  # threads waiting on the condition: a release wakes them
        # The budget the last response stated and when (wall clock), read into a RateLimit
        # only when someone asks (see last_seen): most responses are never looked at.
        self._last_budget: tuple[Budget, float] | None = None
        self._last_seen: tuple[tuple[Budget, float], RateLimit] | None = None  # read from it

    @property
    def window(self) -> Window:
        """This process's own state (for tests and diagnostics; read it, do not change it)."""
        return self._window

    @property
    def last_seen(self) -> RateLimit | None:
        """The rate-limit budget the last response stated (see :attr:`MeetBot.rate_limit`)."""
        stated = self._last_budget
        if stated is None:
            return None
        read = self._last_seen
        if read is not None and read[0] is stated:
            return read[1]
        budget, wall = stated
        reset = None
        if budget.reset_after is not None:
            reset = datetime.datetime.fromtimestamp(
                wall + budget.reset_after, tz=datetime.timezone.utc
            )
        seen = RateLimit(limit=budget.limit, remaining=budget.remaining, reset=reset)
        self._last_seen = (stated, seen)  # one assignment: threads see a pair or the other
        return seen

    @property
    def store(self) -> Store | None:
        """The shared budget, if any."""
        return self._store

    # --- deciding -------------------------------------------------------------------------

    def _decider(
        self, max_wait: float, lease_seconds: float
    ) -> Callable[[Window, float], Decision]:
        # One name for every try, so that a retried write is the same; unique in the fleet.
        lease = None if self._store is None else os.urandom(8).hex()

        def decide(window: Window, now: float) -> Decision:
            return window.decide(now, max_wait, lease=lease, lease_until=now + lease_seconds)

        return decide

    def _store_due(self) -> bool:
        if self._store is None:
            return False
        return self._alone_until is None or time.monotonic() >= self._alone_until

    def _stored(self, decision: Decision) -> Decision:
        self._rejoined()
        return attrs.evolve(decision, shared=True) if isinstance(decision, Admit) else decision

    def _rejoined(self) -> None:
        if self._alone_until is not None:
            self._alone_until = None
            logger.info("The shared rate budget %s answers again; rejoined it", self._where())

    def _alone(self, exc: BaseException) -> None:
        if self._alone_until is None:
            logger.warning(
                "The shared rate budget %s is unavailable (%s); this process keeps its own "
                "count until it is back",
                self._where(),
                exc,
            )
        self._alone_until = time.monotonic() + REJOIN_AFTER_SECONDS

    def _where(self) -> str:
        return self._store.describe() if self._store is not None else "-"

    def _decide(self, change: Callable[[Window, float], Decision]) -> Decision:
        if self._store is not None and self._store_due():
            try:
                return self._stored(self._store.transact(self._key, change))
            except StoreUnavailable as exc:
                self._alone(exc)
        with self._condition:
            return change(self._window, self._clock())

    async def _decide_async(self, change: Callable[[Window, float], Decision]) -> Decision:
        if self._store is not None and self._store_due():
            try:
                return self._stored(await self._store.transact_async(self._key, change))
            except StoreUnavailable as exc:
                self._alone(exc)
        with self._condition:
            return change(self._window, self._clock())

    def _pause(self, decision: Wait) -> float | None:
        if math.isinf(decision.seconds):
            # Another process's answer wakes nobody here: look again soon.
            return SHARED_POLL_SECONDS if self._store_due() else None
        return decision.seconds

    # --- waiting --------------------------------------------------------------------------

    def acquire(
        self,
        max_wait: float,
        on_wait: Callable[[Wait], None],
        stop: threading.Event | None = None,
        *,
        lease_seconds: float = math.inf,
    ) -> Admit | Refuse:
        """Block until the window admits a request (or refuses it); threads.

        A release between deciding and starting to wait cuts the wait short, so no answer
        slips between them. ``on_wait`` hears of every wait whose reason changed.
        ``lease_seconds``: how long a shared budget counts the request should its process
        never release it.

        Raises:
            Abandoned: ``stop`` is set (then :meth:`wake_all` ends the wait at once).
        """
        change = self._decider(max_wait, lease_seconds)
        told = None
        while True:
            generation = self._generation
            decision = self._decide(change)
            if not isinstance(decision, Wait):
                return decision
            if stop is not None and stop.is_set():
                raise Abandoned
            if decision.reason != told:
                on_wait(decision)
                told = decision.reason
            pause = self._pause(decision)
            if CLOCK.instant and pause is not None:
                CLOCK.skip(pause)  # instant waits (testing): the time passes at once
                continue
            with self._condition:
                if generation == self._generation:
                    self._sleepers += 1
                    try:
                        self._condition.wait(pause)
                    finally:
                        self._sleepers -= 1

    async def acquire_async(
        self, max_wait: float, on_wait: Callable[[Wait], None], *, lease_seconds: float = math.inf
    ) -> Admit | Refuse:
        """Suspend until the window admits a request (or refuses it); asyncio tasks.

        Cancellation stops the wait at once and leaves no waiter behind.
        """
        import asyncio  # loaded already: this runs in an event loop

        loop = asyncio.get_running_loop()
        change = self._decider(max_wait, lease_seconds)
        told = None
        while True:
            generation = self._generation
            decision = await self._decide_async(change)
            if not isinstance(decision, Wait):
                return decision
            if CLOCK.instant and not math.isinf(decision.seconds):
                if decision.reason != told:
                    on_wait(decision)
                    told = decision.reason
                await CLOCK.async_sleep(decision.seconds)  # instant: the time passes at once
                continue
            with self._condition:
                if generation != self._generation:
                    continue
                waiter: asyncio.Future[None] = loop.create_future()
                self._waiters.add(waiter)
            if decision.reason != told:
                on_wait(decision)
                told = decision.reason
            seconds = self._pause(decision)
            timer = None if seconds is None else loop.call_later(seconds, _wake, waiter)
            try:
                await waiter
            finally:
                if timer is not None:
                    timer.cancel()
                with self._condition:
                    self._waiters.discard(waiter)

    def wake_all(self) -> None:
        """Wake every thread waiting in :meth:`acquire`, so that a set ``stop`` is seen."""
        with self._condition:
            self._generation += 1
            self._condition.notify_all()

    # --- releasing ------------------------------------------------------------------------

    def release(self, admit: Admit | None, response: httpx.Response | None) -> None:
        """A request is done: free its place and learn from its response, if it got one."""
        change, store = self._releaser(admit, response), self._store
        if change is None or store is None:
            return
        if self._store_due():
            try:
                store.transact(self._key, change)
                self._rejoined()
            except StoreUnavailable as exc:  # its lease lapses by itself
                self._alone(exc)
        self._wake_local()

    async def release_async(self, admit: Admit | None, response: httpx.Response | None) -> None:
        """:meth:`release` for asyncio tasks: a shared budget is updated without blocking."""
        change, store = self._releaser(admit, response), self._store
        if change is None or store is None:
            return
        if self._store_due():
            try:
                await store.transact_async(self._key, change)
                self._rejoined()
            except StoreUnavailable as exc:
                self._alone(exc)
        self._wake_local()

    def _releaser(
        self, admit: Admit | None, response: httpx.Response | None
    ) -> Callable[[Window, float], None] | None:
        """Update this process's window; with a store, return the change for the shared one
        (the waiters here are woken once it is made), else wake them now."""
        observed = None if response is None else self._observation(response)
        with self._condition:
            if admit is not None and not admit.shared:
                self._window.release(admit)
            if observed is not None:
                # this process's window learns too, to stand in warm should the store fail
                self._window.observe(self._clock(), *observed)
            if self._store is None:
                self._generation += 1
                if self._sleepers:
                    self._condition.notify_all()
                waiters = list(self._waiters) if self._waiters else None
        if self._store is None:
            if waiters:
                for waiter in waiters:
                    _wake(waiter)
            return None

        def change(window: Window, now: float) -> None:
            if admit is not None and admit.shared:
                window.release(admit)
            if observed is not None:
                window.observe(now, *observed)

        return change

    def _wake_local(self) -> None:
        with self._condition:
            self._generation += 1
            if self._sleepers:
                self._condition.notify_all()
            waiters = list(self._waiters)
        for waiter in waiters:
            _wake(waiter)

    def _observation(
        self, response: httpx.Response
    ) -> tuple[httpx.Response, Budget | None, float | None]:
        """What a response says of the budget, read once for every window that learns it."""
        wall = time.time()
        headers = rate_headers(response.headers)
        budget = parse_budget(headers, now=wall) if headers else None
        # Only a blocking status's wait matters here: a 200 is not parsed a second time.
        wait = None
        if headers and response.status_code in BLOCKING_STATUSES:
            wait = server_wait(response.status_code, headers, now=wall)
        if budget is not None:
            self._last_budget = (budget, wall)
        elif response.status_code < 500 and response.status_code != 429:
            self._last_budget = None
        return response, budget, wait


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
