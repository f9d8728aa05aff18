"""``instant_waits()``: the SDK's waits take no time in your tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from meetbot_sdk._utils._clock import CLOCK

__all__ = ["instant_waits"]


@contextlib.contextmanager
def instant_waits() -> Iterator[list[float]]:
    """Make every wait of the SDK instant while the block runs; yield the waits skipped.

    Retry backoff, a server-given ``Retry-After`` and the throttle's wait for the rate-limit
    budget all return at once, for every client in the process, sync and async, and the
    time they would have waited passes on the SDK's clock instead. The fake server's
    rate-limit window (:meth:`FakeMeetBot.set_rate_limit`) reads the same clock, so a
    client that "waits" for the window to end finds it ended: the behaviour is the one of
    real time, only without the waiting. Only waits are affected: the fake's latency and
    delays, and timeouts, keep real time.

    Yields:
        The seconds of each wait skipped, in order, for assertions such as "it backed off
        twice".

    Example:
        >>> from meetbot_sdk.testing import FakeMeetBot, Fault, instant_waits
        >>> fake = FakeMeetBot()
        >>> fake.inject(Fault.status(503, headers={"Retry-After": "30"}), Fault.status(503))
        >>> with instant_waits() as waits, fake.client() as client:
        ...     analytics = client.analytics.get(period="7d")  # a 503 twice, then 200
        >>> waits[0]
        30.0
        >>> len(waits)
        2

    Use it around a test, or for a whole suite in a pytest fixture::

        @pytest.fixture(autouse=True)
        def _no_waiting():
            with instant_waits():
                yield
    """
    log: list[float] = []
    previous = CLOCK.start_instant(log)
    try:
        yield log
    finally:
        CLOCK.end_instant(previous)
