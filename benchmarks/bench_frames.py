"""``pager.to_pandas()`` over 200,000 logs against the plain walk it rides on: time (goal within
1.3x of the walk) and peak traced memory (goal at most 2x the final frame's
``memory_usage(deep=True)``). Also ``to_polars()``'s time, for comparison.

Both run against an in-process fake, so that what is measured is the SDK's own work: decoding
every page, and for the frames also turning each page into columns. A first, untraced walk
makes the fake encode and cache every log (as ``bench_pagination`` does); the fake records no
requests, so nothing of its own grows while the frame is built.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import httpx

from meetbot_sdk import MeetBot
from meetbot_sdk.testing import FakeMeetBot

LOG_COUNT = 200_000
PAGE_SIZE = 100
ROUNDS = 5


def main() -> None:
    fake = FakeMeetBot(log_count=LOG_COUNT, record_requests=False)
    with (
        httpx.Client(transport=fake.transport()) as http,
        MeetBot(fake.api_key, base_url=fake.base_url, http_client=http) as client,
    ):
        _check(sum(1 for _ in client.api_logs.list(page_size=PAGE_SIZE)))  # warms the fake

        def walk() -> int:
            return sum(1 for _ in client.api_logs.list(page_size=PAGE_SIZE))

        def to_pandas() -> Any:
            return client.api_logs.list(page_size=PAGE_SIZE).to_pandas()

        def to_polars() -> Any:
            return client.api_logs.list(page_size=PAGE_SIZE).to_polars()

        walk_s, pandas_s, polars_s = best_seconds(walk, to_pandas, to_polars)
        peak, frame_bytes = traced_peak(to_pandas)

    label = f"plain walk, {LOG_COUNT:,} logs, page_size {PAGE_SIZE}"
    print(f"{label:46} {walk_s:8.2f} s CPU")
    print(f"{'pager.to_pandas(), same walk':46} {pandas_s:8.2f} s CPU")
    print(f"{'pager.to_polars(), same walk':46} {polars_s:8.2f} s CPU")
    print(f"{'ratio to_pandas / walk':46} {pandas_s / walk_s:8.2f} (goal <= 1.30)")
    print(f"{'ratio to_polars / walk':46} {polars_s / walk_s:8.2f}")
    print(f"{'frame memory_usage(deep=True)':46} {frame_bytes / 2**20:8.1f} MiB")
    print(f"{'peak traced memory of to_pandas()':46} {peak / 2**20:8.1f} MiB")
    print(f"{'ratio peak / frame':46} {peak / frame_bytes:8.2f} (goal <= 2.00)")


def best_seconds(*runs: Callable[[], Any]) -> list[float]:
    """The least CPU time of each run over ``ROUNDS`` rounds, the runs taking turns.

    CPU time rather than wall time, and turns rather than one run after the other, so that
    other work on a shared machine weighs on every run alike and little on the figures.
    """
    best = [float("inf")] * len(runs)
    for _ in range(ROUNDS):
        for index, run in enumerate(runs):
            gc.collect()
            started = time.process_time()
            result = run()
            best[index] = min(best[index], time.process_time() - started)
            _check(result if isinstance(result, int) else len(result))
            del result
    return best


def traced_peak(to_pandas: Callable[[], Any]) -> tuple[int, int]:
    """Peak traced memory of one ``to_pandas()`` (the frame included), and the frame's size."""
    gc.collect()
    tracemalloc.start()
    try:
        frame = to_pandas()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    _check(len(frame))
    return peak, int(frame.memory_usage(deep=True).sum())


def _check(walked: int) -> None:
    if walked != LOG_COUNT:
        msg = f"got {walked:,} logs, expected {LOG_COUNT:,}"
        raise RuntimeError(msg)


if __name__ == "__main__":
    main()
