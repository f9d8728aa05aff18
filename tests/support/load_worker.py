"""``meetbot load`` in a process that SIGKILLs itself part-way through one dlt step.

``python -m tests.support.load_worker STEP CALLS [meetbot load options...]`` runs
``meetbot load`` (through ``main()``, as the console script does) and, once the pipeline's
``STEP`` (``extract``, ``normalize`` or ``load``) has begun, counts the Python calls made in
any thread; at the ``CALLS``-th it sends itself ``SIGKILL``, as ``kill -9`` would: no
``finally``, no atexit, files left as they are. The count makes the moment reproducible (a
seeded random number of calls), where a timer would land anywhere, or after the end.
``STEP`` ``none`` runs to the end; ``count`` prints how many calls each step made.

The steps are found through dlt's public ``Pipeline`` methods, wrapped here.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

STEPS = ("extract", "normalize", "load")


class Counter:
    """Counts calls while a step runs; kills the process at the chosen one."""

    def __init__(self, step: str, calls: int) -> None:
        self.step, self.kill_at = step, calls
        self.counts = dict.fromkeys(STEPS, 0)
        self.running: str | None = None

    def profile(self, frame: Any, event: str, arg: Any) -> None:
        if event != "call" or self.running is None:
            return
        self.counts[self.running] += 1
        if self.running == self.step and self.counts[self.step] >= self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def wrap(self, step: str, method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def counted(*args: Any, **kwargs: Any) -> Any:
            if self.running is not None:  # run() calls the steps: count the outer one
                return method(*args, **kwargs)
            self.running = step
            try:
                return method(*args, **kwargs)
            finally:
                self.running = None

        return counted


def main() -> int:
    step, calls, argv = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    import dlt

    from meetbot_sdk.cli import main as meetbot

    counter = Counter(step, calls)
    for name in STEPS:
        setattr(dlt.Pipeline, name, counter.wrap(name, getattr(dlt.Pipeline, name)))
    if step != "none":
        threading.setprofile(counter.profile)
        sys.setprofile(counter.profile)
    status = meetbot(["load", *argv])
    sys.setprofile(None)
    if step == "count":
        print(" ".join(f"{name}={count}" for name, count in counter.counts.items()))
    return status


if __name__ == "__main__":
    sys.exit(main())
