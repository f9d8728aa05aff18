"""The pure rate-limit arithmetic: :class:`Window` and its decisions. All times are passed in,
by whatever clock the owner keeps: this process's monotonic clock for the local throttle, the
store's clock for a shared budget (whose record is :mod:`meetbot_sdk._ratelimit._budget_record`).

The rules:

- Until a response has told the budget, one request (the *probe*) goes first and the others
  wait for its answer. A response without rate-limit headers means no known limit.
- With a known budget, a request goes while ``remaining - in_flight > 0``; otherwise it waits
  for the reset. After the reset the budget is taken as full again (``limit``).
- A request in flight holds a *lease* that ends when it is released or, should its process
  die first, at its deadline.
- An answer from the window that was already taken over (sent before the reset, answered
  after it) is not believed: its low count would refill the new window a second time.
- A 5xx without rate-limit headers tells nothing of the budget, but its request may have
  been counted: its place stays spent (until a later budget says otherwise).
- A 429 (or any ``Retry-After``) blocks every request until the wait is over. Requests that
  would wait longer than the client's cap are refused at once, without being sent.
- A wait longer than the cap for a spent budget is not slept either: one probe asks the
  server, which either answers (the budget came back early) or refuses with a wait.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING, NamedTuple

import attrs

from meetbot_sdk._retry import Budget

if TYPE_CHECKING:
    import httpx

__all__ = [
    "BLOCKING_STATUSES",
    "MAX_LEASE_SECONDS",
    "Admit",
    "Decision",
    "Refuse",
    "Wait",
    "Window",
    "lease_seconds",
]

_SAME_WINDOW_SECONDS = 0.5  # resets closer than this are taken to be the same window
# Statuses whose server-given wait holds back every request, not only the one retried.
BLOCKING_STATUSES = frozenset({429, 503})


@attrs.frozen
class Admit:
    """The request may go. ``probe``: it is the one whose answer the others wait for.

    ``lease`` names its reservation in the window; ``shared``: the reservation is in a shared
    budget (not in this process's own window). Neither takes part in comparisons.
    """

    probe: bool = False
    lease: str = attrs.field(default="", eq=False)
    shared: bool = attrs.field(default=False, eq=False)


class Wait(NamedTuple):  # records built per decision are NamedTuples: cheap to import
    """Wait ``seconds`` (``inf``: until a response changes the state) and ask again."""

    seconds: float
    reason: str


class Refuse(NamedTuple):
    """Do not send: the server asked to wait ``seconds`` (more than the cap) in ``response``."""

    seconds: float
    response: httpx.Response


Decision = Admit | Wait | Refuse


class Window:
    """What the client knows of its rate-limit budget. Not thread-safe: the owner locks.

    The same arithmetic serves one process (times from its monotonic clock) and a shared
    budget (times from the store's clock; the state travels as a record, see
    :mod:`meetbot_sdk._ratelimit._budget_record`). Requests in flight are *leases* that end when the
    request is released or, should its process die first, at their deadline.
    """

    def __init__(self) -> None:
        self.known = False  # a response has said what the budget is (or that there is none)
        self.unlimited = False
        self.limit: int | None = None
        self.remaining = 0
        self.reset_at: float | None = None
        # The reset of the window this one took over from: a late answer from that window
        # (sent before the reset, answered after it) says nothing of this one.
        self.rolled_at: float | None = None
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
            self.rolled_at, self.reset_at = self.reset_at, None
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
        elif status >= 500 and self.known and not self.unlimited and self.remaining > 0:
            # ...except that the server may well have counted it (a gateway counts every
            # request it answers): its place stays spent until a budget says otherwise.
            # Forgetting it let a fan-out overshoot the window by its last few 503s.
            self.remaining -= 1
        if wait is not None and status in BLOCKING_STATUSES:
            until = now + wait
            if self.blocked_until is None or until > self.blocked_until:
                self.blocked_until, self.blocked_by = until, response

    def _learn(self, now: float, budget: Budget) -> None:
        reset_at = None if budget.reset_after is None else now + budget.reset_after
        if (
            reset_at is not None
            and self.rolled_at is not None
            and reset_at <= self.rolled_at + _SAME_WINDOW_SECONDS
            and self.known
            and not self.unlimited
        ):
            # The window already taken over: believing its low count would refill this
            # one a second time at its (past) reset, overshooting by what was spent since.
            return
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


def lease_seconds(timeout: httpx.Timeout) -> float:
    """How long a shared budget counts a request whose process never released it: the time
    the client allows it to connect and to read its answer, plus a second."""
    connect = 0.0 if timeout.connect is None else timeout.connect
    read = DEFAULT_LEASE_READ_SECONDS if timeout.read is None else timeout.read
    return min(connect + read + 1.0, MAX_LEASE_SECONDS)


DEFAULT_LEASE_READ_SECONDS = 30.0  # for a client without a read timeout
MAX_LEASE_SECONDS = 3600.0
"""No lease runs longer, and a shared record holding a longer one is not believed."""
