"""The retry policy's pure pieces: server-given waits, budgets, backoff, the tenacity driver."""

from __future__ import annotations

import asyncio
import datetime
import time
from typing import Any

import httpx
import pytest
import tenacity

from meetbot_sdk._retry import (
    INITIAL_BACKOFF,
    MAX_BACKOFF,
    Budget,
    RetryableError,
    backoff,
    parse_budget,
    rate_headers,
    retry_after_seconds,
    retry_options,
    server_wait,
)

UTC = datetime.timezone.utc
NOW = 1_445_412_470.0  # 2015-10-21T07:27:50Z


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "5"}, 5.0),
        ({"Retry-After": " 2.5 "}, 2.5),
        ({"Retry-After": "0"}, 0.0),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, 10.0),
        ({"Retry-After": "Wed, 21 Oct 2015 07:00:00 GMT"}, 0.0),  # in the past: no wait
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 -0000"}, 10.0),
        ({"retry-after-ms": "1500", "Retry-After": "9"}, 1.5),
        ({"retry-after-ms": "soon", "Retry-After": "9"}, 9.0),
        ({}, None),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "-3"}, None),
        ({"Retry-After": "nan"}, None),
        ({"Retry-After": "inf"}, None),
        ({"Retry-After": ""}, None),
    ],
)
def test_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_seconds(httpx.Headers(headers), now=NOW) == expected


# --- rate-limit budgets ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "12", "X-RateLimit-Reset": "30"},
            Budget(limit=60, remaining=12, reset_after=30.0),
        ),
        # an epoch reset is turned into seconds from now; whole seconds are marked so
        (
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) + 42)},
            Budget(limit=None, remaining=0, reset_after=42.0, whole_seconds=True),
        ),
        (
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": f"{int(NOW) + 42}.5"},
            Budget(limit=None, remaining=0, reset_after=42.5),
        ),
        # an epoch in the past: the window has already reset
        (
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) - 5)},
            Budget(limit=None, remaining=0, reset_after=0.0, whole_seconds=True),
        ),
        # fractional deltas, as some servers send
        (
            {"x-ratelimit-remaining": "3", "x-ratelimit-reset": "0.734"},
            Budget(limit=None, remaining=3, reset_after=0.734),
        ),
        # IETF draft fields, including quota-policy lists; their reset is always a delta
        (
            {
                "RateLimit-Limit": "100, 100;w=60",
                "RateLimit-Remaining": "7",
                "RateLimit-Reset": "5",
            },
            Budget(limit=100, remaining=7, reset_after=5.0),
        ),
        # several quota policies: the first item is the one that binds now
        (
            {
                "RateLimit-Limit": "10, 500;w=3600",
                "RateLimit-Remaining": "3, 420;w=3600",
                "RateLimit-Reset": "1, 1800;w=3600",
            },
            Budget(limit=10, remaining=3, reset_after=1.0),
        ),
        # X-RateLimit-* wins when both are present
        (
            {"X-RateLimit-Remaining": "1", "RateLimit-Remaining": "9"},
            Budget(limit=None, remaining=1, reset_after=None),
        ),
        # malformed parts are ignored, not raised
        (
            {
                "X-RateLimit-Limit": "lots",
                "X-RateLimit-Remaining": "4",
                "X-RateLimit-Reset": "soon",
            },
            Budget(limit=None, remaining=4, reset_after=None),
        ),
        ({"X-RateLimit-Remaining": "-1", "RateLimit-Remaining": "2"}, Budget(None, 2, None)),
        ({"X-RateLimit-Limit": "60"}, None),  # no remaining: no budget
        ({"X-RateLimit-Remaining": "nan"}, None),
        ({}, None),
    ],
)
def test_parse_budget(headers: dict[str, str], expected: Budget | None) -> None:
    assert parse_budget(httpx.Headers(headers), now=NOW) == expected


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (503, {"Retry-After": "3"}, 3.0),
        (500, {"retry-after-ms": "250"}, 0.25),
        (429, {"Retry-After": "2", "X-RateLimit-Reset": "40"}, 2.0),  # Retry-After first
        (429, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "40"}, 40.0),
        (429, {"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "40"}, 40.0),
        (429, {"RateLimit-Remaining": "0", "RateLimit-Reset": "9"}, 9.0),
        (503, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "40"}, 40.0),  # budget spent
        # a 5xx with budget left: the reset says nothing about when to retry
        (503, {"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "40"}, None),
        (429, {}, None),
        (502, {}, None),
    ],
)
def test_server_wait(status: int, headers: dict[str, str], expected: float | None) -> None:
    assert server_wait(status, httpx.Headers(headers), now=NOW) == expected


# --- backoff --------------------------------------------------------------------------------


def test_backoff_doubles_from_half_a_second_up_to_the_cap() -> None:
    assert [backoff(n, jitter=0.0) for n in range(1, 8)] == [0.5, 1, 2, 4, 8, 8, 8]
    assert backoff(1000, jitter=0.0) == MAX_BACKOFF


def test_jitter_shortens_by_at_most_a_quarter() -> None:
    assert backoff(1, jitter=0.999) == pytest.approx(0.5 * 0.75, abs=1e-3)
    assert backoff(5, jitter=0.5) == 8 * 0.875
    assert all(
        INITIAL_BACKOFF * 0.75 <= backoff(1, jitter=j / 10) <= INITIAL_BACKOFF for j in range(10)
    )


# --- the tenacity driver built from these pieces --------------------------------------------


class Script:
    """An attempt function failing as scripted; records the driver's sleeps."""

    def __init__(self, *outcomes: BaseException | str) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0
        self.sleeps: list[float] = []
        self.logged: list[int] = []

    def attempt(self) -> str:
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def options(self, max_retries: int) -> dict[str, Any]:
        return retry_options(
            max_retries,
            sleep=self.sleeps.append,
            before_sleep=lambda state: self.logged.append(state.attempt_number),
        )


def _retryable(name: str, wait: float | None = None) -> RetryableError:
    return RetryableError(ValueError(name), wait=wait, target="GET /x", reason=name)


def test_retries_until_an_attempt_succeeds() -> None:
    script = Script(_retryable("a"), _retryable("b", wait=3.0), "ok")
    assert tenacity.Retrying(**script.options(2))(script.attempt) == "ok"
    assert script.calls == 3
    assert script.sleeps[0] == pytest.approx(0.5, rel=0.25)  # backoff
    assert script.sleeps[1] == 3.0  # the server's wait replaces the backoff
    assert script.logged == [1, 2]


def test_when_retries_run_out_the_users_error_is_raised() -> None:
    script = Script(_retryable("first"), _retryable("last"))
    with pytest.raises(ValueError, match="last"):
        tenacity.Retrying(**script.options(1))(script.attempt)
    assert script.calls == 2


def test_a_final_error_is_raised_at_once() -> None:
    script = Script(KeyError("not retried"), "never reached")
    with pytest.raises(KeyError):
        tenacity.Retrying(**script.options(5))(script.attempt)
    assert (script.calls, script.sleeps) == (1, [])


def test_no_retries_means_one_attempt() -> None:
    script = Script(_retryable("only"))
    with pytest.raises(ValueError, match="only"):
        tenacity.Retrying(**script.options(0))(script.attempt)
    assert (script.calls, script.sleeps) == (1, [])


def test_the_async_driver_follows_the_same_policy() -> None:
    script = Script(_retryable("a", wait=1.5), "ok")

    async def attempt() -> str:
        return script.attempt()

    async def sleep(seconds: float) -> None:
        script.sleeps.append(seconds)

    options = {**script.options(2), "sleep": sleep}
    assert asyncio.run(tenacity.AsyncRetrying(**options)(attempt)) == "ok"
    assert script.sleeps == [1.5]


def test_rate_headers_picks_the_names_the_policy_reads_in_one_pass() -> None:
    headers = httpx.Headers(
        [
            ("Content-Type", "application/json"),
            ("Retry-After", "3"),
            ("X-RateLimit-Remaining", "4"),
            ("RateLimit-Reset", "9"),
            ("x-ratelimit-remaining", "5"),  # a repeat: the first one counts
            ("X-Request-Id", "req_1"),
        ]
    )
    assert rate_headers(headers) == {
        "retry-after": "3",
        "x-ratelimit-remaining": "4",
        "ratelimit-reset": "9",
    }
    assert rate_headers(httpx.Headers({"Content-Type": "text/html"})) == {}


# --- rate headers at their bounds ----------------------------------------------------------------


def test_an_http_date_without_zone_is_gmt_in_any_local_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        now = datetime.datetime(2015, 10, 21, 7, 27, 50, tzinfo=UTC).timestamp()
        for date in ("Wed, 21 Oct 2015 07:28:00 -0000", "Wed, 21 Oct 2015 07:28:00 GMT"):
            assert retry_after_seconds({"retry-after": date}, now=now) == 10.0
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize(
    ("reset", "expected"),
    [("1000000000", 5.0), ("999999999", 999_999_999.0)],
    ids=["epoch", "seconds"],
)
def test_an_x_ratelimit_reset_from_2001_on_is_an_epoch(reset: str, expected: float) -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
    budget = parse_budget(headers, now=1_000_000_000 - 5)
    assert budget is not None
    assert budget.reset_after == expected


def test_an_ietf_ratelimit_reset_is_always_seconds_from_now() -> None:
    headers = {"ratelimit-remaining": "0", "ratelimit-reset": "1700000000"}
    budget = parse_budget(headers, now=1_700_000_000 - 5)
    assert budget is not None
    assert budget.reset_after == 1_700_000_000.0


def test_ietf_parameters_after_a_semicolon_are_ignored() -> None:
    headers = {"ratelimit-limit": "100;w=60", "ratelimit-remaining": "7;w=60"}
    assert parse_budget(headers) == Budget(limit=100, remaining=7, reset_after=None)
