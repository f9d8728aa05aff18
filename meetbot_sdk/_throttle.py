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
import math
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs
import httpx

from meetbot_sdk._retry import Budget, parse_budget, rate_headers, server_wait

if TYPE_CHECKING:
    import asyncio

__all__ = ["BLOCKING_STATUSES", "Abandoned", "Admit", "Refuse", "Throttle", "Wait", "Window"]

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
    """The request may go. ``probe``: it is the one whose answer the others wait for."""

    probe: bool = False


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
    """What the client knows of its rate-limit budget. Not thread-safe: the owner locks."""

    def __init__(self) -> None:
        self.known = False  # a response has said what the budget is (or that there is none)
        self.unlimited = False
        self.limit: int | None = None
        self.remaining = 0
        self.reset_at: float | None = None  # monotonic
        self.in_flight = 0
        self.probing = False
        self.blocked_until: float | None = None  # monotonic
        self.blocked_by: httpx.Response | None = None

    def decide(self, now: float, max_wait: float) -> Decision:
        """Admit a request, or say how long to wait, or refuse it."""
        if self.blocked_until is not None:
            if now < self.blocked_until:
                wait = self.blocked_until - now
                if wait > max_wait and self.blocked_by is not None:
                    return Refuse(wait, self.blocked_by)
                return Wait(wait, "the server asked to wait (Retry-After)")
            self.blocked_until = self.blocked_by = None
        if self.unlimited:
            return self._admit()
        if not self.known:
            return self._probe("waiting for the first response to tell the rate-limit budget")
        return self._spend(now, max_wait)

    def _spend(self, now: float, max_wait: float) -> Decision:
        if self.reset_at is not None and now >= self.reset_at:
            self.reset_at = None
            if self.limit is None:  # the size of the new window is unknown: ask first
                self.known = False
                return self._probe("waiting for the first response of the new window")
            self.remaining = self.limit
        if self.remaining - self.in_flight > 0:
            return self._admit()
        if self.reset_at is None:
            return self._probe("rate-limit budget spent; waiting for a response to tell the reset")
        wait = self.reset_at - now
        if wait > max_wait:
            return self._probe("rate-limit budget spent; a probe asks the server")
        return Wait(wait, f"rate-limit budget spent (limit {self.limit}); waiting for the reset")

    def _admit(self, *, probe: bool = False) -> Admit:
        self.in_flight += 1
        if probe:
            self.probing = True
        return Admit(probe=probe)

    def _probe(self, reason: str) -> Decision:
        # Wait without a deadline only while some request is out: its answer wakes us.
        if self.probing or (self.in_flight and self.known):
            return Wait(math.inf, reason)
        return self._admit(probe=True)

    def release(self, admit: Admit) -> None:
        """A request admitted by :meth:`decide` is done (answered or not)."""
        self.in_flight -= 1
        if admit.probe:
            self.probing = False

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


class Throttle:
    """The :class:`Window` of one client and its copies, behind a lock, with waiting."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._window = Window()
        self._condition = threading.Condition(threading.Lock())
        self._waiters: set[asyncio.Future[None]] = set()
        self.last_seen: RateLimit | None = None

    @property
    def window(self) -> Window:
        """The state (for tests and diagnostics; read it, do not change it)."""
        return self._window

    def acquire(
        self,
        max_wait: float,
        on_wait: Callable[[Wait], None],
        stop: threading.Event | None = None,
    ) -> Admit | Refuse:
        """Block until the window admits a request (or refuses it); threads.

        Deciding and starting to wait happen under one lock, so no answer slips between them.
        ``on_wait`` hears of every wait whose reason changed.

        Raises:
            Abandoned: ``stop`` is set (then :meth:`wake_all` ends the wait at once).
        """
        told = None
        with self._condition:
            while True:
                decision = self._window.decide(self._clock(), max_wait)
                if not isinstance(decision, Wait):
                    return decision
                if stop is not None and stop.is_set():
                    raise Abandoned
                if decision.reason != told:
                    on_wait(decision)
                    told = decision.reason
                self._condition.wait(None if math.isinf(decision.seconds) else decision.seconds)

    async def acquire_async(
        self, max_wait: float, on_wait: Callable[[Wait], None]
    ) -> Admit | Refuse:
        """Suspend until the window admits a request (or refuses it); asyncio tasks.

        Cancellation stops the wait at once and leaves no waiter behind.
        """
        import asyncio  # loaded already: this runs in an event loop

        loop = asyncio.get_running_loop()
        told = None
        while True:
            with self._condition:
                decision = self._window.decide(self._clock(), max_wait)
                if not isinstance(decision, Wait):
                    return decision
                waiter: asyncio.Future[None] = loop.create_future()
                self._waiters.add(waiter)
            if decision.reason != told:
                on_wait(decision)
                told = decision.reason
            seconds = decision.seconds
            timer = None if math.isinf(seconds) else loop.call_later(seconds, _wake, waiter)
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
            self._condition.notify_all()

    def release(self, admit: Admit | None, response: httpx.Response | None) -> None:
        """A request is done: free its place and learn from its response, if it got one."""
        with self._condition:
            if admit is not None:
                self._window.release(admit)
            if response is not None:
                self._observe(response)
            self._condition.notify_all()
            waiters = list(self._waiters)
        for waiter in waiters:
            _wake(waiter)

    def _observe(self, response: httpx.Response) -> None:
        now, wall = self._clock(), time.time()
        headers = rate_headers(response.headers)
        budget = parse_budget(headers, now=wall) if headers else None
        # Only a blocking status's wait matters here: a 200 is not parsed a second time.
        wait = None
        if headers and response.status_code in BLOCKING_STATUSES:
            wait = server_wait(response.status_code, headers, now=wall)
        self._window.observe(now, response, budget, wait)
        if budget is not None:
            reset = None
            if budget.reset_after is not None:
                reset = datetime.datetime.fromtimestamp(
                    wall + budget.reset_after, tz=datetime.timezone.utc
                )
            self.last_seen = RateLimit(limit=budget.limit, remaining=budget.remaining, reset=reset)
        elif response.status_code < 500 and response.status_code != 429:
            self.last_seen = None


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
