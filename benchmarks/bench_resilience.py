"""Manners under failure, against the fake over loopback: 429s provoked by a burst (throttle
on and off), time to raise on a long Retry-After, connections left open after failures,
memory over many failing calls."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from meetbot_sdk import AsyncMeetBot, InternalServerError, MeetBot, RateLimitError
from meetbot_sdk.testing import FakeMeetBot, Fault

BURST = 20
WINDOW = 5  # requests per second
FAILING_CALLS = 10_000


def main() -> None:
    for throttle in (True, False):
        for flavour in ("async tasks", "threads"):
            refused, seconds = burst(flavour, throttle=throttle)
            label = f"burst of {BURST} {flavour}, throttle {'on' if throttle else 'off'}"
            print(f"{label:42} {refused:3d} x 429 in {seconds:5.2f} s ({WINDOW}/s window)")
    for flavour in ("sync", "async"):
        print(f"{'raise on Retry-After: 3600, ' + flavour:42} {long_wait_ms(flavour):8.1f} ms")
    opened, after_close = connections_after_failures()
    print(
        f"{'open connections after 50 failing calls':42} {opened:3d} (after close: {after_close})"
    )
    grown, per_call = memory_over_failing_calls()
    print(
        f"{f'memory growth over {FAILING_CALLS:,} failing calls':42} "
        f"{grown / 1024:8.1f} KiB ({per_call:.2f} B/call, 3 attempts each)"
    )


def burst(flavour: str, *, throttle: bool) -> tuple[int, float]:
    fake = FakeMeetBot(log_count=100)
    fake.set_rate_limit(WINDOW, per=1.0)
    with fake.serve() as base_url:
        started = time.monotonic()
        if flavour == "threads":
            client = MeetBot(fake.api_key, base_url=base_url, throttle=throttle, max_retries=10)
            with client, ThreadPoolExecutor(BURST) as pool:
                list(pool.map(lambda _: client.api_keys.get_usage(1), range(BURST)))
        else:

            async def run() -> None:
                async with AsyncMeetBot(
                    fake.api_key, base_url=base_url, throttle=throttle, max_retries=10
                ) as client:
                    await asyncio.gather(*(client.api_keys.get_usage(1) for _ in range(BURST)))

            asyncio.run(run())
        seconds = time.monotonic() - started
    return len(fake.requests) - BURST, seconds


def long_wait_ms(flavour: str) -> float:
    fake = FakeMeetBot(log_count=10)
    fake.inject(Fault.status(429, headers={"Retry-After": "3600"}))
    with fake.serve() as base_url:
        started = time.monotonic()
        try:
            if flavour == "sync":
                with MeetBot(fake.api_key, base_url=base_url) as client:
                    client.api_keys.get_usage(1)
            else:

                async def run() -> None:
                    async with AsyncMeetBot(fake.api_key, base_url=base_url) as client:
                        await client.api_keys.get_usage(1)

                asyncio.run(run())
        except RateLimitError:
            pass
        return (time.monotonic() - started) * 1000


def connections_after_failures() -> tuple[int, int]:
    """Client-side ESTABLISHED sockets to the fake after timeouts, 5xx and dropped
    connections (read from /proc/net/tcp, so Linux only)."""
    fake = FakeMeetBot(log_count=10)
    with fake.serve() as base_url:
        port = httpx.URL(base_url).port
        assert port is not None
        client = MeetBot(fake.api_key, base_url=base_url, timeout=0.05, max_retries=3)
        client._sleep = lambda seconds: None  # type: ignore[method-assign]
        for _ in range(50):
            fake.inject(Fault.delay(0.1), Fault.status(503), Fault.drop_connection())
            client.api_keys.get_usage(1)
        opened = _established(port)
        client.close()
        return opened, _established(port)


def _established(port: int) -> int:
    table = Path("/proc/net/tcp")
    if not table.exists():
        return -1
    count = 0
    for line in table.read_text().splitlines()[1:]:
        fields = line.split()
        remote_port = int(fields[2].split(":")[1], 16)
        if remote_port == port and fields[3] == "01":  # 01: ESTABLISHED
            count += 1
    return count


def memory_over_failing_calls() -> tuple[int, float]:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"detail": "down"})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = MeetBot("mb_bench", http_client=http)
    client._sleep = lambda seconds: None  # type: ignore[method-assign]

    def fail(times: int) -> None:
        for _ in range(times):
            with contextlib.suppress(InternalServerError):
                client.api_keys.get_usage(1)

    fail(1_000)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    fail(FAILING_CALLS)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    http.close()
    return after - before, (after - before) / FAILING_CALLS


if __name__ == "__main__":
    main()
