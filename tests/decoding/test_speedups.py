"""The hot path's shortcuts change nothing a user can see: bodies parse to the same objects
and fail with the same errors with the ``speedups`` extra (msgspec) and without it, and a
request to a pool the SDK created is the request httpx's ``build_request`` would make."""

from __future__ import annotations

import datetime
import json
import sys
from typing import Any

import attrs
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
    _endpoints,
    _models,
)
from meetbot_sdk._decoding import _converter
from meetbot_sdk._decoding._response import decode
from meetbot_sdk._exceptions import Secret
from meetbot_sdk.testing import FakeMeetBot
from tests.support import API_KEY, BARE_RUN, BASE, needs_extra
from tests.support.models import assert_like_constructed

UTC = datetime.timezone.utc

_MODELS = [getattr(_models, name) for name in _models.__all__]
_WIRE: dict[type[Any], Any] = {}


def _wire(model: type[Any]) -> Any:
    """A wire dict of ``model`` with every field set, as the fake MeetBot answers."""
    if not _WIRE:
        with FakeMeetBot(seed=5, log_count=30).client() as client:
            analytics = client.analytics.get(period="7d").to_dict()
            page = client.api_logs.get_page(page_size=3).to_dict()
            usage = client.api_keys.get_usage(1).to_dict()
        _WIRE.update(
            {
                _models.Analytics: analytics,
                _models.ApiCallStats: analytics["apiCalls"],
                _models.DailyCount: analytics["apiCalls"]["dailyBreakdown"][0],
                _models.BotStats: analytics["bots"],
                _models.RecordingStats: analytics["recordings"],
                _models.TranscriptionStats: analytics["transcriptions"],
                _models.WebhookStats: analytics["webhooks"],
                _models.ApiLogPage: page,
                _models.ApiLog: page["logs"][0],
                _models.ApiKeyUsage: usage,
                _models.RecentRequest: usage["recentRequests"][0],
            }
        )
    return json.loads(json.dumps(_WIRE[model]))  # a copy to change


# Bodies of GET /api-keys/{id}/usage (and its analytics sibling's floats) that a fast parser
# may read differently from the standard library, or refuse while the standard library does not.
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
    b'{"requestsToday": 1, "requestsThisMonth": 2, "requestsTotal": 3, "recentRequests": [], '
    b'"deep": ' + b"[" * 3000 + b"]" * 3000 + b"}",
    b'{"requestsToday": 1, "requestsThisMonth": 2, "requestsTotal": 3, "recentRequests": [], '
    b'"deep": ' + b"[" * 50 + b"]" * 50 + b"}",
    b'{"requestsToday": 1, "requestsThisMonth": 2, "requestsTotal": 3, "recentRequests": null}',
    b'{"requestsToday": 1, "requestsThisMonth": 2, "requestsTotal": 3, "recentRequests": {}}',
    b'{"requestsToday": 1, "requestsThisMonth": 2, "requestsTotal": 3, "recentRequests": ['
    + (_REQUEST % "200").replace("2024-01-15Z", "2024-01-15T10:30:00.1234567+05:30").encode()
    + b"]}",
    b'{"requestsToday": 1, "requestsThisMonth": 2, "requestsTotal": 3, "recentRequests": ['
    + (_REQUEST % "200").replace("2024-01-15Z", "2024-01-15").encode()
    + b"]}",
    b'{"requestsToday": 1, "requestsThisMonth": 2, "requestsTotal": 3, "recentRequests": ['
    + (_REQUEST % "200").replace('"/p"', '"x\\u0000\\ud83d\\ude00"').encode()
    + b"]}",
    b'  {"requestsToday": 1, "requestsThisMonth": 2, "requestsTotal": 3, "recentRequests": []}\n',
    b'{"requestsToday": 1, "requestsThisMonth": 2, "requestsTotal": 3, "recentRequests": ['
    + (_REQUEST % "200").encode()
    + b", "
    + (_REQUEST % "404").encode()
    + b"]}",  # every item of a list, not only the last
]
FLOATS = st.floats(allow_nan=False, allow_infinity=False) | st.integers(
    min_value=-(2**80), max_value=2**80
)


def _use_speedups(monkeypatch: pytest.MonkeyPatch, *, on: bool) -> None:
    """Decode with the extra as installed (``on``), or as if it were not."""
    monkeypatch.setattr(_converter, "_decoders", {})
    monkeypatch.setattr(_converter, "_msgspec", None)
    monkeypatch.setattr(_converter, "_looked_up", not on)


@pytest.fixture(params=["speedups", "stdlib"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Decoding with msgspec (installed in the normal run) and with the standard library."""
    if request.param == "speedups":
        needs_extra("msgspec")
    _use_speedups(monkeypatch, on=request.param == "speedups")
    mode: str = request.param
    return mode


def _decode(model: type[Any], content: bytes) -> tuple[str, Any]:
    call = _endpoints.APICall("GET", "/x", {}, model)
    response = httpx.Response(200, content=content, request=httpx.Request("GET", BASE + "/x"))
    try:
        model_ = decode(call, response, secret=Secret(API_KEY))
    except APIResponseValidationError as exc:
        return "error", (str(exc), exc.path, repr(exc.body))
    # What the model holds, NaN included (NaN != NaN would fail equal models); json.dumps
    # tells 1 from 1.0 and shows every timestamp with its offset.
    return "ok", (type(model_), json.dumps(model_.to_dict(), sort_keys=True))


def _both(model: type[Any], content: bytes, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    outcomes = []
    for on in (True, False):
        _use_speedups(monkeypatch, on=on)
        outcomes.append(_decode(model, content))
    return outcomes


@pytest.mark.parametrize("content", EDGES)
def test_a_body_decodes_alike_with_and_without_speedups(
    content: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not BARE_RUN:
        needs_extra("msgspec")
    with_speedups, without = _both(ApiKeyUsage, content, monkeypatch)
    assert with_speedups == without


@settings(max_examples=100, deadline=None)
@given(value=FLOATS)
def test_float_fields_get_the_same_float_either_way(value: float) -> None:
    content = json.dumps({"total": 1, "totalMinutes": value}).encode()
    with pytest.MonkeyPatch.context() as monkeypatch:
        with_speedups, without = _both(TranscriptionStats, content, monkeypatch)
    assert with_speedups == without
    assert with_speedups[1] == (
        TranscriptionStats,
        json.dumps({"total": 1, "totalMinutes": float(value)}, sort_keys=True),
    )


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=8,
)


def _places(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``data``, the whole of it first."""
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _places(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _places(value, (*path, index))
    return found


@settings(max_examples=300, deadline=None)
@given(model=st.sampled_from(_MODELS), choice=st.data())
def test_any_changed_body_decodes_alike_with_and_without_speedups(
    model: type[Any], choice: st.DataObject
) -> None:
    # One value anywhere in a fitting body replaced, or a key dropped or added: the extra
    # takes and refuses exactly what the standard way takes and refuses.
    if not BARE_RUN:
        needs_extra("msgspec")
    data = _wire(model)
    path = choice.draw(st.sampled_from(_places(data)))
    action = choice.draw(st.sampled_from(["replace", "drop", "add"]))
    if not path:
        data = choice.draw(JSON) if action == "replace" else data
    else:
        *parents, last = path
        holder = data
        for step in parents:
            holder = holder[step]
        if action == "replace":
            holder[last] = choice.draw(JSON)
        elif action == "drop" and isinstance(holder, dict):
            del holder[last]
        elif isinstance(holder, dict):
            holder[choice.draw(st.text(max_size=12))] = choice.draw(JSON)
    content = json.dumps(data).encode()
    with pytest.MonkeyPatch.context() as monkeypatch:
        with_speedups, without = _both(model, content, monkeypatch)
    assert with_speedups == without


def test_json_library_reports_what_parses(parser: str) -> None:
    assert _converter.json_library() == ("msgspec" if parser == "speedups" else "json")


def test_the_extra_is_picked_up_when_installed() -> None:
    # The normal run installs every extra; the bare run none.
    assert _converter.json_library() == ("json" if BARE_RUN else "msgspec")


@pytest.mark.parametrize("model", _MODELS, ids=lambda model: model.__name__)
def test_with_the_extra_every_model_is_decoded_by_it(model: type[Any]) -> None:
    # json_library() names the decoder; this checks that the fast path is taken for every
    # model the API returns, and gives what the standard way gives.
    needs_extra("msgspec")
    data = _wire(model)
    decoded = _converter.structure_json(json.dumps(data).encode(), model)
    assert decoded is not None
    assert_like_constructed(decoded, model.from_dict(data))
    assert decoded.to_dict() == data


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


# The URL is made from the base URL's parsed parts where parsing would change nothing, and
# parsed as a string where it would (a dot segment, an escape): the same URL either way.
BASE_URLS = [
    "http://127.0.0.1:9/v1",
    "http://127.0.0.1:9",
    "http://127.0.0.1:9/a/./b/../v1",
    "http://127.0.0.1:9/%7Ev1",
    "http://127.0.0.1:9/ü v1",
]


@pytest.mark.parametrize("base_url", BASE_URLS)
@pytest.mark.parametrize("client_class", [MeetBot, AsyncMeetBot])
@pytest.mark.parametrize("call", CALLS, ids=lambda call: call.path)
def test_built_request_is_what_build_request_makes(
    client_class: type[MeetBot] | type[AsyncMeetBot],
    call: _endpoints.APICall[Any],
    base_url: str,
) -> None:
    client = client_class(API_KEY, base_url=base_url, timeout=7)
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
        assert (ours.url.raw_path, ours.url.host, ours.url.port) == (
            theirs.url.raw_path,
            theirs.url.host,
            theirs.url.port,
        )
        assert ours.extensions == theirs.extensions
        assert ours.content == theirs.content == b""


@settings(max_examples=100, deadline=None)
@given(path=st.text(max_size=30))
def test_any_path_filter_is_sent_as_build_request_sends_it(path: str) -> None:
    client = MeetBot(API_KEY, base_url="http://127.0.0.1:9/v1")
    call = _endpoints.api_logs_get_page(1, 20, {"path": path})
    theirs = client._http.build_request("GET", client.base_url + call.path, params=call.params)
    ours = client._build_request(call).url
    # The server reads the same values. (httpx 0.27 leaves a lone "%" unescaped where the
    # SDK sends "%25", so the raw query strings may differ while the values do not.)
    assert ours.path == theirs.url.path
    assert list(ours.params.multi_items()) == list(theirs.url.params.multi_items())
    assert ours.params["path"] == path


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


@pytest.mark.httpx_backend  # patches httpx.HTTPTransport; httpx2: transport/test_http_libraries.py
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


def test_without_msgspec_the_standard_library_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "msgspec", None)  # as if not installed
    _use_speedups(monkeypatch, on=True)
    assert _converter.json_library() == "json"
    assert _decode(ApiKeyUsage, EDGES[0])[0] == "ok"


def test_the_json_library_is_chosen_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # msgspec installed while the process runs (a notebook's `pip install`) is not taken up
    # half-way: json_library() keeps naming what decodes every model, old and new.
    installed = needs_extra("msgspec")
    monkeypatch.setitem(sys.modules, "msgspec", None)  # as if not installed
    _use_speedups(monkeypatch, on=True)
    assert _converter.json_library() == "json"
    monkeypatch.setitem(sys.modules, "msgspec", installed)  # now importable
    assert _converter.json_library() == "json"
    assert (
        _converter.structure_json(b'{"total": 1, "totalMinutes": 2.5}', TranscriptionStats) is None
    )


@pytest.mark.parametrize("text", ["2024-13-45T00:00:00Z", "2024-01-15T25:00:00.5Z", "not a time"])
def test_a_bad_timestamp_is_named(text: str) -> None:
    body = {"method": "GET", "path": "/p", "statusCode": 200, "createdAt": text}
    with pytest.raises(ValueError, match=r"^createdAt: expected an ISO 8601 timestamp, got '"):
        RecentRequest.from_dict(body)


@attrs.frozen
class _Unmirrored:
    """A model shape the msgspec mirror does not cover (an optional timestamp)."""

    seen_at: datetime.datetime | None
    count: int


@attrs.frozen
class _Mirrored:
    """Every shape the mirror covers, nested."""

    counts: dict[str, int]
    ratio: float | None
    day: datetime.date
    inner: _Unmirrored | None = None  # not mirrored either: the whole class goes the slow way


def test_a_model_the_mirror_cannot_express_is_decoded_the_standard_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    needs_extra("msgspec")
    _use_speedups(monkeypatch, on=True)
    body = b'{"seenAt": "2024-01-15T10:30:00Z", "count": 2}'
    assert _converter.structure_json(body, _Unmirrored) is None  # no mirror: json.loads
    assert _converter._decoders[_Unmirrored] is None  # decided once
    call = _endpoints.APICall("GET", "/x", {}, _Unmirrored)
    response = httpx.Response(200, content=body, request=httpx.Request("GET", BASE + "/x"))
    decoded = decode(call, response, secret=Secret(API_KEY))
    assert decoded == _Unmirrored(datetime.datetime(2024, 1, 15, 10, 30, tzinfo=UTC), 2)


def test_dicts_optional_numbers_and_dates_are_mirrored(monkeypatch: pytest.MonkeyPatch) -> None:
    needs_extra("msgspec")
    _use_speedups(monkeypatch, on=True)
    data = {"counts": {"a": 1}, "ratio": None, "day": "2024-01-15", "inner": None}
    assert _converter.structure_json(json.dumps(data).encode(), _Mirrored) is None
    flat = attrs.make_class(
        "Flat",
        {
            "counts": attrs.field(type=dict[str, int]),
            "ratio": attrs.field(type=float | None),
            "day": attrs.field(type=datetime.date),
        },
        frozen=True,
    )
    decoded = _converter.structure_json(json.dumps(data).encode(), flat)
    assert decoded == flat({"a": 1}, None, datetime.date(2024, 1, 15))
    assert _converter.structure_json(b'{"counts": {"a": 1}, "ratio": 1, "day": "x"}', flat) is None


@pytest.mark.parametrize(
    ("value", "fits"),
    [(2**63 - 1, True), (-(2**63), True), (2**63, False), (-(2**63) - 1, False), (10**30, False)],
)
def test_integers_are_64_bit_with_and_without_speedups(
    value: int, fits: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An int field, a nullable one and a breakdown's values: the frames' int64 and most
    # databases' BIGINT hold whatever is accepted.
    if not BARE_RUN:
        needs_extra("msgspec")
    usage, page, bots = (_wire(m) for m in (ApiKeyUsage, _models.ApiLogPage, _models.BotStats))
    usage["requestsTotal"] = value
    page["logs"][0]["apiKeyId"] = value
    bots["platformBreakdown"]["zoom"] = value
    for model, body in ((ApiKeyUsage, usage), (_models.ApiLogPage, page), (_models.BotStats, bots)):
        with_speedups, without = _both(model, json.dumps(body).encode(), monkeypatch)
        assert with_speedups == without
        assert with_speedups[0] == ("ok" if fits else "error")
        if not fits:
            message = with_speedups[1][0]
            assert message.endswith(
                f"expected a 64-bit integer (-9223372036854775808 to 9223372036854775807),"
                f" got {value}"
            )
