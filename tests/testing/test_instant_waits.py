"""``instant_waits()``: the SDK's waits take no time, and the time passes all the same."""

from __future__ import annotations

import asyncio
import time

import pytest

from meetbot_sdk import RateLimitError
from meetbot_sdk.testing import FakeMeetBot, Fault, instant_waits


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_retry_waits_are_skipped_and_recorded(kind: str) -> None:
    fake = FakeMeetBot()
    fake.inject(Fault.status(503, headers={"Retry-After": "30"}), Fault.drop_connection())
    started = time.monotonic()
    with instant_waits() as waits:
        if kind == "sync":
            with fake.client() as client:
                analytics = client.analytics.get(period="7d")
        else:

            async def main() -> object:
                async with fake.async_client() as client:
                    return await client.analytics.get(period="7d")

            analytics = asyncio.run(main())
    assert analytics is not None
    assert waits[0] == 30.0  # the server's Retry-After, then a jittered backoff
    assert len(waits) == 2
    assert 0.25 <= waits[1] <= 1.0
    assert time.monotonic() - started < 5  # nothing close to the 30 s was waited out


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_the_throttle_waits_out_the_fakes_window_in_no_time(kind: str) -> None:
    # 12 calls against 2 per 10 s: 50 s of real waiting, polite, without a 429.
    fake = FakeMeetBot()
    fake.set_rate_limit(2, per=10.0)
    started = time.monotonic()
    with instant_waits() as waits:
        if kind == "sync":
            with fake.client(max_retries=0) as client:
                for _ in range(12):
                    client.api_keys.get_usage(1)
        else:

            async def main() -> None:
                async with fake.async_client(max_retries=0) as client:
                    await asyncio.gather(*(client.api_keys.get_usage(1) for _ in range(12)))

            asyncio.run(main())
    assert len(fake.requests) == 12  # max_retries=0: a 429 would have raised
    assert 49.0 <= sum(waits) <= 52.0
    assert time.monotonic() - started < 5


def test_a_wait_over_the_cap_still_raises_at_once() -> None:
    fake = FakeMeetBot()
    fake.inject(Fault.status(429, headers={"Retry-After": "3600"}))
    with instant_waits() as waits, fake.client() as client, pytest.raises(RateLimitError) as info:
        client.analytics.get()
    assert info.value.retry_after == 3600.0
    assert waits == []


def test_outside_the_block_waits_are_real_again() -> None:
    fake = FakeMeetBot()
    with instant_waits():
        pass
    fake.inject(Fault.status(503, headers={"Retry-After": "0.1"}))
    started = time.monotonic()
    with fake.client(throttle=False) as client:
        client.analytics.get()
    assert time.monotonic() - started >= 0.1


def test_blocks_nest_and_each_sees_its_own_waits() -> None:
    fake = FakeMeetBot()
    fake.inject(Fault.status(503, headers={"Retry-After": "7"}))
    with instant_waits() as outer:
        with instant_waits() as inner, fake.client() as client:
            client.analytics.get()
        fake.inject(Fault.status(503, headers={"Retry-After": "9"}))
        with fake.client() as client:
            client.analytics.get()
    assert inner == [7.0]
    assert outer == [9.0]
