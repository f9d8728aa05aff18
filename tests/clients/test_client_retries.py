"""Retries, server-given waits, the raw-response view, the visible budget and the logs of
both clients (mocked with pytest-httpx; every wait is recorded instead of slept)."""

from __future__ import annotations

import datetime
import email.utils
import json
import logging
import re
import time
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

import meetbot_sdk as mb
from meetbot_sdk._utils import _logs
from tests.support import API_KEY, USAGE, Twin
from tests.support.handlers import answer, serve

USAGE_URL = "https://api.meetbot.dev/v1/api-keys/1/usage"


def get_usage(client: Any) -> Any:
    return client.api_keys.get_usage(1)


# --- what is retried ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_transient_statuses_are_retried_with_backoff(
    twin: Twin, httpx_mock: HTTPXMock, status: int
) -> None:
    httpx_mock.add_response(status_code=status, json={"detail": "try again"})
    httpx_mock.add_response(json=USAGE)
    sleeps: list[float] = []
    usage = twin.run(get_usage, sleeps=sleeps)
    assert usage.requests_today == 15
    assert len(httpx_mock.get_requests()) == 2
    assert len(sleeps) == 1
    assert 0.375 <= sleeps[0] <= 0.5  # the first backoff, jittered down by up to a quarter


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_other_4xx_are_never_retried(twin: Twin, httpx_mock: HTTPXMock, status: int) -> None:
    httpx_mock.add_response(status_code=status, json={"detail": "no"})
    sleeps: list[float] = []
    with pytest.raises(mb.APIStatusError) as info:
        twin.run(get_usage, sleeps=sleeps)
    assert info.value.status_code == status
    assert len(httpx_mock.get_requests()) == 1
    assert sleeps == []


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("reset by peer"),
        httpx.ConnectTimeout("slow"),
        httpx.ReadTimeout("slow"),
        httpx.PoolTimeout("busy"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_connection_errors_of_every_kind_are_retried(
    twin: Twin, httpx_mock: HTTPXMock, exc: Exception
) -> None:
    httpx_mock.add_exception(exc)
    httpx_mock.add_response(json=USAGE)
    sleeps: list[float] = []
    assert twin.run(get_usage, sleeps=sleeps).requests_total == 2500
    assert len(httpx_mock.get_requests()) == 2
    assert len(sleeps) == 1


def test_when_retries_run_out_the_last_error_is_raised_after_growing_waits(
    twin: Twin, httpx_mock: HTTPXMock
) -> None:
    for n in range(3):
        httpx_mock.add_response(status_code=503, json={"detail": f"down {n}"})
    sleeps: list[float] = []
    with pytest.raises(mb.InternalServerError, match="down 2"):
        twin.run(get_usage, sleeps=sleeps)
    assert len(httpx_mock.get_requests()) == 3  # DEFAULT_MAX_RETRIES = 2
    assert 0.375 <= sleeps[0] <= 0.5
    assert 0.75 <= sleeps[1] <= 1.0


def test_a_timeout_raises_api_timeout_error_once_retries_are_spent(
    twin: Twin, httpx_mock: HTTPXMock
) -> None:
    for _ in range(2):
        httpx_mock.add_exception(httpx.ReadTimeout("read timed out"))
    with pytest.raises(mb.APITimeoutError) as info:
        twin.run(get_usage, sleeps=[], max_retries=1)
    assert len(httpx_mock.get_requests()) == 2
    assert isinstance(info.value.cause, httpx.ReadTimeout)


def test_max_retries_on_the_client_and_per_copy(twin: Twin, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=500, is_reusable=True)

    def both(client: Any) -> Any:
        for copy in (client, client.with_options(max_retries=3)):
            try:
                result = copy.api_keys.get_usage(1)
            except mb.InternalServerError:
                continue
            else:  # pragma: no cover - the mock only fails
                return result
        return None

    def run(client: Any) -> Any:
        if twin.kind == "sync":
            return both(client)

        async def inner() -> None:
            for copy in (client, client.with_options(max_retries=3)):
                with pytest.raises(mb.InternalServerError):
                    await copy.api_keys.get_usage(1)

        return inner()

    twin.run(run, sleeps=[], max_retries=0)
    assert len(httpx_mock.get_requests()) == 1 + 4


def test_a_2xx_that_does_not_decode_is_not_retried(twin: Twin, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(content=b"<html>maintenance</html>")
    with pytest.raises(mb.APIResponseValidationError):
        twin.run(get_usage, sleeps=[])
    assert len(httpx_mock.get_requests()) == 1


# --- server-given waits ---------------------------------------------------------------------


def _http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


@pytest.mark.parametrize(
    ("status", "headers", "bounds"),
    [
        (429, {"Retry-After": "2"}, (2.0, 2.0)),
        (503, {"Retry-After": "3"}, (3.0, 3.0)),
        (503, {"retry-after-ms": "1500"}, (1.5, 1.5)),
        (429, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "4"}, (4.0, 4.0)),
        (429, {"RateLimit-Remaining": "0", "RateLimit-Reset": "5"}, (5.0, 5.0)),
        (429, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "<epoch+20>"}, (17.0, 20.0)),
        (429, {"Retry-After": "<date+30>"}, (27.0, 30.0)),
    ],
)
def test_a_server_given_wait_replaces_the_backoff(
    twin: Twin,
    httpx_mock: HTTPXMock,
    status: int,
    headers: dict[str, str],
    bounds: tuple[float, float],
) -> None:
    # throttle=False: these waits also hold back other requests, and that wait is real time
    headers = {
        name: value.replace("<epoch+20>", str(int(time.time()) + 20)).replace(
            "<date+30>", _http_date(30)
        )
        for name, value in headers.items()
    }
    httpx_mock.add_response(status_code=status, headers=headers)
    httpx_mock.add_response(json=USAGE)
    sleeps: list[float] = []
    twin.run(get_usage, sleeps=sleeps, throttle=False)
    assert len(sleeps) == 1
    assert bounds[0] <= sleeps[0] <= bounds[1]


def test_a_wait_longer_than_the_cap_raises_at_once(twin: Twin, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        status_code=429, headers={"Retry-After": "3600"}, json={"detail": "hourly quota used"}
    )
    sleeps: list[float] = []
    started = time.monotonic()
    with pytest.raises(mb.RateLimitError, match="hourly quota used") as info:
        twin.run(get_usage, sleeps=sleeps)
    assert time.monotonic() - started < 1.0
    assert info.value.retry_after == 3600.0
    assert sleeps == []
    assert len(httpx_mock.get_requests()) == 1


def test_the_cap_is_configurable(twin: Twin, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "90"})
    httpx_mock.add_response(json=USAGE)
    sleeps: list[float] = []
    twin.run(get_usage, sleeps=sleeps, max_retry_wait=120, throttle=False)
    assert sleeps == [90.0]


def test_after_a_long_refusal_later_calls_fail_fast_without_sending(
    twin: Twin, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "600"}, is_reusable=True)

    def twice(client: Any) -> Any:
        if twin.kind == "sync":
            errors = []
            for _ in range(2):
                with pytest.raises(mb.RateLimitError) as info:
                    client.api_keys.get_usage(1)
                errors.append(info.value)
            with pytest.raises(mb.RateLimitError):
                client.with_options(throttle=False).api_keys.get_usage(1)
            return errors

        async def inner() -> Any:
            errors = []
            for _ in range(2):
                with pytest.raises(mb.RateLimitError) as info:
                    await client.api_keys.get_usage(1)
                errors.append(info.value)
            with pytest.raises(mb.RateLimitError):
                await client.with_options(throttle=False).api_keys.get_usage(1)
            return errors

        return inner()

    first, second = twin.run(twice, sleeps=[])
    # the second call was refused with the server's own answer, its wait counted down
    assert second.response is first.response
    assert second.retry_after is not None
    assert 590 < second.retry_after <= 600
    # only the copy with the throttle switched off sent another request
    assert len(httpx_mock.get_requests()) == 2


def test_a_long_503_refuses_later_calls_with_the_servers_503(
    twin: Twin, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        status_code=503, headers={"Retry-After": "600"}, json={"detail": "maintenance"}
    )

    def twice(client: Any) -> Any:
        if twin.kind == "sync":
            errors = []
            for _ in range(2):
                with pytest.raises(mb.InternalServerError, match="maintenance") as info:
                    client.api_keys.get_usage(1)
                errors.append(info.value)
            return errors

        async def inner() -> Any:
            errors = []
            for _ in range(2):
                with pytest.raises(mb.InternalServerError, match="maintenance") as info:
                    await client.api_keys.get_usage(1)
                errors.append(info.value)
            return errors

        return inner()

    first, second = twin.run(twice, sleeps=[])
    assert second.response is first.response
    assert len(httpx_mock.get_requests()) == 1


# --- raw responses --------------------------------------------------------------------------

RAW_CALLS = [
    ("analytics", lambda raw: raw.get(period="7d"), "/v1/users/me/analytics?period=7d"),
    ("api_logs", lambda raw: raw.get_page(page=2, page_size=1), "/v1/users/me/api-logs"),
    ("api_keys", lambda raw: raw.get_usage(1), "/v1/api-keys/1/usage"),
]


@pytest.mark.parametrize(("resource", "call", "path"), RAW_CALLS, ids=[c[0] for c in RAW_CALLS])
def test_every_resource_has_a_raw_response_view(
    twin: Twin, httpx_mock: HTTPXMock, resource: str, call: Any, path: str
) -> None:
    httpx_mock.add_response(status_code=502)
    httpx_mock.add_response(
        json=RAW_BODIES[resource],
        headers={"X-Request-Id": "req_42", "X-RateLimit-Remaining": "58"},
    )
    raw = twin.run(lambda c: call(getattr(c, resource).with_raw_response), sleeps=[])
    assert isinstance(raw, mb.RawResponse)
    assert raw.status_code == 200
    assert raw.headers["x-ratelimit-remaining"] == "58"
    assert raw.request_id == "req_42"
    assert raw.retries_taken == 1
    assert isinstance(raw.elapsed, datetime.timedelta)
    assert raw.elapsed > datetime.timedelta(0)
    assert raw.http_response.request.url.raw_path.decode().startswith(path)
    model = raw.parse()
    assert model.to_dict() == type(model).from_dict(RAW_BODIES[resource]).to_dict()
    assert raw.parse() is model  # decoded once
    assert repr(raw).startswith("<RawResponse [200] GET /")
    assert API_KEY not in repr(raw)


def test_raw_responses_still_raise_for_errors(twin: Twin, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=404, json={"detail": "no such key"})
    with pytest.raises(mb.NotFoundError):
        twin.run(lambda c: c.api_keys.with_raw_response.get_usage(1))


def test_a_raw_body_that_does_not_fit_fails_on_parse(twin: Twin, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"requestsToday": "many"})
    raw = twin.run(lambda c: c.api_keys.with_raw_response.get_usage(1))
    with pytest.raises(mb.APIResponseValidationError, match="requestsToday"):
        raw.parse()


RAW_BODIES: dict[str, Any] = {
    "api_keys": USAGE,
    "api_logs": {"logs": [], "total": 0, "page": 2, "page_size": 1},
    "analytics": {
        "apiCalls": {"today": 1, "thisMonth": 2, "total": 3, "dailyBreakdown": []},
        "bots": {
            "created": 0,
            "active": 0,
            "platformBreakdown": {},
            "statusBreakdown": {},
            "dailyCreated": [],
        },
        "recordings": {"total": 0, "totalDurationSeconds": 0, "storageUsedMb": 0.0},
        "transcriptions": {"total": 0, "totalMinutes": 0.0},
        "webhooks": {"totalDeliveries": 0, "successRate": 100.0, "avgResponseTimeMs": 0.0},
    },
}


# --- the visible budget ---------------------------------------------------------------------


def test_rate_limit_shows_the_last_budget_and_is_shared_with_copies(
    twin: Twin, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        json=USAGE,
        headers={
            "X-RateLimit-Limit": "60",
            "X-RateLimit-Remaining": "59",
            "X-RateLimit-Reset": "9",
        },
    )
    httpx_mock.add_response(json=USAGE)  # no headers: no known limit

    def run(client: Any) -> Any:
        copy = client.with_options(timeout=3.0)
        assert client.rate_limit is None
        if twin.kind == "sync":
            copy.api_keys.get_usage(1)
            seen = client.rate_limit
            copy.api_keys.get_usage(1)
            return seen, client.rate_limit

        async def inner() -> Any:
            await copy.api_keys.get_usage(1)
            seen = client.rate_limit
            await copy.api_keys.get_usage(1)
            return seen, client.rate_limit

        return inner()

    seen, after = twin.run(run)
    assert isinstance(seen, mb.RateLimit)
    assert (seen.limit, seen.remaining) == (60, 59)
    assert seen.reset is not None
    assert after is None


# --- configuration --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"max_retry_wait": -1}, ValueError, "max_retry_wait must be a finite number"),
        ({"max_retry_wait": float("inf")}, ValueError, "max_retry_wait must be a finite"),
        ({"max_retry_wait": "60"}, TypeError, "max_retry_wait must be seconds"),
        ({"max_retry_wait": True}, TypeError, "max_retry_wait must be seconds"),
        ({"throttle": 1}, TypeError, "throttle must be True, False, a FileBudget or a RedisBudget"),
    ],
)
def test_bad_resilience_options(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        mb.MeetBot(API_KEY, **kwargs)
    with pytest.raises(error, match=message):
        mb.AsyncMeetBot(API_KEY).with_options(**kwargs)


def test_options_show_on_the_client_and_its_copies() -> None:
    client = mb.MeetBot(API_KEY, max_retry_wait=5, throttle=False)
    assert (client.max_retry_wait, client.throttle) == (5.0, False)
    copy = client.with_options(max_retry_wait=0, throttle=True)
    assert (copy.max_retry_wait, copy.throttle, copy.max_retries) == (0.0, True, 2)
    assert mb.MeetBot(API_KEY).max_retry_wait == mb.DEFAULT_MAX_RETRY_WAIT == 60.0


# --- logging --------------------------------------------------------------------------------


def test_attempts_log_at_debug_and_retries_at_info_without_the_key(
    twin: Twin, httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture
) -> None:
    # a 500 (unlike 429 and 503) does not hold other requests back, so nothing really waits
    httpx_mock.add_response(status_code=500, headers={"Retry-After": "1"})
    httpx_mock.add_exception(httpx.ConnectError("refused"))
    httpx_mock.add_response(json=USAGE)
    caplog.set_level(logging.DEBUG, logger="meetbot_sdk")
    twin.run(get_usage, sleeps=[])
    ours = [r for r in caplog.records if r.name == "meetbot_sdk"]
    debug = [r.getMessage() for r in ours if r.levelno == logging.DEBUG]
    info = [r.getMessage() for r in ours if r.levelno == logging.INFO]
    assert len(debug) == 3
    assert debug[0].startswith("GET /v1/api-keys/1/usage -> 500 in ")
    assert debug[0].endswith("ms (attempt 1)")
    assert debug[1].startswith("GET /v1/api-keys/1/usage -> ConnectError after ")
    assert debug[2].startswith("GET /v1/api-keys/1/usage -> 200 in ")
    assert info[0] == (
        "Retrying GET /v1/api-keys/1/usage in 1.00 s (the wait the server asked for), "
        "retry 1 of 2: 500 Internal Server Error"
    )
    assert re.fullmatch(
        r"Retrying GET /v1/api-keys/1/usage in (0\.(7[5-9]|[89]\d)|1\.00) s, "
        r"retry 2 of 2: ConnectError",
        info[1],
    )
    assert len(info) == 2
    assert all(API_KEY not in r.getMessage() for r in caplog.records)


def test_a_refusal_over_the_cap_is_logged(
    twin: Twin, httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture
) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "3600"})
    caplog.set_level(logging.INFO, logger="meetbot_sdk")
    with pytest.raises(mb.RateLimitError):
        twin.run(get_usage)
    assert [r.getMessage() for r in caplog.records if r.name == "meetbot_sdk"] == [
        "Not retrying GET /v1/api-keys/1/usage: the server asks to wait 3600.0 s, "
        "over max_retry_wait=60 s"
    ]


@pytest.fixture
def sdk_logger() -> Any:
    logger = logging.getLogger("meetbot_sdk")
    saved = (logger.level, list(logger.handlers))
    yield logger
    logger.setLevel(saved[0])
    logger.handlers[:] = saved[1]


@pytest.mark.parametrize(("value", "level"), [("debug", logging.DEBUG), (" INFO ", logging.INFO)])
def test_meetbot_log_switches_logging_on(
    monkeypatch: pytest.MonkeyPatch, sdk_logger: logging.Logger, value: str, level: int
) -> None:
    sdk_logger.handlers.clear()
    monkeypatch.setenv("MEETBOT_LOG", value)
    _logs.setup_from_env()
    assert sdk_logger.level == level
    assert len(sdk_logger.handlers) == 1
    _logs.setup_from_env()  # idempotent: no second handler
    assert len(sdk_logger.handlers) == 1


def test_meetbot_log_with_an_unknown_value_warns_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, sdk_logger: logging.Logger
) -> None:
    monkeypatch.setenv("MEETBOT_LOG", "verbose")
    level = sdk_logger.level
    with pytest.warns(RuntimeWarning, match="'verbose' is not one of debug, info"):
        _logs.setup_from_env()
    assert sdk_logger.level == level


def test_meetbot_log_unset_does_nothing(
    monkeypatch: pytest.MonkeyPatch, sdk_logger: logging.Logger
) -> None:
    monkeypatch.delenv("MEETBOT_LOG", raising=False)
    handlers = list(sdk_logger.handlers)
    _logs.setup_from_env()
    assert sdk_logger.handlers == handlers


# --- a 503 whose body nests too deep -------------------------------------------------------------


def test_deeply_nested_503_is_retried(twin: Twin) -> None:
    answers = iter([answer(503, b'{"a":' * 100_000), answer(200, json.dumps(USAGE).encode())])
    kwargs = serve(lambda request: next(answers)(request), twin)  # noqa: PLW0108
    kwargs["max_retries"] = 1
    usage = twin.run(lambda c: c.api_keys.get_usage(1), sleeps=[], **kwargs)
    assert usage.requests_total == USAGE["requestsTotal"]
