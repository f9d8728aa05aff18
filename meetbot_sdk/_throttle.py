"""The proactive rate-limit throttle: wait for the budget rather than provoke a 429.

:class:`Window` is the pure state machine (all times are passed in). :class:`Throttle` puts
it behind one lock and adds the two ways to wait: on a :class:`threading.Condition` for
threads, on loop futures for asyncio tasks. One throttle is shared by a client and its
``with_options`` copies.

The rules:

- Until a response has told the budget, one request (the *probe*) goes first and the others
  wait for its answer. A response without rate-limit headers means no known limit.
- With a known budget, a request goes while ``remaining - in_flight > 0``; otherwise it waits
  for the reset. After the reset the budget is taken as full again (``limit``).
- A 429 (or any ``Retry-After``) blocks every request until the wait is over. Requests that
  would wait longer than the client's cap are refused at once, without being sent.
- A wait longer than the cap for a spent budget is not slept either: one probe asks the
  server, which either answers (the budget came back early) or refuses with a wait.
"""

from __future__ import annotations

import datetime
import itertools
import math
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

import attrs
import httpx

from meetbot_sdk._logs import logger
from meetbot_sdk._retry import Budget, parse_budget, rate_headers, server_wait

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "BLOCKING_STATUSES",
    "Abandoned",
    "Admit",
    "Refuse",
    "Store",
    "StoreUnavailable",
    "Throttle",
    "Wait",
    "Window",
    "lease_seconds",
]

_SAME_WINDOW_SECONDS = 0.5  # resets closer than this are taken to be the same window
# Statuses whose server-given wait holds back every request, not only the one retried.
BLOCKING_STATUSES = frozenset({429, 503})


class Abandoned(Exception):  # noqa: N818 (a signal, like asyncio's CancelledError, not an error)
    """A request was given up before it was sent: whoever wanted it has stopped.

    Raised in read-ahead workers of a pager whose loop has ended, out of a rate-limit wait
    or a retry sleep; it never reaches users.
    """


@attrs.frozen
class Admit:
    """The request may go. ``probe``: it is the one whose answer the others wait for.

    ``lease`` names its reservation in the window; ``shared``: the reservation is in a shared
    budget (not in this process's own window). Neither takes part in comparisons.
    """

    probe: bool = False
    lease: str = attrs.field(default="", eq=False)
    shared: bool = attrs.field(default=False, eq=False)


@attrs.frozen
class Wait:
    """Wait ``seconds`` (``inf``: until a response changes the state) and ask again."""

    seconds: float
    reason: str


@attrs.frozen
class Refuse:
    """Do not send: the server asked to wait ``seconds`` (more than the cap) in ``response``."""

    seconds: float
    response: httpx.Response


Decision = Admit | Wait | Refuse


class Window:
    """What the client knows of its rate-limit budget. Not thread-safe: the owner locks.

    The same arithmetic serves one process (times from its monotonic clock) and a shared
    budget (times from the store's clock; the state travels as a record, see
    :mod:`meetbot_sdk._budget_record`). Requests in flight are *leases* that end when the
    request is released or, should its process die first, at their deadline.
    """

    def __init__(self) -> None:
        self.known = False  # a response has said what the budget is (or that there is none)
        self.unlimited = False
        self.limit: int | None = None
        self.remaining = 0
        self.reset_at: float | None = None
        self.leases: dict[str, float] = {}  # in flight: lease -> when it lapses
        self.probe: str | None = None  # the lease of the request whose answer others await
        self.blocked_until: float | None = None
        self.blocked_by: httpx.Response | None = None
        self._ids = itertools.count()

    @property
    def in_flight(self) -> int:
        """Requests admitted and not yet released (nor lapsed)."""
        return len(self.leases)

    @property
    def probing(self) -> bool:
        """A probe is out: the others wait for its answer."""
        return self.probe is not None

    def decide(
        self,
        now: float,
        max_wait: float,
        *,
        lease: str | None = None,
        lease_until: float = math.inf,
    ) -> Decision:
        """Admit a request, or say how long to wait, or refuse it.

        Args:
            now: The current time, by the clock the window's times are in.
            max_wait: The client's cap: a longer server-given wait is refused.
            lease: The name of the reservation, should the request be admitted (unique in
                the budget); by default a new one local to this window.
            lease_until: When the reservation lapses if it is never released.
        """
        self._lapse(now)
        if self.blocked_until is not None:
            if now < self.blocked_until:
                wait = self.blocked_until - now
                if wait > max_wait and self.blocked_by is not None:
                    return Refuse(wait, self.blocked_by)
                return Wait(wait, "the server asked to wait (Retry-After)")
            self.blocked_until = self.blocked_by = None
        name = str(next(self._ids)) if lease is None else lease
        if self.unlimited:
            return self._admit(name, lease_until)
        if not self.known:
            return self._probe(
                name, lease_until, "waiting for the first response to tell the rate-limit budget"
            )
        return self._spend(now, max_wait, name, lease_until)

    def _lapse(self, now: float) -> None:
        """Forget reservations past their deadline: their process is gone."""
        lapsed = [name for name, until in self.leases.items() if until <= now]
        for name in lapsed:
            del self.leases[name]
        if self.probe is not None and self.probe not in self.leases:
            self.probe = None

    def _spend(self, now: float, max_wait: float, name: str, until: float) -> Decision:
        if self.reset_at is not None and now >= self.reset_at:
            self.reset_at = None
            if self.limit is None:  # the size of the new window is unknown: ask first
                self.known = False
                return self._probe(name, until, "waiting for the first response of the new window")
            self.remaining = self.limit
        if self.remaining - self.in_flight > 0:
            return self._admit(name, until)
        if self.reset_at is None:
            return self._probe(
                name, until, "rate-limit budget spent; waiting for a response to tell the reset"
            )
        wait = self.reset_at - now
        if wait > max_wait:
            return self._probe(name, until, "rate-limit budget spent; a probe asks the server")
        return Wait(wait, f"rate-limit budget spent (limit {self.limit}); waiting for the reset")

    def _admit(self, name: str, until: float, *, probe: bool = False) -> Admit:
        self.leases[name] = until
        if probe:
            self.probe = name
        return Admit(probe=probe, lease=name)

    def _probe(self, name: str, until: float, reason: str) -> Decision:
        # Wait without a deadline only while some request is out: its answer wakes us.
        if self.probing or (self.in_flight and self.known):
            return Wait(math.inf, reason)
        return self._admit(name, until, probe=True)

    def release(self, admit: Admit) -> None:
        """A request admitted by :meth:`decide` is done (answered or not).

        Releasing a lease that has lapsed meanwhile changes nothing.
        """
        self.leases.pop(admit.lease, None)
        if self.probe == admit.lease:
            self.probe = None

    def observe(
        self, now: float, response: httpx.Response, budget: Budget | None, wait: float | None
    ) -> None:
        """Learn from a response: the budget it states, and the wait it asks for."""
        status = response.status_code
        if budget is not None:
            self._learn(now, budget)
        elif status < 500 and status != 429:
            # No headers: no known limit. A 429 is a limit though, and a proxy's 5xx page
            # without headers says nothing either way.
            self.known = self.unlimited = True
        if wait is not None and status in BLOCKING_STATUSES:
            until = now + wait
            if self.blocked_until is None or until > self.blocked_until:
                self.blocked_until, self.blocked_by = until, response

    def _learn(self, now: float, budget: Budget) -> None:
        reset_at = None if budget.reset_after is None else now + budget.reset_after
        fresh = (
            not self.known
            or self.unlimited
            or self.reset_at is None
            or reset_at is None
            or budget.remaining < self.remaining  # lower is always safe to believe
            or reset_at > self.reset_at + _SAME_WINDOW_SECONDS  # a later window
        )
        self.known, self.unlimited = True, False
        if budget.limit is not None:
            self.limit = budget.limit
        if fresh:
            self.remaining = budget.remaining
            self.reset_at = reset_at


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


def lease_seconds(timeout: httpx.Timeout) -> float:
    """How long a shared budget counts a request whose process never released it: the time
    the client allows it to connect and to read its answer, plus a second."""
    connect = 0.0 if timeout.connect is None else timeout.connect
    read = DEFAULT_LEASE_READ_SECONDS if timeout.read is None else timeout.read
    return min(connect + read + 1.0, MAX_LEASE_SECONDS)


DEFAULT_LEASE_READ_SECONDS = 30.0  # for a client without a read timeout
MAX_LEASE_SECONDS = 3600.0
"""No lease runs longer, and a shared record holding a longer one is not believed."""


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
        clock: Callable[[], float] = time.monotonic,
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
        self.last_seen: RateLimit | None = None

    @property
    def window(self) -> Window:
        """This process's own state (for tests and diagnostics; read it, do not change it)."""
        return self._window

    @property
    def store(self) -> Store | None:
        """The shared budget, if any."""
        return self._store

    # --- deciding -------------------------------------------------------------------------

    def _decider(
        self, max_wait: float, lease_seconds: float
    ) -> Callable[[Window, float], Decision]:
        # One name for every try, so that a retried write is the same; unique in the fleet.
        lease = None if self._store is None else uuid.uuid4().hex[:16]

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
            with self._condition:
                if generation == self._generation:
                    self._condition.wait(self._pause(decision))

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
                self._condition.notify_all()
                waiters = list(self._waiters)
        if self._store is None:
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
            reset = None
            if budget.reset_after is not None:
                reset = datetime.datetime.fromtimestamp(
                    wall + budget.reset_after, tz=datetime.timezone.utc
                )
            self.last_seen = RateLimit(limit=budget.limit, remaining=budget.remaining, reset=reset)
        elif response.status_code < 500 and response.status_code != 429:
            self.last_seen = None
        return response, budget, wait


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
