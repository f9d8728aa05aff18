"""Both clients against the fake over real loopback HTTP, with injected faults and a
rate-limit window: what is retried, what is not, how long it takes to give up, a polite
burst, cancellation, and what is left behind (connections, memory)."""

from __future__ import annotations

import asyncio
import gc
import signal
import threading
import time
import tracemalloc
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import tenacity

import meetbot_sdk as mb
from meetbot_sdk import AsyncMeetBot, MeetBot
from meetbot_sdk._transport import _http
from meetbot_sdk.testing import FakeMeetBot, Fault, instant_waits
from tests.support import API_KEY, Twin

pytestmark = pytest.mark.loopback


@pytest.fixture
def fake() -> FakeMeetBot:
    return FakeMeetBot(seed=5, log_count=300, api_key=API_KEY)


@pytest.fixture
def base_url(fake: FakeMeetBot) -> Iterator[str]:
    with fake.serve() as url:
        yield url


def get_usage(client: Any) -> Any:
    return client.api_keys.get_usage(1)


def _ctrl_c() -> None:
    """Ctrl-C, as the terminal sends it, to the main thread. Sent to the process from another
    thread, SIGINT may be delivered to that thread, and the main thread's wait then runs its
    course before Python sees the signal (the call took the server's 30 s now and then)."""
    main = threading.main_thread().ident
    assert main is not None
    signal.pthread_kill(main, signal.SIGINT)


def _wait_for_requests(fake: FakeMeetBot, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(fake.requests) < count:
        assert time.monotonic() < deadline, "the request never reached the fake"
        time.sleep(0.002)


async def _await_requests(fake: FakeMeetBot, count: int) -> None:
    deadline = time.monotonic() + 5
    # The fake's record lives on the server thread; there is no event to await.
    while len(fake.requests) < count:
        assert time.monotonic() < deadline, "the request never reached the fake"
        await asyncio.sleep(0.002)


# --- each fault, retried ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        Fault.status(503),
        Fault.status(502, body=b"<html><title>Bad Gateway</title></html>"),
        Fault.status(429, headers={"Retry-After": "0"}),
        Fault.status(409, json={"error": {"code": "lock", "message": "lock timed out"}}),
        Fault.drop_connection(),
        Fault.truncated_body(),
        Fault.delay(0.3),  # longer than the client's read timeout below
    ],
    ids=repr,
)
def test_each_transient_fault_is_retried_and_the_call_succeeds(
    twin: Twin, fake: FakeMeetBot, base_url: str, fault: Fault
) -> None:
    fake.inject(fault)
    sleeps: list[float] = []
    usage = twin.run(get_usage, base_url=base_url, timeout=0.1, sleeps=sleeps)
    assert usage.requests_total > 0
    assert len(fake.requests) == 2
    assert len(sleeps) == 1


def test_retries_exhausted_raise_the_last_failure(
    twin: Twin, fake: FakeMeetBot, base_url: str
) -> None:
    fake.inject(Fault.drop_connection(), Fault.status(500), Fault.status(503))
    with pytest.raises(mb.InternalServerError) as info:
        twin.run(get_usage, base_url=base_url, sleeps=[])
    assert info.value.status_code == 503
    assert len(fake.requests) == 3


def test_a_dropped_connection_raises_a_connection_error_once_retries_are_spent(
    twin: Twin, fake: FakeMeetBot, base_url: str
) -> None:
    fake.inject(Fault.drop_connection(), Fault.drop_connection())
    with pytest.raises(mb.APIConnectionError) as info:
        twin.run(get_usage, base_url=base_url, sleeps=[], max_retries=1)
    # the default library's own error: no http_client, so the client runs on the default
    assert isinstance(info.value.cause, _http.chosen_backend().RemoteProtocolError)


def test_a_timeout_raises_api_timeout_error_once_retries_are_spent(
    twin: Twin, fake: FakeMeetBot, base_url: str
) -> None:
    fake.inject(Fault.delay(0.3), Fault.delay(0.3))
    with pytest.raises(mb.APITimeoutError):
        twin.run(get_usage, base_url=base_url, sleeps=[], max_retries=1, timeout=0.05)
    assert len(fake.requests) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_a_4xx_is_never_retried(twin: Twin, fake: FakeMeetBot, base_url: str, status: int) -> None:
    fake.inject(Fault.status(status))
    sleeps: list[float] = []
    with pytest.raises(mb.APIStatusError) as info:
        twin.run(get_usage, base_url=base_url, sleeps=sleeps)
    assert info.value.status_code == status
    assert len(fake.requests) == 1
    assert sleeps == []


def test_a_malformed_2xx_body_is_not_retried(twin: Twin, fake: FakeMeetBot, base_url: str) -> None:
    fake.inject(Fault.malformed_body())
    with pytest.raises(mb.APIResponseValidationError, match="not valid JSON"):
        twin.run(get_usage, base_url=base_url, sleeps=[])
    assert len(fake.requests) == 1


def test_a_long_retry_after_raises_in_well_under_a_second(
    twin: Twin, fake: FakeMeetBot, base_url: str
) -> None:
    fake.inject(Fault.status(429, headers={"Retry-After": "3600"}))
    started = time.monotonic()
    with pytest.raises(mb.RateLimitError) as info:
        twin.run(get_usage, base_url=base_url)  # the real sleep: nothing is injected
    assert time.monotonic() - started < 1.0
    assert info.value.retry_after == 3600.0
    assert len(fake.requests) == 1


# --- a polite burst ---------------------------------------------------------------------------

BURST = 20


def _burst_async(client: AsyncMeetBot) -> Any:
    return asyncio.gather(*(client.api_keys.get_usage(1) for _ in range(BURST)))


def _burst_threads(client: MeetBot) -> list[Any]:
    start = threading.Barrier(BURST)

    def one(_: int) -> Any:
        start.wait()
        return client.api_keys.get_usage(1)

    with ThreadPoolExecutor(max_workers=BURST) as pool:
        return list(pool.map(one, range(BURST)))


def test_a_cold_burst_against_a_5_per_second_window_provokes_at_most_one_429(
    twin: Twin, fake: FakeMeetBot, base_url: str
) -> None:
    fake.set_rate_limit(5, per=1.0)
    burst = _burst_threads if twin.kind == "sync" else _burst_async
    results = twin.run(burst, base_url=base_url)
    assert len(results) == BURST
    refused = len(fake.requests) - BURST  # every 429 costs one extra request
    assert refused <= 1


def test_a_429_holds_back_the_other_tasks_until_its_wait_is_over(
    fake: FakeMeetBot, base_url: str
) -> None:
    async def main() -> float:
        async with AsyncMeetBot(API_KEY, base_url=base_url) as client:
            await client.analytics.get()  # tells the client that there is no known budget
            fake.inject(Fault.status(429, headers={"retry-after-ms": "300"}))
            first = asyncio.create_task(client.api_keys.get_usage(1))
            await _await_requests(fake, 2)
            await asyncio.sleep(0.05)  # the 429 has arrived and is being waited out
            started = time.monotonic()
            await client.api_keys.get_usage(2)
            await first
            return time.monotonic() - started

    assert asyncio.run(main()) >= 0.15  # held until the 300 ms were over
    # analytics, the refused request, its retry and the held call: no second 429
    assert len(fake.requests) == 4


# --- cancellation ---------------------------------------------------------------------------


def test_cancelling_a_task_during_a_backoff_stops_at_once_and_gives_its_place_back(
    fake: FakeMeetBot, base_url: str
) -> None:
    fake.inject(Fault.status(503, headers={"Retry-After": "30"}))

    async def main() -> AsyncMeetBot:
        client = AsyncMeetBot(API_KEY, base_url=base_url)
        task = asyncio.create_task(client.api_keys.get_usage(1))
        await _await_requests(fake, 1)
        await asyncio.sleep(0.05)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert time.monotonic() - started < 0.5
        await client.close()
        return client

    client = asyncio.run(main())
    assert client._throttle.window.in_flight == 0
    assert client._throttle._waiters == set()
    assert len(fake.requests) == 1


def test_cancelling_a_task_held_by_the_throttle_leaves_no_waiter(
    fake: FakeMeetBot, base_url: str
) -> None:
    fake.inject(Fault.status(429, headers={"Retry-After": "30"}))

    async def main() -> AsyncMeetBot:
        client = AsyncMeetBot(API_KEY, base_url=base_url, max_retries=0)
        with pytest.raises(mb.RateLimitError):
            await client.with_options(max_retry_wait=0).api_keys.get_usage(1)
        held = asyncio.create_task(client.api_keys.get_usage(1))  # waits out the 30 s
        await asyncio.sleep(0.05)
        assert len(client._throttle._waiters) == 1
        held.cancel()
        with pytest.raises(asyncio.CancelledError):
            await held
        await client.close()
        return client

    client = asyncio.run(main())
    assert client._throttle._waiters == set()
    assert client._throttle.window.in_flight == 0
    assert len(fake.requests) == 1


def test_ctrl_c_during_a_backoff_stops_the_sync_client_at_once(
    fake: FakeMeetBot, base_url: str
) -> None:
    fake.inject(Fault.status(503, headers={"Retry-After": "30"}))

    def interrupt() -> None:
        _wait_for_requests(fake, 1)
        time.sleep(0.05)
        _ctrl_c()

    with MeetBot(API_KEY, base_url=base_url) as client:
        timer = threading.Thread(target=interrupt)
        timer.start()
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            client.api_keys.get_usage(1)
        elapsed = time.monotonic() - started
        timer.join()
        assert elapsed < 2.0
        assert client._throttle.window.in_flight == 0
    assert len(fake.requests) == 1


def test_ctrl_c_during_a_throttle_wait_stops_the_sync_client_at_once(
    fake: FakeMeetBot, base_url: str
) -> None:
    fake.inject(Fault.status(429, headers={"Retry-After": "30"}))
    with MeetBot(API_KEY, base_url=base_url, max_retries=0) as client:
        with pytest.raises(mb.RateLimitError):
            client.with_options(max_retry_wait=0).api_keys.get_usage(1)
        timer = threading.Timer(0.1, _ctrl_c)
        timer.start()
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            client.api_keys.get_usage(1)  # held by the throttle for the server's 30 s
        elapsed = time.monotonic() - started
        timer.join()
        assert elapsed < 2.0
        assert client._throttle.window.in_flight == 0
    assert len(fake.requests) == 1


# --- what failures leave behind -------------------------------------------------------------


def _pool(client: MeetBot | AsyncMeetBot) -> Any:
    """The httpcore pool under the client's own transport (the SDK's, for async)."""
    transport: Any = client._http._transport  # type: ignore[union-attr]
    return transport.connections if isinstance(client, AsyncMeetBot) else transport._pool


def test_no_connection_is_left_busy_after_retried_timeouts_and_5xx(
    twin: Twin, fake: FakeMeetBot, base_url: str
) -> None:
    def faults() -> None:
        fake.inject(Fault.delay(0.2), Fault.status(503), Fault.drop_connection())

    def run(client: Any) -> Any:
        if twin.kind == "sync":
            for _ in range(5):
                faults()
                client.api_keys.get_usage(1)
            return [connection.is_idle() for connection in _pool(client).connections]

        async def inner() -> list[bool]:
            for _ in range(5):
                faults()
                await client.api_keys.get_usage(1)
            return [connection.is_idle() for connection in _pool(client).connections]

        return inner()

    idle = twin.run(run, base_url=base_url, timeout=0.05, sleeps=[], max_retries=3)
    assert len(fake.requests) == 20  # 5 calls x (3 failures + 1 success)
    # Timed-out and dropped connections were closed and left the pool; what is left is the
    # one keep-alive connection, idle.
    assert idle == [True]


def test_memory_stays_flat_over_many_failing_calls() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"detail": "down"}, headers={"X-RateLimit-Remaining": "9"})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = MeetBot(API_KEY, http_client=http)
    waits = instant_waits()
    skipped = waits.__enter__()

    def fail(times: int) -> None:
        for _ in range(times):
            with pytest.raises(mb.InternalServerError):
                client.api_keys.get_usage(1)
            skipped.clear()  # the test's own record of the waits must not grow either

    def alive() -> int:
        gc.collect()
        kinds = (httpx.Response, httpx.Request, mb.MeetBotError, tenacity.RetryCallState)
        return sum(isinstance(obj, kinds) for obj in gc.get_objects())

    fail(600)  # warm caches (the re module's, httpx's, tenacity's); untraced, so quick
    objects = alive()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        fail(600)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
        http.close()
        waits.__exit__(None, None, None)
    # Nothing a call made is kept: no response, request, error or retry state...
    assert alive() == objects
    # ...and memory does not grow with the calls. Keeping one response per call would be
    # megabytes here; what is left is CPython's and httpx's caches still filling (more of
    # it on 3.10). benchmarks/bench_resilience.py measures 10,000 calls.
    assert after - before < 64 * 1024, f"grew by {after - before} bytes over 600 calls"
