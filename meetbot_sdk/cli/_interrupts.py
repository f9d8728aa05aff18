"""Ctrl-C that never cuts a line in half: SIGINT waits while output is being written.

The handler raises ``KeyboardInterrupt`` at once, so a walk waiting for a page stops at
once, except inside :meth:`Interrupts.shielded`, where it is held until the block ends. So
every line or row written is complete, and a file's checkpoint is written with it.

A second Ctrl-C, while the first one's clean-up runs (in-flight page requests of a
read-ahead finishing, within the timeout), ends the process at once and quietly, killed by
SIGINT as a program without a handler is (a shell shows status 130, as for the first):
raised as an exception there, it would interrupt a generator being closed and print
"Exception ignored in ..." and a traceback. Inside a shielded block it too waits for the
block to end.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

__all__ = ["Interrupts", "shielded"]

_current: Interrupts | None = None


class Interrupts:
    """The SIGINT handler of one run of the command."""

    def __init__(self) -> None:
        self._depth = 0
        self._pending = False
        self._interrupted = False  # a KeyboardInterrupt was raised: clean-up is under way
        self._previous: Any = None

    @classmethod
    def install(cls) -> Interrupts:
        """Handle SIGINT (from the main thread only; elsewhere, do nothing)."""
        global _current  # noqa: PLW0603 (one run of the command at a time)
        interrupts = _current = cls()
        if threading.current_thread() is threading.main_thread():
            interrupts._previous = signal.signal(signal.SIGINT, interrupts._handle)
        return interrupts

    def uninstall(self) -> None:
        """Put back the handler there was."""
        global _current  # noqa: PLW0603
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        _current = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._depth:
            self._pending = True
            return
        self._interrupt()

    def _interrupt(self) -> None:
        if self._interrupted:
            _exit_at_once()
        self._interrupted = True
        raise KeyboardInterrupt

    @contextmanager
    def shielded(self) -> Iterator[None]:
        """Hold Ctrl-C until the block is done."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if not self._depth and self._pending:
                self._pending = False
                self._interrupt()


def _exit_at_once() -> None:
    """End the process now, by SIGINT itself: no clean-up is left that must finish."""
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write("\nmeetbot: interrupted\n")
        sys.stderr.flush()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.raise_signal(signal.SIGINT)


@contextmanager
def shielded() -> Iterator[None]:
    """Hold Ctrl-C until the block is done (when the command's handler is installed)."""
    if _current is None:
        yield
        return
    with _current.shielded():
        yield
