"""Client configuration, request building and response handling (mocked with pytest-httpx)."""

from __future__ import annotations

import datetime
import importlib.util
import json
import logging
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

import meetbot_sdk as mb
from meetbot_sdk import AsyncMeetBot, MeetBot
from meetbot_sdk._transport import _http
from tests.support import API_KEY, BARE_RUN, BASE, USAGE, Twin
from tests.support.handlers import KEY, answer, failure, get_analytics, serve

LOG = {
    "id": 100,
    "method": "POST",
    "path": "/api/v1/bots",
    "statusCode": 201,
    "responseTimeMs": 45,
    "apiKeyId": None,
    "apiKeyName": None,
    "ipAddress": "192.168.1.1",
    "userAgent": None,
    "createdAt": "2024-01-15T10:30:00.25+00:00",
}
PAGE = {"logs": [LOG], "total": 500, "page": 2, "page_size": 1, "newKey": True}


# --- configuration --------------------------------------------------------------------------


def test_api_key_falls_back_to_the_environment(
    monkeypatch: pytest.MonkeyPatch, httpx_mock: HTTPXMock
) -> None:
    monkeypatch.setenv("MEETBOT_API_KEY", "from_env")
    httpx_mock.add_response(json=PAGE)
    with MeetBot() as client:
        client.api_logs.get_page()
    assert httpx_mock.get_request().headers["Authorization"] == "Bearer from_env"


@pytest.mark.parametrize("cls", [MeetBot, AsyncMeetBot])
def test_no_api_key_anywhere_names_the_variable(cls: type[Any]) -> None:
    with pytest.raises(mb.MeetBotError, match="MEETBOT_API_KEY"):
        cls()


@pytest.mark.parametrize("key", ["", "has space", "line\nbreak", "tab\tkey"])
def test_malformed_keys_are_refused_without_echoing_them(key: str) -> None:
    with pytest.raises(ValueError, match="api_key must be") as info:
        MeetBot(key)
    if key:
        assert key not in str(info.value)


def test_non_string_key_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="api_key must be a str"):
        MeetBot(b"bytes-key")  # type: ignore[arg-type]


def test_base_url_default_env_and_argument(monkeypatch: pytest.MonkeyPatch) -> None:
    assert MeetBot(API_KEY).base_url == mb.DEFAULT_BASE_URL == "https://api.meetbot.dev/v1"
    monkeypatch.setenv("MEETBOT_BASE_URL", "https://eu.api.meetbot.dev/v1/")
    assert MeetBot(API_KEY).base_url == "https://eu.api.meetbot.dev/v1"
    assert MeetBot(API_KEY, base_url="https://x.example/api").base_url == "https://x.example/api"
    # the path is kept as written, whatever it ends in; only trailing slashes go
    assert (
        MeetBot(API_KEY, base_url="https://x.example/V1/X//").base_url == "https://x.example/V1/X"
    )


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080/v1", "http://127.3.2.1/v1", "http://[::1]:9/v1", "http://localhost/"],
)
def test_plain_http_is_allowed_for_loopback(url: str) -> None:
    assert MeetBot(API_KEY, base_url=url).base_url == url.rstrip("/")


@pytest.mark.parametrize(
    "url", ["http://api.meetbot.dev/v1", "http://10.0.0.8/v1", "http://localhost.evil.com/v1"]
)
def test_plain_http_to_other_hosts_is_refused_with_the_reason(url: str) -> None:
    with pytest.raises(ValueError, match="bearer token would travel in clear text"):
        MeetBot(API_KEY, base_url=url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://api.meetbot.dev", "must be an absolute http"),
        ("/v1", "must be an absolute http"),
        ("https://user:pw@api.meetbot.dev/v1", "must not contain credentials"),
        ("https://api.meetbot.dev/v1?x=1", "must not have a query"),
    ],
)
def test_unusable_base_urls_are_refused(url: str, message: str) -> None:
    # the message begins with the argument's name: that is how the user finds what to fix
    with pytest.raises(ValueError, match=f"^base_url {message}") as info:
        MeetBot(API_KEY, base_url=url)
    assert "pw" not in str(info.value)


def test_base_url_of_a_wrong_type() -> None:
    with pytest.raises(TypeError, match=r"base_url must be a str or httpx\.URL"):
        MeetBot(API_KEY, base_url=8080)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"base_url must be a str or httpx\.URL"):
        MeetBot(API_KEY, base_url=httpx.Timeout(1.0))  # type: ignore[arg-type]


def test_timeouts() -> None:
    lib = _http.chosen_backend()  # the library this run's clients use
    assert type(mb.DEFAULT_TIMEOUT) is httpx.Timeout  # httpx, the default library, always
    assert MeetBot(API_KEY).timeout == lib.Timeout(30.0, connect=5.0)
    assert httpx.Timeout(30.0, connect=5.0) == mb.DEFAULT_TIMEOUT
    assert MeetBot(API_KEY, timeout=2.5).timeout == lib.Timeout(2.5)
    custom = lib.Timeout(1.0, read=9.0)
    assert MeetBot(API_KEY, timeout=custom).timeout is custom


@pytest.mark.parametrize(
    ("timeout", "error"),
    [
        (0, ValueError),
        (-1.0, ValueError),
        (float("nan"), ValueError),
        (True, TypeError),
        ("5", TypeError),
        (None, TypeError),
    ],
)
def test_bad_timeouts(timeout: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="timeout must be"):
        MeetBot(API_KEY, timeout=timeout)


@pytest.mark.parametrize(
    ("value", "error"), [(-1, ValueError), (1.5, TypeError), (True, TypeError)]
)
def test_bad_max_retries(value: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="max_retries must be"):
        MeetBot(API_KEY, max_retries=value)
    with pytest.raises(error, match="max_retries must be"):
        MeetBot(API_KEY).with_options(max_retries=value)


def test_http_client_of_the_wrong_flavour_is_refused() -> None:
    with pytest.raises(TypeError, match=r"http_client must be an httpx\.Client"):
        MeetBot(API_KEY, http_client=httpx.AsyncClient())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"http_client must be an httpx\.AsyncClient"):
        AsyncMeetBot(API_KEY, http_client=httpx.Client())  # type: ignore[arg-type]


def test_repr_shows_configuration_but_never_the_key() -> None:
    client = MeetBot(API_KEY, max_retries=4)
    library = _http.chosen_backend().name
    assert repr(client) == (
        f"MeetBot(base_url='https://api.meetbot.dev/v1', max_retries=4, http_library={library!r})"
    )
    for text in (repr(client), str(client), repr(client._config), repr(client.analytics)):
        assert API_KEY not in text


# --- requests -------------------------------------------------------------------------------


def test_every_request_carries_auth_user_agent_and_timeout(
    twin: Twin, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(json=PAGE)
    twin.run(lambda c: c.api_logs.get_page(), timeout=7.0)
    request = httpx_mock.get_request()
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.headers["User-Agent"].startswith(f"meetbot-sdk-python/{mb.__version__} ")
    assert request.headers["Accept"] == "application/json"
    assert request.extensions["timeout"] == httpx.Timeout(7.0).as_dict()


def test_analytics_get(twin: Twin, httpx_mock: HTTPXMock) -> None:
    from tests.support.models import ANALYTICS

    httpx_mock.add_response(url=f"{BASE}/users/me/analytics?period=7d", json=ANALYTICS)
    analytics = twin.run(lambda c: c.analytics.get(period="7d"))
    assert isinstance(analytics, mb.Analytics)
    assert analytics.bots.status_breakdown["FATAL"] == 3


def test_analytics_defaults_to_30_days(twin: Twin, httpx_mock: HTTPXMock) -> None:
    from tests.support.models import ANALYTICS

    httpx_mock.add_response(url=f"{BASE}/users/me/analytics?period=30d", json=ANALYTICS)
    assert twin.run(lambda c: c.analytics.get()).api_calls.total == 8500


def test_get_page_defaults_to_the_first_page_of_20(twin: Twin, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{BASE}/users/me/api-logs?page=1&page_size=20", json=PAGE)
    assert twin.run(lambda c: c.api_logs.get_page()).total == 500


def test_get_page_sends_filters_and_decodes(twin: Twin, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=PAGE)
    page = twin.run(
        lambda c: c.api_logs.get_page(
            page=2, page_size=1, method="post", start_date=datetime.date(2024, 1, 1)
        )
    )
    url = httpx_mock.get_request().url
    assert url.path == "/v1/users/me/api-logs"
    assert dict(url.params) == {
        "page": "2",
        "page_size": "1",
        "method": "POST",
        "start_date": "2024-01-01",
    }
    assert page.total == 500
    assert page.logs[0].api_key_id is None
    assert page.logs[0].created_at == datetime.datetime(
        2024, 1, 15, 10, 30, 0, 250000, datetime.timezone.utc
    )


def test_get_usage(twin: Twin, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{BASE}/api-keys/3/usage", json=USAGE)
    usage = twin.run(lambda c: c.api_keys.get_usage(3))
    assert usage.requests_this_month == 450
    assert usage.recent_requests[0].created_at.tzinfo is datetime.timezone.utc


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.analytics.get(period="1y"),
        lambda c: c.api_logs.get_page(page=0),
        lambda c: c.api_logs.get_page(page_size=500),
        lambda c: c.api_logs.get_page(statuscode=500),
        lambda c: c.api_logs.get_page(start_date="2024-02-01", end_date="2024-01-01"),
        lambda c: c.api_keys.get_usage("1/../x"),
        lambda c: c.api_keys.get_usage(True),
        lambda c: c.api_keys.get_usage(0),
    ],
)
def test_invalid_arguments_never_reach_the_network(
    twin: Twin, httpx_mock: HTTPXMock, call: Any
) -> None:
    with pytest.raises((TypeError, ValueError)):
        twin.run(call)
    assert httpx_mock.get_requests() == []


# --- responses ------------------------------------------------------------------------------


def test_status_errors_are_typed(twin: Twin, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        status_code=404, json={"detail": "API key 99 not found"}, headers={"X-Request-Id": "r9"}
    )
    with pytest.raises(mb.NotFoundError) as info:
        twin.run(lambda c: c.api_keys.get_usage(99))
    assert str(info.value) == "404 Not Found: API key 99 not found (request_id=r9)"
    assert info.value.response.status_code == 404


@pytest.mark.parametrize("body", [b"<html>oops</html>", b"", b'{"logs": [', b"\xff\xfe"])
def test_a_2xx_body_that_is_not_json(twin: Twin, httpx_mock: HTTPXMock, body: bytes) -> None:
    httpx_mock.add_response(content=body, headers={"X-Request-Id": "r1"})
    with pytest.raises(mb.APIResponseValidationError, match="is not valid JSON") as info:
        twin.run(lambda c: c.api_logs.get_page())
    assert info.value.body is None
    assert info.value.request_id == "r1"
    assert info.value.status_code == 200


def test_a_2xx_body_that_does_not_fit_names_the_field(twin: Twin, httpx_mock: HTTPXMock) -> None:
    logs = [LOG, LOG, LOG, {**LOG, "createdAt": 42}]
    httpx_mock.add_response(json={**PAGE, "logs": logs})
    with pytest.raises(mb.APIResponseValidationError) as info:
        twin.run(lambda c: c.api_logs.get_page())
    assert str(info.value) == (
        "response does not fit ApiLogPage: logs[3].createdAt: "
        "expected an ISO 8601 timestamp, got 42"
    )
    assert info.value.path == "logs[3].createdAt"
    assert info.value.body == {**PAGE, "logs": logs}


@pytest.mark.parametrize("body", [[], "text", 5, None, {"requestsToday": 1}])
def test_json_of_the_wrong_shape(twin: Twin, httpx_mock: HTTPXMock, body: Any) -> None:
    httpx_mock.add_response(content=json.dumps(body).encode())
    with pytest.raises(mb.APIResponseValidationError, match="response does not fit ApiKeyUsage"):
        twin.run(lambda c: c.api_keys.get_usage(1))


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (httpx.ConnectError("connection refused"), mb.APIConnectionError),
        (httpx.RemoteProtocolError("server disconnected"), mb.APIConnectionError),
        (httpx.ReadError("reset by peer"), mb.APIConnectionError),
        (httpx.ConnectTimeout("connect timed out"), mb.APITimeoutError),
        (httpx.ReadTimeout("read timed out"), mb.APITimeoutError),
        (httpx.PoolTimeout("pool"), mb.APITimeoutError),
    ],
)
def test_transport_failures_become_connection_errors(
    twin: Twin, httpx_mock: HTTPXMock, exc: Exception, expected: type[Exception]
) -> None:
    httpx_mock.add_exception(exc)
    with pytest.raises(expected) as info:
        twin.run(lambda c: c.analytics.get(), max_retries=0)
    assert type(info.value) is expected
    assert info.value.request.url.path == "/v1/users/me/analytics"
    assert info.value.cause is exc
    assert info.value.__cause__ is None  # kept out of the traceback
    assert API_KEY not in str(info.value)
    assert API_KEY not in repr(info.value.request)


def test_redirects_are_never_followed_even_by_an_injected_client(
    twin: Twin, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(status_code=307, headers={"Location": "https://evil.example/steal"})
    http = (httpx.Client if twin.kind == "sync" else httpx.AsyncClient)(follow_redirects=True)
    with pytest.raises(mb.APIStatusError, match="does not follow redirects"):
        twin.run(lambda c: c.analytics.get(), http_client=http)
    assert [r.url.host for r in httpx_mock.get_requests()] == ["api.meetbot.dev"]


def test_a_redirect_to_a_location_that_is_no_url_is_a_typed_error_not_retried(
    twin: Twin, httpx_mock: HTTPXMock
) -> None:
    # httpx prepares every redirect, followed or not, and refuses this Location while
    # answering: the caller gets the SDK's error, never the library's InvalidURL.
    httpx_mock.add_response(status_code=301, headers={"Location": "A:0"})
    with pytest.raises(mb.APIConnectionError) as info:
        twin.run(lambda c: c.analytics.get(), max_retries=3)
    assert str(info.value) == (
        "Connection error: api.meetbot.dev:443 answered with a redirect to a Location that is"
        " not a URL (For absolute URLs, path must be empty or begin with '/'); the SDK follows"
        " no redirect"
    )
    assert isinstance(info.value.cause, httpx.InvalidURL)
    assert len(httpx_mock.get_requests()) == 1


def test_an_injected_clients_auth_does_not_replace_the_token(
    twin: Twin, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(json=USAGE)
    flavour = httpx.Client if twin.kind == "sync" else httpx.AsyncClient
    http = flavour(auth=("user", "pass"), headers={"X-Proxy-Team": "analytics"})
    twin.run(lambda c: c.api_keys.get_usage(1), http_client=http)
    request = httpx_mock.get_request()
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.headers["X-Proxy-Team"] == "analytics"


def test_nothing_logged_contains_the_key(
    twin: Twin, httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture
) -> None:
    httpx_mock.add_response(status_code=401, json={"detail": f"bad key {API_KEY}"})
    caplog.set_level(logging.DEBUG)
    with pytest.raises(mb.AuthenticationError) as info:
        twin.run(lambda c: c.analytics.get())
    assert caplog.records, "httpx logs each request at DEBUG/INFO"
    assert all(API_KEY not in record.getMessage() for record in caplog.records)
    assert API_KEY not in str(info.value)


# --- lifecycle ------------------------------------------------------------------------------


def test_close_closes_only_a_pool_the_client_created() -> None:
    client = MeetBot(API_KEY)
    client.close()
    assert client._http.is_closed
    mine = httpx.Client()
    with MeetBot(API_KEY, http_client=mine):
        pass
    assert not mine.is_closed
    mine.close()


async def _async_close_checks() -> None:
    client = AsyncMeetBot(API_KEY)
    await client.close()
    assert client._http.is_closed
    mine = httpx.AsyncClient()
    async with AsyncMeetBot(API_KEY, http_client=mine):
        pass
    assert not mine.is_closed
    await mine.aclose()


def test_async_close_closes_only_a_pool_the_client_created() -> None:
    import asyncio

    asyncio.run(_async_close_checks())


def test_with_options_copies_share_the_pool_and_change_only_what_is_asked(
    twin: Twin, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(json=USAGE, is_reusable=True)

    def scenario(client: Any) -> Any:
        fast = client.with_options(timeout=1.5)
        assert type(fast) is type(client)
        assert (fast.timeout, fast.max_retries) == (httpx.Timeout(1.5), client.max_retries)
        assert fast.with_options(max_retries=0).max_retries == 0
        # DEFAULT_TIMEOUT is the default library's; this client (httpx, for pytest-httpx)
        # holds the same values as an httpx.Timeout
        assert type(client.timeout) is httpx.Timeout
        assert client.timeout.as_dict() == mb.DEFAULT_TIMEOUT.as_dict()
        assert fast._http is client._http
        return fast.api_keys.get_usage(1)

    twin.run(scenario)
    assert httpx_mock.get_request().extensions["timeout"] == httpx.Timeout(1.5).as_dict()


def test_closing_a_copy_leaves_the_pool_open() -> None:
    client = MeetBot(API_KEY)
    with client.with_options(timeout=3):
        pass
    assert not client._http.is_closed
    client.close()
    assert client._http.is_closed


def test_a_pytest_httpx_mock_keeps_intercepting_with_httpx2_installed(
    httpx_mock: HTTPXMock,
) -> None:
    # Recent anthropic and openai SDKs pull httpx2 into the environment: the SDK stays on
    # httpx, so a user's pytest-httpx mocks keep intercepting and their exception checks
    # keep matching. (httpx2 is installed in every run but the bare one.)
    if not BARE_RUN:
        assert importlib.util.find_spec("httpx2") is not None
    httpx_mock.add_response(
        url=f"{BASE}/api-keys/7/usage", status_code=404, json={"message": "no key 7"}
    )
    httpx_mock.add_exception(
        httpx.ConnectError("refused"), url=f"{BASE}/users/me/analytics?period=30d"
    )
    with MeetBot(API_KEY, max_retries=0) as client:
        with pytest.raises(mb.NotFoundError) as missing:
            client.api_keys.get_usage(7)
        with pytest.raises(mb.APIConnectionError) as refused:
            client.analytics.get()
    assert isinstance(missing.value.response, httpx.Response)
    assert isinstance(missing.value.response.request, httpx.Request)
    assert isinstance(refused.value.cause, httpx.ConnectError)
    assert isinstance(refused.value.request, httpx.Request)
    assert " httpx/" in httpx_mock.get_requests()[0].headers["User-Agent"]


# --- the key is checked at construction ----------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["mb_live_clé-0123", "mb_live_\u00a0x", "mb\x7f", "mb\u200bx", " mb", "mb\n"]
)
def test_a_key_that_is_not_visible_ascii_is_refused_without_echoing_it(
    twin: Twin, key: str
) -> None:
    with pytest.raises(ValueError, match="visible ASCII") as caught:
        twin.client_class(key)
    assert key.strip() not in str(caught.value)
    assert key not in repr(caught.value)


def test_a_bad_key_in_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MEETBOT_API_KEY", "mb_live_clé")
    with pytest.raises(ValueError, match=r"^MEETBOT_API_KEY \(from the environment\) must") as e:
        mb.MeetBot()
    assert "clé" not in str(e.value)


# --- clear errors for misuse ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_call_on_a_closed_client_raises_an_sdk_error(kind: str) -> None:
    import asyncio

    handler = answer(200, json.dumps(USAGE).encode())
    if kind == "sync":
        client = mb.MeetBot(KEY, http_client=httpx.Client(transport=httpx.MockTransport(handler)))
        client._http.close()
        with pytest.raises(mb.MeetBotError, match="this MeetBot is closed"):
            client.api_keys.get_usage(1)
        with mb.MeetBot(KEY) as own:
            pass
        with pytest.raises(mb.MeetBotError, match=r"close\(\) was called"):
            own.with_options(timeout=3).analytics.get()
        return

    async def main() -> None:
        async with mb.AsyncMeetBot(KEY) as client:
            pass
        with pytest.raises(mb.MeetBotError, match="this AsyncMeetBot is closed"):
            await client.api_keys.get_usage(1)

    asyncio.run(main())


def test_a_404_on_the_account_endpoints_hints_at_the_base_url(twin: Twin) -> None:
    kwargs = serve(answer(404, b'{"detail": "Not Found"}'), twin)
    kwargs["base_url"] = "https://api.meetbot.dev"
    error = failure(twin, get_analytics, **kwargs)
    assert isinstance(error, mb.NotFoundError)
    assert str(error) == (
        "404 Not Found: Not Found (check base_url='https://api.meetbot.dev': it must end in "
        "the API's version prefix, as in 'https://api.meetbot.dev/v1')"
    )
    # A 404 for a key id is an answer, not a misconfiguration: no hint.
    usage = failure(twin, lambda c: c.api_keys.get_usage(99), **kwargs)
    assert str(usage) == "404 Not Found: Not Found"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ftp://x/v1", r"^MEETBOT_BASE_URL \(from the environment\) must be an absolute"),
        ("http://api.example/v1", r"^refusing plain http:// MEETBOT_BASE_URL \(from the env"),
        ("https://h/v1?x=1", r"^MEETBOT_BASE_URL \(from the environment\) must not have"),
    ],
)
def test_a_bad_base_url_in_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv("MEETBOT_BASE_URL", value)
    with pytest.raises(ValueError, match=message):
        mb.MeetBot(KEY)
    with pytest.raises(ValueError, match="base_url") as caught:
        mb.MeetBot(KEY, base_url=value)
    assert "MEETBOT_BASE_URL" not in str(caught.value)
    assert "base_url" in str(caught.value)
