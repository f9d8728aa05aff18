"""Property-based: whatever bytes, statuses and headers come back, and whatever JSON reaches
the converter, only documented exceptions come out, in bounded time, never showing the key."""

from __future__ import annotations

import datetime
import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import meetbot_sdk as mb
from meetbot_sdk import _models
from meetbot_sdk._decoding._converter import DecodeError, structure

KEY = "mb_live_FuzzKey_0123456789abcdefXYZ"
# Generous: a loaded 2-core machine must never make this flaky; a hang still fails it.
SETTINGS = settings(
    max_examples=150,
    deadline=datetime.timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.just(KEY),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=30,
)
fitting = st.fixed_dictionaries(
    {
        "requestsToday": st.integers() | st.just(KEY),
        "requestsThisMonth": st.integers(),
        "requestsTotal": st.integers(),
        "recentRequests": st.lists(
            st.fixed_dictionaries(
                {
                    "method": st.text(max_size=5) | st.just(KEY),
                    "path": st.text(max_size=5),
                    "statusCode": st.integers(),
                    "createdAt": st.sampled_from(["2024-01-15T10:30:00Z", KEY, "2024-13-01"]),
                }
            ),
            max_size=3,
        ),
    }
)
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    fitting.map(lambda v: json.dumps(v).encode()),
    st.lists(st.sampled_from(["<", ">", "<title>", "</title>", "[", "{", '"a":', KEY, "x "])).map(
        lambda parts: "".join(parts).encode()
    ),
)
header_values = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40
) | st.sampled_from([KEY, f"https://x.example/?t={KEY}", "0", "-1", "nan", "1e309", "2"])
headers = st.dictionaries(
    st.sampled_from(
        [
            "Retry-After",
            "retry-after-ms",
            "X-RateLimit-Remaining",
            "X-RateLimit-Reset",
            "X-RateLimit-Limit",
            "RateLimit-Remaining",
            "RateLimit-Reset",
            "Location",
            "X-Request-Id",
            "Content-Type",
            "Content-Encoding",
        ]
    ),
    header_values,
    max_size=5,
)
statuses = st.sampled_from([200, 201, 204, 301, 302, 307, 400, 401, 404, 409, 422, 429, 500, 503])
statuses |= st.integers(200, 599)


def _texts(error: BaseException) -> list[str]:
    shown = [str(error), repr(error)]
    for name in ("body", "message", "request_id", "path"):
        shown.append(repr(getattr(error, name, None)))
    return shown


@SETTINGS
@given(status=statuses, body=bodies, headers=headers, reason=st.sampled_from([b"", KEY.encode()]))
def test_any_response_gives_a_model_or_a_documented_error(
    status: int, body: bytes, headers: dict[str, str], reason: bytes
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            status, content=body, headers=headers, extensions={"reason_phrase": reason}
        )

    http = httpx.Client(transport=httpx.MockTransport(handler))
    with mb.MeetBot(KEY, http_client=http, max_retries=0, max_retry_wait=0) as client:
        try:
            usage = client.api_keys.get_usage(1)
        except mb.MeetBotError as error:
            for text in _texts(error):
                assert KEY not in text
        else:
            assert isinstance(usage, mb.ApiKeyUsage)


MODELS = [getattr(_models, name) for name in _models.__all__]


@SETTINGS
@given(data=json_values | fitting, model=st.sampled_from(MODELS))
def test_any_json_structures_or_raises_decode_error(data: Any, model: type) -> None:
    try:
        result: object = structure(data, model)
    except DecodeError as error:
        result = error
    assert isinstance(result, (model, DecodeError))


log_entries = st.fixed_dictionaries(
    {
        "id": st.integers(-3, 30),
        "method": st.just("GET"),
        "path": st.just("/x"),
        "statusCode": st.just(200),
        "responseTimeMs": st.just(1),
        "apiKeyId": st.none(),
        "apiKeyName": st.none(),
        "ipAddress": st.none(),
        "userAgent": st.none(),
        "createdAt": st.sampled_from(["2024-01-15T10:30:00Z", "2024-01-15T10:29:00Z"]),
    }
)
pages = st.fixed_dictionaries(
    {
        "logs": st.lists(log_entries, max_size=4),
        "total": st.integers(-5, 40) | st.just(10**18),
        "page": st.integers(-2, 12),
        "page_size": st.integers(-1, 5),
    }
).map(lambda page: json.dumps(page).encode())
answers = st.lists(
    st.tuples(st.sampled_from([200, 200, 200, 500, 404]), pages | bodies), min_size=1, max_size=8
)


@SETTINGS
@given(script=answers, concurrency=st.sampled_from([1, 3]), page_size=st.integers(1, 4))
def test_any_sequence_of_pages_walks_or_raises_a_documented_error(
    script: list[tuple[int, bytes]], concurrency: int, page_size: int
) -> None:
    sent: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(1)
        if len(sent) > 40:  # a server whose total never ends: the test stops it, typed
            return httpx.Response(503, text="enough")
        status, body = script[min(len(sent), len(script)) - 1]
        return httpx.Response(status, content=body)

    http = httpx.Client(transport=httpx.MockTransport(handler))
    with mb.MeetBot(KEY, http_client=http, max_retries=0) as client:
        pager = client.api_logs.list(page_size=page_size, concurrency=concurrency)
        try:
            logs = list(pager)
        except mb.MeetBotError as error:
            for text in _texts(error):
                assert KEY not in text
        else:
            assert all(isinstance(log, mb.ApiLog) for log in logs)
