"""Walking every request log with ``client.api_logs.list()``: peak memory that stays at a
page however long the walk, throughput against paging with raw httpx over loopback, and how
much of a slow link read-ahead (``concurrency``) hides, sync and async."""

from __future__ import annotations

import asyncio
import gc
import json
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import httpx

from meetbot_sdk import AsyncMeetBot, MeetBot
from meetbot_sdk.testing import FakeMeetBot

PAGE_SIZE = 100
MEMORY_LOG_COUNTS = (20_000, 200_000)
THROUGHPUT_LOGS = 20_000
THROUGHPUT_ROUNDS = 5
LATENCY = 0.05  # seconds per request
LATENCY_PAGES = 100
LATENCY_PAGE_SIZE = 10  # small pages: the wait dominates, not decoding
READ_AHEAD = 8


def main() -> None:
    small, big = (walk_peak(count) for count in MEMORY_LOG_COUNTS)
    for count, peak in zip(MEMORY_LOG_COUNTS, (small, big), strict=True):
        print(f"{f'peak memory, walk of {count:,} logs':42} {peak / 1024:8.1f} KiB")
    label = f"ratio {MEMORY_LOG_COUNTS[1]:,} / {MEMORY_LOG_COUNTS[0]:,} logs"
    print(f"{label:42} {big / small:8.2f} (goal <= 1.10)")

    sdk, raw = throughput()
    print(f"{f'SDK walk, loopback, page_size {PAGE_SIZE}':42} {sdk:8,.0f} logs/s")
    print(f"{'raw httpx + json.loads, same':42} {raw:8,.0f} logs/s")
    print(f"{'ratio raw / SDK':42} {raw / sdk:8.2f}")

    for flavour in ("sync", "async"):
        one, many = latency_hiding(flavour)
        label = f"{LATENCY_PAGES} pages at {LATENCY * 1000:.0f} ms, {flavour}"
        print(f"{label + ', concurrency 1':42} {one:8.2f} s")
        print(f"{label + f', concurrency {READ_AHEAD}':42} {many:8.2f} s")
        print(f"{'speed-up, ' + flavour:42} {one / many:8.2f}x (goal >= 5x)")


def walk_peak(log_count: int) -> int:
    """Peak traced memory, in bytes, of one walk over every log of an in-process fake.

    What grows on the fake's side is left out: it is told not to record requests (its
    record grows by about 2 KiB per request), and a first, untraced walk makes it encode
    and cache every log and fills the caches every process fills once (httpx's and the
    standard library's, bounded). The second walk, traced, is then the walk itself.
    """
    fake = FakeMeetBot(log_count=log_count, record_requests=False)
    with (
        httpx.Client(transport=fake.transport()) as http,
        MeetBot(fake.api_key, base_url=fake.base_url, http_client=http) as client,
    ):
        _check_count(sum(1 for _ in client.api_logs.list(page_size=PAGE_SIZE)), log_count)
        gc.collect()
        tracemalloc.start()
        try:
            walked = sum(1 for _ in client.api_logs.list(page_size=PAGE_SIZE))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    _check_count(walked, log_count)
    return peak


def throughput() -> tuple[float, float]:
    """Best logs/s of a sequential SDK walk and of raw httpx paging, over loopback."""
    fake = FakeMeetBot(log_count=THROUGHPUT_LOGS)
    best_sdk = best_raw = 0.0
    with (
        fake.serve() as base_url,
        MeetBot(fake.api_key, base_url=base_url) as client,
        httpx.Client() as raw,
    ):
        raw_walk(raw, base_url, fake.api_key)  # warms the fake's encoded logs, connections
        for _ in range(THROUGHPUT_ROUNDS):
            started = time.perf_counter()
            walked = sum(1 for log in client.api_logs.list(page_size=PAGE_SIZE) if log.id)
            best_sdk = max(best_sdk, walked / (time.perf_counter() - started))
            _check_count(walked, THROUGHPUT_LOGS)
            started = time.perf_counter()
            walked = raw_walk(raw, base_url, fake.api_key)
            best_raw = max(best_raw, walked / (time.perf_counter() - started))
            _check_count(walked, THROUGHPUT_LOGS)
    return best_sdk, best_raw


def raw_walk(http: httpx.Client, base_url: str, api_key: str) -> int:
    """Page through every log with plain httpx and ``json.loads``; return how many."""
    walked = 0
    for _, body in _raw_pages(http, base_url, api_key):
        walked += sum(1 for log in body["logs"] if log["id"])
    return walked


def _raw_pages(
    http: httpx.Client, base_url: str, api_key: str
) -> Iterator[tuple[bytes, dict[str, Any]]]:
    url = f"{base_url}/users/me/api-logs"
    headers = {"Authorization": f"Bearer {api_key}"}
    page = 1
    while True:
        response = http.get(url, params={"page": page, "page_size": PAGE_SIZE}, headers=headers)
        response.raise_for_status()
        body = json.loads(response.content)
        yield response.content, body
        if page * PAGE_SIZE >= body["total"]:
            return
        page += 1


def latency_hiding(flavour: str) -> tuple[float, float]:
    """Seconds to walk every page of a slow fake, one page in flight and ``READ_AHEAD``."""
    log_count = LATENCY_PAGES * LATENCY_PAGE_SIZE
    fake = FakeMeetBot(log_count=log_count)
    fake.set_latency(LATENCY)
    walk = _walk_sync if flavour == "sync" else _walk_async
    seconds = []
    for concurrency in (1, READ_AHEAD):
        started = time.perf_counter()
        walked = walk(fake, concurrency)
        seconds.append(time.perf_counter() - started)
        _check_count(walked, log_count)
    return seconds[0], seconds[1]


def _walk_sync(fake: FakeMeetBot, concurrency: int) -> int:
    with (
        httpx.Client(transport=fake.transport()) as http,
        MeetBot(fake.api_key, base_url=fake.base_url, http_client=http) as client,
    ):
        logs = client.api_logs.list(page_size=LATENCY_PAGE_SIZE, concurrency=concurrency)
        return sum(1 for _ in logs)


def _walk_async(fake: FakeMeetBot, concurrency: int) -> int:
    async def run() -> int:
        async with (
            httpx.AsyncClient(transport=fake.transport()) as http,
            AsyncMeetBot(fake.api_key, base_url=fake.base_url, http_client=http) as client,
        ):
            logs = client.api_logs.list(page_size=LATENCY_PAGE_SIZE, concurrency=concurrency)
            return sum([1 async for _ in logs])

    return asyncio.run(run())


def _check_count(walked: int, expected: int) -> None:
    if walked != expected:
        msg = f"walked {walked:,} logs, expected {expected:,}"
        raise RuntimeError(msg)


if __name__ == "__main__":
    main()
