"""The hot path's shortcuts change nothing a user can see: bodies parse to the same objects
and fail with the same errors with the ``speedups`` extra (orjson) and without it, and a
request to a pool the SDK created is the request httpx's ``build_request`` would make."""

from __future__ import annotations

import json
import sys
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetbot_sdk import (
    ApiKeyUsage,
    APIResponseValidationError,
    AsyncMeetBot,
    MeetBot,
    RecentRequest,
    TranscriptionStats,
    _converter,
    _endpoints,
)
from meetbot_sdk._response import decode
from tests.support import API_KEY, BARE_RUN, BASE, needs_extra

# Bodies of GET /api-keys/{id}/usage (and its analytics sibling's floats) that orjson reads
# differently from the standard library, or refuses while the standard library does not.
_REQUEST = '{"method": "GET", "path": "/p", "statusCode": %s, "createdAt": "2024-01-15Z"}'
EDGES = [
    b'{"requestsToday": 1, "requestsThisMonth": 2, "requestsTotal": 3, "recentRequests": []}',
    b'{"requestsToday": 123456789012345678901234567890, "requestsThisMonth": 2, '
    b'"requestsTotal": 3, "recentRequests": []}',
    b'{"requestsToday": -9223372036854775809, "requestsThisMonth": 2, '
    b'"requestsTotal": 3, "recentRequests": [], "x": NaN, "y": "\\ud800"}',
    b'\xef\xbb\xbf{"requestsToday": 1, "requestsThisMonth": 2, "requestsTotal": 3, '
    b'"recentRequests": []}',
    '{"requestsToday": 1, "requestsThisMonth": 2, "requestsTotal": 3, "recentRequests": []}'.encode(
        "utf-16"
    ),
    b'{"requestsToday": 1, "requestsToday": 2, "requestsThisMonth": 2, "requestsTotal": 3, '
    b'"recentRequests": [' + (_REQUEST % "200").encode() + b"]}",
    b'{"requestsToday": 1.0, "requestsThisMonth": 2, "requestsTotal": 3, "recentRequests": []}',
    b'{"requestsToday": 1, "requestsThisMonth": 2, "requestsTotal": 3, "recentRequests": ['
    + (_REQUEST % "18446744073709551616").encode()
    + b"]}",
    b"",
    b"{",
    b'{"a": 1,}',
    b"\xff\xfe\xfd",
    b'{"a": "\xff"}',
    b"[1, 2] tail",
    b"[]",
    b"null",
]
FLOATS = st.floats(allow_nan=False, allow_infinity=False) | st.integers(
    min_value=-(2**80), max_value=2**80
)


@pytest.fixture(params=["speedups", "stdlib"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Decoding with orjson (installed in the normal run) and with the standard library."""
    if request.param == "speedups":
        needs_extra("orjson")
        monkeypatch.setattr(_converter, "_looked_up", False)
    else:
        monkeypatch.setattr(_converter, "_fast_loads", None)
        monkeypatch.setattr(_converter, "_looked_up", True)
    mode: str = request.param
    return mode


def _decode(model: type[Any], content: bytes) -> tuple[str, Any]:
    call = _endpoints.APICall("GET", "/x", {}, model)
    response = httpx.Response(200, content=content, request=httpx.Request("GET", BASE + "/x"))
    try:
        return "ok", decode(call, response, secret=API_KEY)
    except APIResponseValidationError as exc:
        return "error", (str(exc), exc.path, repr(exc.body))


def _both(model: type[Any], content: bytes, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    outcomes = []
    for fast, looked_up in ((None, False), (None, True)):
        monkeypatch.setattr(_converter, "_fast_loads", fast)
        monkeypatch.setattr(_converter, "_looked_up", looked_up)
        outcomes.append(_decode(model, content))
    return outcomes


@pytest.mark.parametrize("content", EDGES)
def test_a_body_decodes_alike_with_and_without_speedups(
    content: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not BARE_RUN:
        needs_extra("orjson")
    with_speedups, without = _both(ApiKeyUsage, content, monkeypatch)
    assert with_speedups == without


@settings(max_examples=100, deadline=None)
@given(value=FLOATS)
def test_float_fields_get_the_same_float_either_way(value: float) -> None:
    content = json.dumps({"total": 1, "totalMinutes": value}).encode()
    with pytest.MonkeyPatch.context() as monkeypatch:
        with_speedups, without = _both(TranscriptionStats, content, monkeypatch)
    assert with_speedups == without
    assert with_speedups[1].total_minutes == float(value)


def test_json_library_reports_what_parses(parser: str) -> None:
    assert _converter.json_library() == ("orjson" if parser == "speedups" else "json")


def test_the_extra_is_picked_up_when_installed() -> None:
    # The normal run installs every extra; the bare run none.
    assert _converter.json_library() == ("json" if BARE_RUN else "orjson")


def test_with_the_extra_bodies_are_decoded_by_it() -> None:
    # json_library() names the parser; this checks that the fast path is taken, not only named.
    needs_extra("orjson")
    content = json.dumps(_usage()).encode()
    assert _converter.structure_json(content, ApiKeyUsage) == ApiKeyUsage.from_dict(_usage())


# --- requests to a pool the SDK created ------------------------------------------------------

CALLS = [
    _endpoints.api_logs_get_page(1, 100, {}),
    _endpoints.api_logs_get_page(
        3, 7, {"path": "/a b/ü?&=#%+", "method": "GET", "status_code": 500, "api_key_id": 2}
    ),
    _endpoints.api_logs_get_page(2, 5, {"start_date": "2024-01-01", "end_date": "2024-02-01"}),
    _endpoints.api_keys_get_usage(3),
    _endpoints.analytics_get("7d"),
]


@pytest.mark.parametrize("client_class", [MeetBot, AsyncMeetBot])
@pytest.mark.parametrize("call", CALLS, ids=lambda call: call.path)
def test_built_request_is_what_build_request_makes(
    client_class: type[MeetBot] | type[AsyncMeetBot], call: _endpoints.APICall[Any]
) -> None:
    client = client_class(API_KEY, base_url="http://127.0.0.1:9/v1", timeout=7)
    for built in (client, client.with_options(timeout=3)):
        ours = built._build_request(call)
        theirs = built._http.build_request(
            call.method,
            built.base_url + call.path,
            params=call.params,
            headers=built._headers,
            timeout=built.timeout,
        )
        assert built._pool_headers is not None  # the direct path was taken
        assert (ours.method, ours.url, ours.headers.raw) == (
            theirs.method,
            theirs.url,
            theirs.headers.raw,
        )
        assert ours.extensions == theirs.extensions
        assert ours.content == theirs.content == b""


@settings(max_examples=100, deadline=None)
@given(path=st.text(max_size=30))
def test_any_path_filter_is_sent_as_build_request_sends_it(path: str) -> None:
    client = MeetBot(API_KEY, base_url="http://127.0.0.1:9/v1")
    call = _endpoints.api_logs_get_page(1, 20, {"path": path})
    theirs = client._http.build_request("GET", client.base_url + call.path, params=call.params)
    assert client._build_request(call).url == theirs.url


def test_an_injected_client_keeps_its_headers_and_cookies() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={**_usage()})

    http = httpx.Client(
        transport=httpx.MockTransport(handler), headers={"X-Trace": "t1"}, cookies={"c": "1"}
    )
    with MeetBot(API_KEY, http_client=http) as client:
        assert client._pool_headers is None
        client.api_keys.get_usage(1)
    assert seen[0].headers["x-trace"] == "t1"
    assert seen[0].headers["cookie"] == "c=1"


@pytest.mark.httpx_backend  # it patches httpx.HTTPTransport; httpx2: test_http_libraries.py
def test_the_sdks_own_pool_keeps_no_cookies(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=_usage(), headers={"Set-Cookie": "session=abc; Path=/"})

    transport = httpx.MockTransport(handler)
    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", transport.handle_request)
    with MeetBot(API_KEY) as client:
        client._http.cookies = {"ignored": "1"}
        client.api_keys.get_usage(1)
        client.api_keys.get_usage(1)
        assert not client._http.cookies
    assert [request.headers.get("cookie") for request in seen] == [None, None]


def _usage() -> dict[str, Any]:
    return {"requestsToday": 1, "requestsThisMonth": 2, "requestsTotal": 3, "recentRequests": []}


def test_without_orjson_the_standard_library_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "orjson", None)  # as if not installed
    monkeypatch.setattr(_converter, "_looked_up", False)
    assert _converter.json_library() == "json"
    assert _decode(ApiKeyUsage, EDGES[0])[0] == "ok"


@pytest.mark.parametrize("text", ["2024-13-45T00:00:00Z", "2024-01-15T25:00:00.5Z", "not a time"])
def test_a_bad_timestamp_is_named(text: str) -> None:
    body = {"method": "GET", "path": "/p", "statusCode": 200, "createdAt": text}
    with pytest.raises(ValueError, match=r"^createdAt: expected an ISO 8601 timestamp, got '"):
        RecentRequest.from_dict(body)
