"""The one clock the SDK tells time and waits by, and the switch that makes its waits instant.

Every wait of the SDK goes through here: retry backoff, a server-given ``Retry-After``, a
wait for the rate-limit budget to come back. Normally they wait on the real clock. Inside
:func:`meetbot_sdk.testing.instant_waits` they return at once and move this clock on by the
time they skipped instead, so what reads the clock (the throttle's window, the fake
server's rate-limit window) sees that time pass, and the waits add up as they would have.

Only the monotonic clock moves: it means nothing but differences, so the time skipped can
stay skipped. Wall-clock times from a server (an HTTP date, an epoch reset) are read against
the real ``time.time()``, as the server wrote them.
"""

from __future__ import annotations

import threading
import time

__all__ = ["CLOCK", "Clock"]


class Clock:
    """Real time, plus whatever instant waits have skipped."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._skipped = 0.0
        self._instant = 0  # how many instant_waits() blocks are open
        self._log: list[float] | None = None

    @property
    def instant(self) -> bool:
        """Whether waits are instant now."""
        return self._instant > 0

    def monotonic(self) -> float:
        """``time.monotonic()``, moved on by the waits skipped."""
        return time.monotonic() + self._skipped

    def skip(self, seconds: float) -> None:
        """Let ``seconds`` pass at once, as an instant wait does."""
        with self._lock:
            self._skipped += seconds
            if self._log is not None:
                self._log.append(seconds)

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> bool:
        """Wait ``seconds`` (at once when waits are instant); ``True`` if ``stop`` was set."""
        if self.instant:
            self.skip(seconds)
            return stop is not None and stop.is_set()
        if stop is not None:
            return stop.wait(seconds)
        time.sleep(seconds)
        return False

    async def async_sleep(self, seconds: float) -> None:
        """Wait ``seconds`` in an event loop (at once, but yielding, when waits are instant)."""
        import asyncio  # loaded already: this runs in an event loop

        if self.instant:
            self.skip(seconds)
            seconds = 0
        await asyncio.sleep(seconds)

    def start_instant(self, log: list[float]) -> list[float] | None:
        """Make waits instant, logging them into ``log``; returns what to :meth:`end_instant`."""
        with self._lock:
            self._instant += 1
            previous, self._log = self._log, log
        return previous

    def end_instant(self, previous: list[float] | None) -> None:
        """Undo one :meth:`start_instant`."""
        with self._lock:
            self._instant -= 1
            self._log = previous


CLOCK = Clock()
"""The process's clock: one for every client, throttle and fake server."""
