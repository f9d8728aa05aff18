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
  been counted: its place stays spent until the window resets.
- A whole-second epoch reset (``X-RateLimit-Reset: 1733620001``) is read as the window's
  likely end (see :func:`likely_end`), when one request asks first; a 429 then makes the
  stated resets believed as they are.
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
# How long after its likely end a window with a whole-second reset is asked again: room for
# the first request of the next one to reach the server after the end, not before it.
EARLY_MARGIN_SECONDS = 0.02
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
        # Answers without a budget (a 5xx) since the window began: the server may have
        # counted each, and no stated count can be told to include them or not.
        self.untold = 0
        self.reset_at: float | None = None
        self.stated_reset: float | None = None  # reset_at as stated, before any reading
        # The stated reset of the window this one took over from: a late answer from that
        # window (sent before the reset, answered after it) says nothing of this one.
        self.rolled_at: float | None = None
        self.rolled_span: float | None = None  # how long that window was open
        # When the current window's first request went, and whether ``reset_at`` is the
        # likely end read from a whole-second reset (then one request asks first), and
        # whether such resets are read so at all: a 429 says this server does not round up.
        self.opened_at: float | None = None
        self.first_answer_at: float | None = None  # when that request's answer came
        self.reset_guessed = False
        self.checking_guess = False  # the first request after a guessed end is out
        self.window_seconds: int | None = None  # the length such windows were seen to have
        self.early_resets = True
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
                name,
                lease_until,
                "waiting for the first response to tell the rate-limit budget",
                opens=now,
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
            self.untold = 0
            self.rolled_at = self.reset_at if self.stated_reset is None else self.stated_reset
            self.reset_at = self.stated_reset = None
            opened, self.rolled_span = self.opened_at, None
            if opened is not None and opened < self.rolled_at:
                self.rolled_span = self.rolled_at - opened
            guessed, self.reset_guessed = self.reset_guessed, False
            self.checking_guess = guessed
            self.opened_at, self.first_answer_at = now, None
            if self.limit is None or guessed:  # its size unknown, or its start a guess: ask
                self.known = False
                return self._probe(
                    name, until, "waiting for the first response of the new window", opens=now
                )
            self.remaining = self.limit
        if self.remaining - self.untold - self.in_flight > 0:
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

    def _probe(
        self, name: str, until: float, reason: str, *, opens: float | None = None
    ) -> Decision:
        # Wait without a deadline only while some request is out: its answer wakes us.
        if self.probing or (self.in_flight and self.known):
            return Wait(math.inf, reason)
        if opens is not None:  # the first request of a window not yet known
            self.opened_at, self.first_answer_at = opens, None
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
        if self.checking_guess and status == 429:
            # The window had not ended when guessed: this server's whole-second resets are
            # not rounded up, so they are believed as they are from now on.
            self.early_resets = False
        if status < 500:
            self.checking_guess = False
        if budget is not None:
            self._learn(now, budget)
        elif status < 500 and status != 429:
            # No headers: no known limit. A 429 is a limit though, and a proxy's 5xx page
            # without headers says nothing either way.
            self.known = self.unlimited = True
        elif status >= 500 and self.known and not self.unlimited:
            # ...except that the server may well have counted it (a gateway counts every
            # request it answers): its place stays spent until the window resets (a count
            # stated later may or may not include it). Forgetting it let a fan-out
            # overshoot the window by its last few 503s.
            self.untold += 1
        if wait is not None and status in BLOCKING_STATUSES:
            until = now + wait
            if self.blocked_until is None or until > self.blocked_until:
                self.blocked_until, self.blocked_by = until, response

    def _learn(self, now: float, budget: Budget) -> None:
        stated = None if budget.reset_after is None else now + budget.reset_after
        # How far past the taken-over reset an answer from that window may still be stated
        # (each answer's reset is read on arrival): within half of that window's span.
        slack = 0.0 if self.rolled_span is None else min(_SAME_WINDOW_SECONDS, self.rolled_span / 2)
        if (
            stated is not None
            and self.rolled_at is not None
            and stated <= self.rolled_at + slack
            and self.known
            and not self.unlimited
        ):
            # The window already taken over: believing its low count would refill this
            # one a second time at its (past) reset, overshooting by what was spent since.
            return
        if self.opened_at is not None and self.first_answer_at is None:
            self.first_answer_at = now
        reset_at, guessed = stated, False
        if (
            stated is not None
            and budget.whole_seconds
            and self.early_resets
            and self.opened_at is not None
            and self.first_answer_at is not None
        ):
            reset_at, self.window_seconds = likely_end(
                stated, self.opened_at, self.first_answer_at, self.window_seconds
            )
            guessed = reset_at < stated
        fresh = (
            not self.known
            or self.unlimited
            or self.stated_reset is None
            or stated is None
            or budget.remaining < self.remaining  # lower is always safe to believe
            or stated > self.stated_reset + _SAME_WINDOW_SECONDS  # a later window
        )
        self.known, self.unlimited = True, False
        if budget.limit is not None:
            self.limit = budget.limit
        before = self.stated_reset
        if stated is not None and before is not None and stated > before + _SAME_WINDOW_SECONDS:
            self.untold = 0  # a window not seen before: its count is all there is
        if fresh:
            self.remaining = budget.remaining
            self.reset_at, self.stated_reset = reset_at, stated
            self.reset_guessed = guessed


def likely_end(
    reset_at: float, opened_at: float, answered_at: float, length: int | None
) -> tuple[float, int | None]:
    """When a window stated to reset at ``reset_at``, a whole second, most likely ends.

    A server that keeps time finer than it states (``X-RateLimit-Reset`` in epoch seconds,
    as GitHub sends it) rounds the end up: a window of whole seconds that opened with its
    first request, sent at ``opened_at`` and answered at ``answered_at``, ends a whole number
    of seconds after the server received it, up to a second before the stated reset.
    Waiting for the stated reset instead opens the next window a moment after a whole
    second, whose end is rounded up again: every window would last a second longer than it
    is. The latest end the window can have so (its length at most ``reset_at - opened_at``,
    counted from the answer at the latest), plus :data:`EARLY_MARGIN_SECONDS`, is when one
    request goes to ask; should the server refuse it, the stated resets are believed as they
    are from then on (see :attr:`Window.early_resets`).

    Returns:
        That end, and the window's length in seconds as far as it is known: ``length``
        (what earlier windows told), or the length this one tells.
    """
    longest = math.floor(reset_at - opened_at)
    if longest < 1:  # the window opened before that request (with another): no reading
        return reset_at, length
    shortest = max(1, math.floor(reset_at - answered_at))
    if shortest == longest:  # no whole second passed while the request was out: learnt
        length = longest
    # Else a whole second passed on the way, and either could be the window's length: the
    # one learnt from an earlier window, else the longer (a second late, never early).
    seconds = length if length is not None and shortest <= length <= longest else longest
    return min(answered_at + seconds + EARLY_MARGIN_SECONDS, reset_at), length


def lease_seconds(timeout: httpx.Timeout) -> float:
    """How long a shared budget counts a request whose process never released it: the time
    the client allows it to connect and to read its answer, plus a second."""
    connect = 0.0 if timeout.connect is None else timeout.connect
    read = DEFAULT_LEASE_READ_SECONDS if timeout.read is None else timeout.read
    return min(connect + read + 1.0, MAX_LEASE_SECONDS)


DEFAULT_LEASE_READ_SECONDS = 30.0  # for a client without a read timeout
MAX_LEASE_SECONDS = 3600.0
"""No lease runs longer, and a shared record holding a longer one is not believed."""
