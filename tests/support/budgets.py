"""A clock for the file-budget tests: the lock's waits pass at once."""

from __future__ import annotations

import time
from collections.abc import Callable


class LockClock:
    """``time`` for :mod:`meetbot_sdk._ratelimit._budgets`: its sleeps pass at once, on this
    clock, and ``release`` (if set) runs once the clock reaches it (the other process lets go)."""

    def __init__(self, release: tuple[float, Callable[[], None]] | None = None) -> None:
        self.now = 1000.0
        self.release = release

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        if self.release is not None and self.now >= self.release[0]:
            self.release[1]()
            self.release = None

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)
