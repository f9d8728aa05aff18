"""Conditions that hold for every request until changed: latency, busy traffic, random faults.

Like :mod:`meetbot_sdk.testing._faults`, nothing here does I/O, sleeps or reads the time. The
fake keeps one :class:`Conditions` under its lock and, for each request, asks it for a random
fault (when no scripted fault applies), for how many logs arrive once the request is answered,
and for the response's delay with the latency added; the front ends sleep through that delay
after the lock is released.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

import attrs

from meetbot_sdk.testing._faults import Fault, check_faults, check_path, is_number

if TYPE_CHECKING:
    from meetbot_sdk.testing._exchange import FakeResponse

API_LOGS_PATH = "/users/me/api-logs"

# A 429 that reads as a short rate-limit window to the SDK's client (see _retry.server_wait
# and _throttle.Window): "Retry-After: 0" lets the retry go at once; "Remaining: 0" with a
# reset 0.05 s away holds the client's throttle for 50 ms; "Limit: 10" lets the throttle take
# the budget as full after that reset, instead of sending one probe ahead of the others. So a
# test whose client sleeps for real loses about 50 ms per 429, not the whole second or more
# that the smallest non-zero Retry-After (1) or a whole-second reset would cost.
SHORT_WINDOW_429 = Fault.status(
    429,
    headers={
        "Retry-After": "0",
        "X-RateLimit-Limit": "10",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "0.05",
    },
)
DEFAULT_RANDOM_FAULTS = (Fault.status(503), Fault.drop_connection(), SHORT_WINDOW_429)
"""What :meth:`FakeMeetBot.fail_randomly` chooses from when given no faults."""


@attrs.frozen
class RandomFaults:
    """Faults drawn for requests under a path prefix, each with probability ``rate``.

    Build it with :func:`random_faults`, which checks the arguments.
    """

    rate: float
    faults: tuple[Fault, ...]
    path: str | None
    rng: random.Random = attrs.field(eq=False, repr=False)

    def draw(self, path: str) -> Fault | None:
        """The fault for a request to ``path`` that took no scripted fault, if it gets one."""
        if self.path is not None and not path.startswith(self.path):
            return None  # no draw either: other paths do not shift this path's sequence
        if self.rng.random() >= self.rate:
            return None
        return self.rng.choice(self.faults)


def random_faults(
    rate: float, faults: tuple[object, ...], seed: int, path: str | None
) -> RandomFaults | None:
    """Check :meth:`FakeMeetBot.fail_randomly`'s arguments; ``None`` when ``rate`` is 0.

    Raises:
        ValueError: ``rate`` is not a number from 0 to 1, or ``path`` is not a valid prefix.
        TypeError: A fault is not a :class:`Fault`, or ``seed`` is not an int.
    """
    if not is_number(rate) or not 0 <= rate <= 1:  # NaN and inf fail the comparison
        msg = f"rate must be a number from 0 to 1, got {rate!r}"
        raise ValueError(msg)
    checked = check_faults(faults, "fail_randomly()") or DEFAULT_RANDOM_FAULTS
    if not isinstance(seed, int) or isinstance(seed, bool):
        msg = f"seed must be an int, got {seed!r}"
        raise TypeError(msg)
    check_path(path)
    if rate == 0:
        return None
    return RandomFaults(float(rate), checked, path, random.Random(seed))  # noqa: S311 (tests)


def check_count(count: int) -> int:
    """Return ``count`` if it is an int >= 0.

    Raises:
        TypeError: ``count`` is not an int (``bool`` included).
        ValueError: ``count`` is negative.
    """
    if not isinstance(count, int) or isinstance(count, bool):
        msg = f"count must be an int >= 0, got {count!r}"
        raise TypeError(msg)
    if count < 0:
        msg = f"count must be >= 0, got {count}"
        raise ValueError(msg)
    return count


@attrs.define
class Conditions:
    """What applies to every request until changed; the defaults change nothing.

    Attributes:
        latency: Seconds added to every response's delay.
        arrivals_per_page: Logs that arrive after each page of api-logs is answered.
        random_faults: Faults drawn for requests that took no scripted fault.
    """

    latency: float = 0.0
    arrivals_per_page: int = 0
    random_faults: RandomFaults | None = None

    def random_fault(self, path: str) -> Fault | None:
        """Draw the random fault, if any, for a request that took no scripted fault."""
        return None if self.random_faults is None else self.random_faults.draw(path)

    def arrivals_after(self, path: str, routed: FakeResponse | None) -> int:
        """How many logs arrive once a request to ``path`` is answered.

        Args:
            path: The request's path without ``/v1``.
            routed: What the routes answered, or ``None`` when they were not asked: a
                scripted or random fault answered instead, or the rate limit refused it.
        """
        if routed is None or path != API_LOGS_PATH or not 200 <= routed.status < 300:
            return 0
        return self.arrivals_per_page

    def delayed(self, response: FakeResponse) -> FakeResponse:
        """``response`` with the latency added to its delay (a fault's delay included)."""
        if not self.latency:
            return response
        return attrs.evolve(response, delay=response.delay + self.latency)
