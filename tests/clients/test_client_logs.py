"""The lines a client logs around waits and refusals, word for word, and the durations they
and ``RawResponse.elapsed`` state, on the SDK's clock (mocked with pytest-httpx; waits are
instant). The INFO lines are documented in docs/retries.rst: users grep them."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

import meetbot_sdk as mb
from meetbot_sdk._utils._clock import CLOCK
from tests.support import API_KEY, USAGE, Twin

TARGET = "GET /v1/api-keys/1/usage"


def get_usage(client: Any) -> Any:
    return client.api_keys.get_usage(1)


def messages(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == "meetbot_sdk" and r.levelno == level
    ]


def test_a_wait_for_the_budget_is_logged_at_info_with_its_seconds_and_reason(
    twin: Twin, httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture
) -> None:
    spent = {"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "30"}
    httpx_mock.add_response(json=USAGE, headers=spent)
    httpx_mock.add_response(json=USAGE)
    caplog.set_level(logging.INFO, logger="meetbot_sdk")

    def twice(client: Any) -> Any:
        if twin.kind == "sync":
            return [get_usage(client), get_usage(client)]

        async def both() -> list[Any]:
            return [await get_usage(client), await get_usage(client)]

        return both()

    sleeps: list[float] = []
    twin.run(twice, sleeps=sleeps)
    (line,) = messages(caplog, logging.INFO)
    seconds = re.fullmatch(
        rf"Waiting (\d+\.\d\d) s before {TARGET}: "
        r"rate-limit budget spent \(limit 5\); waiting for the reset",
        line,
    )
    assert seconds is not None, line
    assert 29.0 < float(seconds[1]) <= 30.0
    assert sleeps == [pytest.approx(float(seconds[1]), abs=0.01)]  # instant, not slept


def test_a_request_held_for_the_first_answer_is_logged_at_debug(
    httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture
) -> None:
    async def slow_answer(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)  # the other call asks to be sent while this one is out
        return httpx.Response(200, json=USAGE)

    httpx_mock.add_callback(slow_answer, is_reusable=True)
    caplog.set_level(logging.DEBUG, logger="meetbot_sdk")

    async def main() -> None:
        async with mb.AsyncMeetBot(API_KEY) as client:
            await asyncio.gather(get_usage(client), get_usage(client))

    with mb.testing.instant_waits():
        asyncio.run(main())
    held = [m for m in messages(caplog, logging.DEBUG) if m.startswith("Holding")]
    assert held == [
        f"Holding {TARGET}: waiting for the first response to tell the rate-limit budget"
    ]


def test_a_call_the_budget_refuses_is_logged_at_info_and_never_sent(
    twin: Twin, httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture
) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "120"})
    caplog.set_level(logging.INFO, logger="meetbot_sdk")

    def twice(client: Any) -> Any:
        errors = []
        if twin.kind == "sync":
            for _ in range(2):
                with pytest.raises(mb.RateLimitError) as info:
                    get_usage(client)
                errors.append(info.value)
            return errors

        async def both() -> list[Any]:
            for _ in range(2):
                with pytest.raises(mb.RateLimitError) as info:
                    await get_usage(client)
                errors.append(info.value)
            return errors

        return both()

    _, second = twin.run(twice, sleeps=[])
    assert len(httpx_mock.get_requests()) == 1  # the second call is refused without sending
    assert second.status_code == 429
    assert 119.0 < second.retry_after <= 120.0
    lines = messages(caplog, logging.INFO)
    assert lines[0] == (
        f"Not retrying {TARGET}: the server asks to wait 120.0 s, over max_retry_wait=60 s"
    )
    assert re.fullmatch(
        rf"Not sending {TARGET}: the server asked to wait 1(19\.\d|20\.0) s more, "
        r"over max_retry_wait=60 s",
        lines[1],
    ), lines[1]
    assert len(lines) == 2


def test_a_server_wait_of_exactly_max_retry_wait_is_waited_for(
    twin: Twin, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(status_code=503, headers={"Retry-After": "5"})
    httpx_mock.add_response(json=USAGE)
    sleeps: list[float] = []
    assert twin.run(get_usage, sleeps=sleeps, max_retry_wait=5).requests_today == 15
    assert sleeps == [5.0]


SLOW = 1000.0  # seconds a fake server takes to answer, on the SDK's clock


@pytest.mark.parametrize("outcome", ["answer", "connection error"])
def test_an_attempts_debug_line_states_its_duration_in_milliseconds(
    twin: Twin, httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture, outcome: str
) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        CLOCK.skip(SLOW)
        if outcome == "connection error":
            raise httpx.ConnectError("refused")
        return httpx.Response(200, json=USAGE)

    httpx_mock.add_callback(slow)
    caplog.set_level(logging.DEBUG, logger="meetbot_sdk")
    began = time.monotonic()
    try:
        twin.run(get_usage, sleeps=[], max_retries=0)
    except mb.APIConnectionError:
        assert outcome == "connection error"
    real = time.monotonic() - began
    (line,) = [m for m in messages(caplog, logging.DEBUG) if m.startswith(TARGET)]
    shown = re.fullmatch(
        rf"{TARGET} -> (?:200 in|ConnectError after) (\d+\.\d) ms \(attempt 1\)", line
    )
    assert shown is not None, line
    assert SLOW * 1000 <= float(shown[1]) <= (SLOW + real) * 1000 + 0.1


def test_elapsed_counts_the_waits_between_attempts(twin: Twin, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=503, headers={"Retry-After": "2"})
    httpx_mock.add_response(json=USAGE)
    began = time.monotonic()
    raw = twin.run(lambda c: c.api_keys.with_raw_response.get_usage(1), sleeps=[])
    real = time.monotonic() - began
    assert raw.retries_taken == 1
    assert 2.0 <= raw.elapsed.total_seconds() <= 2.0 + real
