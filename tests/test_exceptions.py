"""From a non-2xx response to a typed exception with the server's message."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import traceback
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import meetbot_sdk as mb
from meetbot_sdk._exceptions import Secret, connection_error, redact, status_error
from meetbot_sdk._retry import server_wait
from meetbot_sdk.testing import FakeMeetBot, Fault
from tests.support import Twin, strategies
from tests.support.handlers import KEY, answer, assert_no_key, failure, get_analytics, serve

SECRET = "mb_live_supersecret"


REQUEST = httpx.Request("GET", "https://api.meetbot.dev/v1/users/me/analytics")


def response(
    status: int, content: bytes | None = None, headers: dict[str, str] | None = None, **kwargs: Any
) -> httpx.Response:
    if content is not None:
        kwargs["content"] = content
    if headers is not None:
        kwargs["headers"] = headers
    return httpx.Response(status, request=REQUEST, **kwargs)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, mb.BadRequestError),
        (401, mb.AuthenticationError),
        (403, mb.PermissionDeniedError),
        (404, mb.NotFoundError),
        (409, mb.ConflictError),
        (422, mb.UnprocessableEntityError),
        (429, mb.RateLimitError),
        (500, mb.InternalServerError),
        (502, mb.InternalServerError),
        (503, mb.InternalServerError),
        (599, mb.InternalServerError),
        (405, mb.APIStatusError),
        (418, mb.APIStatusError),
        (499, mb.APIStatusError),
    ],
)
def test_each_status_has_its_class(status: int, cls: type[mb.APIStatusError]) -> None:
    error = status_error(response(status), secret=Secret(SECRET))
    assert type(error) is cls
    assert isinstance(error, mb.MeetBotError)
    assert error.status_code == status


@pytest.mark.parametrize(
    "body",
    [
        {"detail": "API key 99 not found"},
        {"error": {"code": "not_found", "message": "API key 99 not found"}},
        {"message": "API key 99 not found"},
        {"error": "API key 99 not found"},
        {"detail": [{"loc": ["query", "key"], "msg": "API key 99 not found"}]},
    ],
)
def test_message_comes_from_every_body_shape(body: dict[str, object]) -> None:
    error = status_error(
        response(404, json=body, headers={"X-Request-Id": "req_7"}), secret=Secret("")
    )
    assert error.message == "API key 99 not found"
    assert error.body == body
    assert error.request_id == "req_7"
    assert str(error) == "404 Not Found: API key 99 not found (request_id=req_7)"


def test_html_from_a_proxy_gives_its_title() -> None:
    html = "<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>"
    error = status_error(response(502, text=html), secret=Secret(SECRET))
    assert error.message == "502 Bad Gateway"
    assert error.body == html
    assert str(error) == "502 Bad Gateway: 502 Bad Gateway"


def test_long_text_bodies_are_cut_to_an_excerpt() -> None:
    error = status_error(response(500, text="oops " * 200), secret=Secret(SECRET))
    assert len(error.message) == 200
    assert error.message.endswith("...")


def test_empty_body_has_no_message() -> None:
    error = status_error(response(503), secret=Secret(SECRET))
    assert (error.message, error.body, error.request_id) == ("", None, None)
    assert str(error) == "503 Service Unavailable"


def test_json_without_a_known_key_is_shown_compactly() -> None:
    error = status_error(response(400, json={"code": 12}), secret=Secret(SECRET))
    assert error.message == '{"code": 12}'
    assert status_error(response(400, json=[1, 2]), secret=Secret(SECRET)).message == "[1, 2]"


def test_rate_limit_error_carries_retry_after() -> None:
    error = status_error(response(429, headers={"Retry-After": "7"}), secret=Secret(SECRET))
    assert isinstance(error, mb.RateLimitError)
    assert error.retry_after == 7.0
    no_header = status_error(response(429), secret=Secret(SECRET))
    assert isinstance(no_header, mb.RateLimitError)
    assert no_header.retry_after is None


def test_an_echoed_credential_is_redacted_from_the_message() -> None:
    body = {"detail": f"Invalid API key {SECRET}"}
    error = status_error(response(401, json=body), secret=Secret(SECRET))
    assert SECRET not in str(error)
    assert SECRET not in repr(error)
    assert error.message == "Invalid API key [redacted]"
    assert error.body == {"detail": "Invalid API key [redacted]"}
    text = status_error(response(401, text=f"bad {SECRET}"), secret=Secret(SECRET))
    assert (text.message, text.body) == ("bad [redacted]", "bad [redacted]")


def test_redirects_are_reported_not_followed() -> None:
    error = status_error(
        response(302, headers={"Location": "https://elsewhere.example/v1"}), secret=Secret(SECRET)
    )
    assert type(error) is mb.APIStatusError
    assert "unexpected redirect to 'https://elsewhere.example/v1'" in str(error)


# --- connection errors say what happened ---------------------------------------------------------


def test_connection_errors_name_the_host_the_port_and_the_attempts() -> None:
    refused = connection_error(
        httpx.ConnectError("[Errno 111] refused"), request=REQUEST, secret=Secret(""), attempts=3
    )
    assert str(refused) == (
        "Connection error: could not connect to api.meetbot.dev:443 after 3 attempts "
        "([Errno 111] refused)"
    )
    silent = connection_error(httpx.RemoteProtocolError(""), request=REQUEST, secret=Secret(""))
    assert str(silent) == (
        "Connection error: the connection to api.meetbot.dev:443 failed after 1 attempt "
        "(RemoteProtocolError)"
    )
    timeout = connection_error(httpx.ReadTimeout("timed out"), request=REQUEST, secret=Secret(""))
    assert type(timeout) is mb.APITimeoutError
    assert str(timeout) == (
        "Request timed out: no response from api.meetbot.dev:443 after 1 attempt (ReadTimeout)"
    )
    assert timeout.request is REQUEST
    ipv6 = httpx.Request("GET", "http://[::1]:8080/v1/users/me/analytics")
    local = connection_error(
        httpx.ConnectError("refused"), request=ipv6, secret=Secret(""), attempts=2
    )
    assert "could not connect to [::1]:8080 after 2 attempts" in str(local)
    plain = httpx.Request("GET", "http://127.0.0.1/v1/users/me/analytics")  # no port given
    default = connection_error(httpx.ConnectError("refused"), request=plain, secret=Secret(""))
    assert "could not connect to 127.0.0.1:80 after 1 attempt" in str(default)


def test_the_library_error_is_kept_as_cause_not_chained() -> None:
    exc = httpx.ConnectError("refused")
    error = connection_error(exc, request=REQUEST, secret=Secret(""))
    assert error.cause is exc
    assert error.__cause__ is None


def test_connection_errors_built_by_hand_have_a_message() -> None:
    assert str(mb.APIConnectionError(request=REQUEST)) == "Connection error."
    assert str(mb.APITimeoutError(request=REQUEST)) == "Request timed out."
    assert mb.APIConnectionError(request=REQUEST).cause is None


# --- error bodies of any shape -------------------------------------------------------------------


def test_a_non_utf8_error_page_is_read_with_replacement_characters() -> None:
    page = b"<html><title>Bad \xff gateway</title></html>"
    error = status_error(response(502, page), secret=Secret(SECRET))
    assert type(error) is mb.InternalServerError
    assert error.message == "Bad \ufffd gateway"
    assert error.body == page.decode("utf-8", errors="replace")


def test_a_detail_list_of_plain_strings_gives_them_as_the_message() -> None:
    error = status_error(
        response(422, json={"detail": ["too big", {"msg": "bad"}]}), secret=Secret("")
    )
    assert error.message == "too big; bad"


def test_the_credential_is_redacted_inside_json_lists() -> None:
    body = {"errors": [f"key {SECRET}", {"keys": [SECRET, 1]}], SECRET: [None]}
    error = status_error(response(400, json=body), secret=Secret(SECRET))
    assert error.body == {
        "errors": ["key [redacted]", {"keys": ["[redacted]", 1]}],
        "[redacted]": [None],
    }
    assert SECRET not in str(error)


def test_an_empty_reason_phrase_leaves_no_trailing_space() -> None:
    bare = httpx.Response(599, content=b"", request=REQUEST, extensions={"reason_phrase": b""})
    assert str(status_error(bare, secret=Secret(""))) == "599"
    answered = httpx.Response(
        599, json={"detail": "down"}, request=REQUEST, extensions={"reason_phrase": b""}
    )
    assert str(status_error(answered, secret=Secret(""))) == "599: down"


def test_a_redirect_without_location_still_says_it_was_not_followed() -> None:
    error = status_error(response(302), secret=Secret(""))
    assert error.message == "unexpected redirect to ''; the SDK does not follow redirects"


@pytest.mark.parametrize(
    ("length", "expected"), [(200, "x" * 200), (201, "x" * 197 + "...")], ids=["200", "201"]
)
def test_messages_are_excerpted_beyond_200_characters(length: int, expected: str) -> None:
    assert status_error(response(500, b"x" * length), secret=Secret("")).message == expected
    detail = status_error(response(500, json={"detail": "x" * length}), secret=Secret(""))
    assert detail.message == expected


# --- 429s: the body and the wait -----------------------------------------------------------------


def test_a_rate_limit_error_keeps_the_body() -> None:
    body = {"error": {"code": "rate_limited", "message": "slow down"}}
    error = status_error(response(429, json=body, headers={"Retry-After": "2"}), secret=Secret(""))
    assert isinstance(error, mb.RateLimitError)
    assert error.body == body
    assert error.message == "slow down"
    assert error.retry_after == 2.0


def test_a_429_with_budget_left_still_waits_for_its_reset() -> None:
    headers = {"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "30"}
    error = status_error(response(429, headers=headers), secret=Secret(""))
    assert isinstance(error, mb.RateLimitError)
    assert error.retry_after == 30.0
    # Not a 429 and budget left: the reset is no reason to wait.
    assert server_wait(503, {k.lower(): v for k, v in headers.items()}) is None


# --- error summaries at their bounds -------------------------------------------------------------


def test_a_validation_error_built_by_hand_blames_the_whole_body() -> None:
    error = mb.APIResponseValidationError("bad", response=response(200), body=None)
    assert error.path == ""


def test_a_2xx_that_is_not_json_blames_the_whole_body() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=b"oops"))
    with mb.MeetBot(SECRET, http_client=httpx.Client(transport=transport)) as client:
        with pytest.raises(mb.APIResponseValidationError, match="is not valid JSON") as info:
            client.api_keys.get_usage(1)
    assert info.value.path == ""
    assert info.value.body is None


def test_a_tag_cut_by_the_summary_window_is_not_shown() -> None:
    # A page whose first tag runs past the 16 KB looked at (an inline image, say).
    page = b'<img src="data:' + b"A" * 20_000 + b'"> real text'
    assert status_error(response(502, page), secret=Secret("")).message == ""


@pytest.mark.parametrize(("size", "shown"), [(16_384, "a < b"), (16_385, "a")])
def test_a_body_of_the_summary_windows_length_is_read_whole(size: int, shown: str) -> None:
    # Up to 16 KB nothing is cut: a "<" near the end is text. Beyond, the window ends
    # inside "< b", which is dropped as a tag cut in two.
    page = b" " * (size - 5) + b"a < b"
    assert status_error(response(502, page), secret=Secret("")).message == shown


@pytest.mark.parametrize(("length", "shown"), [(200, 200), (201, 200)], ids=["200", "201"])
def test_a_redirect_location_is_cut_beyond_200_characters(length: int, shown: int) -> None:
    location = "https://elsewhere.example/" + "x" * (length - 26)
    error = status_error(response(302, headers={"Location": location}), secret=Secret(""))
    expected = location if length <= 200 else location[:197] + "..."
    assert len(expected) == shown
    assert (
        error.message == f"unexpected redirect to {expected!r}; the SDK does not follow redirects"
    )


def test_a_detail_list_shows_its_first_20_problems() -> None:
    detail = [{"msg": f"e{i}"} for i in range(1, 26)]
    error = status_error(response(422, json={"detail": detail}), secret=Secret(""))
    assert error.message == "; ".join(f"e{i}" for i in range(1, 21))


def test_a_message_of_200_characters_is_the_servers_own_words() -> None:
    message = ("a  <b>  " * 25)[:200]  # doubled spaces and a tag, kept as sent
    error = status_error(response(400, json={"detail": message}), secret=Secret(""))
    assert error.message == message


@pytest.mark.parametrize("size", [16_384, 16_385])
def test_a_json_body_without_a_message_is_shown_from_its_start(size: int) -> None:
    # Compact JSON: up to 16 KB it is shown re-encoded (", " and ": "), beyond as sent.
    content = b'{"a":[' + b"1," * ((size - 9) // 2) + b"1]}"
    content += b" " * (size - len(content))
    assert len(content) == size
    message = status_error(response(500, content), secret=Secret("")).message
    assert message.startswith('{"a": [1, 1' if size <= 16_384 else '{"a":[1,1')


def test_a_large_utf16_json_body_without_a_message_is_summarised() -> None:
    content = json.dumps({"a": "x" * 20_000}).encode("utf-16")
    error = status_error(response(500, content), secret=Secret(""))
    assert type(error) is mb.InternalServerError
    assert error.body == {"a": "x" * 20_000}
    assert len(error.message) == 200


# --- error bodies nested too deep ----------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 503])
def test_deeply_nested_error_body_is_the_status_error(twin: Twin, status: int) -> None:
    error = failure(twin, get_analytics, **serve(answer(status, b"[" * 100_000), twin))
    assert isinstance(error, mb.APIStatusError)
    assert error.status_code == status
    assert error.message == "the body is JSON nested deeper than 64 levels"


def test_an_error_body_that_parses_but_nests_too_deep_is_kept_as_text() -> None:
    body = ("[" * 200 + "]" * 200).encode()
    error = status_error(response(400, body), secret=Secret(KEY))
    assert error.body == body.decode()
    assert error.message == "the body is JSON nested deeper than 64 levels"


# --- bounded, linear error summaries -------------------------------------------------------------


@pytest.mark.parametrize("unit", [b"<title>", b"<", b"<title", b"<a<b", b"{" * 3 + b"<"])
def test_pathological_pages_are_summarised_in_linear_time(unit: bytes) -> None:
    # Before: 56 KB of "<title>" took 7 s (quadratic). Linear work on 1 MB takes ~10 ms; the
    # bound is generous for a loaded machine and still far below what quadratic would take.
    body = unit * (1_000_000 // len(unit))
    started = time.perf_counter()
    error = status_error(response(502, body), secret=Secret(KEY))
    assert time.perf_counter() - started < 2.0
    assert len(error.message) <= 200


def test_the_title_is_still_found_and_the_excerpt_bounded() -> None:
    page = b"<html><head><TITLE>Gateway timeout</TITLE></head>" + b"<p>x</p>" * 100_000
    assert status_error(response(504, page), secret=Secret(KEY)).message == "Gateway timeout"
    words = status_error(response(500, b"<b>word</b> " * 100_000), secret=Secret(KEY)).message
    assert words.startswith("word word")
    assert len(words) == 200


def test_a_large_json_error_body_without_a_message_is_excerpted_from_its_start() -> None:
    body = json.dumps({"items": list(range(300_000))}).encode()
    error = status_error(response(500, body), secret=Secret(KEY))
    assert error.message.startswith('{"items": [0, 1, 2')
    assert len(error.message) == 200
    assert error.body == {"items": list(range(300_000))}


# --- the key never leaks, whatever the server echoes ---------------------------------------------


def test_a_redirect_with_the_key_in_its_location(
    twin: Twin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="meetbot_sdk")
    location = f"https://login.example/?access_token={KEY}&next=%2F"
    error = failure(twin, get_analytics, **serve(answer(302, b"", {"Location": location}), twin))
    assert isinstance(error, mb.APIStatusError)
    assert str(error) == (
        "302 Found: unexpected redirect to 'https://login.example/?access_token=[redacted]"
        "&next=%2F'; the SDK does not follow redirects"
    )
    assert_no_key(error, caplog)


def test_a_long_location_is_cut_after_redaction() -> None:
    location = f"https://login.example/{'x' * 180}?t={KEY}"
    error = status_error(response(307, b"", {"Location": location}), secret=Secret(KEY))
    assert error.message == (
        f"unexpected redirect to '{location[:197].replace(KEY, '[redacted]')}...'; the SDK"
        " does not follow redirects"
    )
    assert KEY[:3] not in error.message.split("?")[-1]


@pytest.mark.parametrize("status", [400, 401, 404, 429, 500, 503])
def test_error_bodies_headers_and_reasons_echoing_the_key(
    twin: Twin, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    caplog.set_level(logging.DEBUG, logger="meetbot_sdk")

    def handler(request: httpx.Request) -> httpx.Response:
        key = request.headers["Authorization"].removeprefix("Bearer ")
        quoted = httpx.QueryParams({"k": key}).get("k")
        return httpx.Response(
            status,
            json={"detail": f"bad key {key}", key: [key, {"nested": quoted}]},
            headers={"X-Request-Id": key, "Retry-After": "0"},
            extensions={"reason_phrase": f"No {key}".encode()},
        )

    kwargs = serve(handler, twin)
    kwargs["max_retries"] = 1
    error = failure(twin, get_analytics, sleeps=[], **kwargs)
    assert isinstance(error, mb.APIStatusError)
    assert error.message == "bad key [redacted]"
    assert error.body == {
        "detail": "bad key [redacted]",
        "[redacted]": ["[redacted]", {"nested": "[redacted]"}],
    }
    assert_no_key(error, caplog)


def test_html_error_page_echoing_the_key_past_the_excerpt_length() -> None:
    page = ("x" * 190 + KEY + " tail").encode()
    error = status_error(response(500, page), secret=Secret(KEY))
    assert KEY[:5] not in error.message
    assert KEY not in error.body  # type: ignore[operator]


def test_a_connection_error_wording_the_key_is_redacted(twin: Twin) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError(f"peer said {KEY}", request=request)

    error = failure(twin, get_analytics, **serve(handler, twin))
    assert isinstance(error, mb.APIConnectionError)
    assert str(error).endswith(" (peer said [redacted])")
    assert str(error.cause) == "peer said [redacted]"  # printing it shows no key either


# --- any response: a model or a documented error, never the key ----------------------------------


@strategies.SETTINGS
@given(
    status=strategies.statuses,
    body=strategies.bodies,
    headers=strategies.headers,
    reason=st.sampled_from([b"", strategies.KEY.encode()]),
)
def test_any_response_gives_a_model_or_a_documented_error(
    status: int, body: bytes, headers: dict[str, str], reason: bytes
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            status, content=body, headers=headers, extensions={"reason_phrase": reason}
        )

    http = httpx.Client(transport=httpx.MockTransport(handler))
    with mb.MeetBot(strategies.KEY, http_client=http, max_retries=0, max_retry_wait=0) as client:
        try:
            usage = client.api_keys.get_usage(1)
        except mb.MeetBotError as error:
            for text in strategies.texts_shown(error):
                assert strategies.KEY not in text
        else:
            assert isinstance(usage, mb.ApiKeyUsage)


# --- the key in tracebacks with locals, and the one redaction ------------------------------------

TRACEBACK_KEY = "mb_live_traceback_locals_key_9f2c"


def _raise_bad_body(async_: bool) -> None:
    fake = FakeMeetBot(api_key=TRACEBACK_KEY)
    fake.inject(Fault.malformed_body())
    if not async_:
        with fake.client(max_retries=0) as client:
            client.api_keys.get_usage(1)

    async def main() -> None:
        async with fake.async_client(max_retries=0) as client:
            await client.api_keys.get_usage(1)

    asyncio.run(main())


def _raise_raw_bad_body() -> None:
    fake = FakeMeetBot(api_key=TRACEBACK_KEY)
    fake.inject(Fault.malformed_body())
    with fake.client(max_retries=0) as client:
        client.api_keys.with_raw_response.get_usage(1).parse()


def _raise_not_found() -> None:
    with FakeMeetBot(api_key=TRACEBACK_KEY).client(max_retries=0) as client:
        client.api_keys.get_usage(999)


def _raise_unreachable() -> None:
    with mb.MeetBot(TRACEBACK_KEY, base_url="http://127.0.0.1:9/v1", max_retries=0) as client:
        client.analytics.get()


@pytest.mark.parametrize(
    "fail",
    [
        pytest.param(lambda: _raise_bad_body(async_=False), id="validation-sync"),
        pytest.param(lambda: _raise_bad_body(async_=True), id="validation-async"),
        pytest.param(_raise_raw_bad_body, id="raw-parse"),
        pytest.param(_raise_not_found, id="status"),
        pytest.param(_raise_unreachable, id="connection"),
        pytest.param(lambda: mb.MeetBot(TRACEBACK_KEY, base_url="ftp://x"), id="bad-base-url"),
        pytest.param(lambda: mb.MeetBot(TRACEBACK_KEY, timeout=-1), id="bad-timeout"),
        pytest.param(lambda: mb.MeetBot(TRACEBACK_KEY + " x"), id="malformed-key"),
    ],
)
def test_a_traceback_formatted_with_locals_never_shows_the_key(fail: Any) -> None:
    # pytest --showlocals, rich, IPython's verbose mode and error trackers show every local
    # of every frame; once, one was `secret` in the redaction code, holding the key.
    with pytest.raises((mb.MeetBotError, ValueError)) as caught:
        fail()
    formatted = "".join(
        traceback.TracebackException.from_exception(caught.value, capture_locals=True).format()
    )
    assert TRACEBACK_KEY not in formatted


def test_a_secret_shows_nowhere_but_redacts_every_form() -> None:
    secret = Secret("mb/live+key 1")
    assert repr(secret) == str(secret) == "Secret('[redacted]')"
    assert f"{secret}" == "Secret('[redacted]')"
    text = "a mb/live+key 1 b mb%2Flive%2Bkey%201 c mb%2Flive%2Bkey+1"
    assert secret.redact(text) == "a [redacted] b [redacted] c [redacted]"
    # Encoded, a key ending in "%" starts with the key itself: the whole form is redacted.
    percent = Secret("mb_live_key%")
    assert percent.redact("?key=mb_live_key%25&x=1") == "?key=[redacted]&x=1"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("redis://:hunter2@cache:6379/0", "redis://***@cache:6379/0"),
        ("redis://:p@ss@cache:6379/0", "redis://***@cache:6379/0"),  # an "@" in the password
        ("redis://user:p@ss@w0rd@cache", "redis://***@cache"),
        ("redis://cache:6379/0?password=hunter2", "redis://cache:6379/0?password=***"),
        ("unix:///run/r.sock?db=0&password=h@x&x=1", "unix:///run/r.sock?db=0&password=***&x=1"),
        ("rediss://cache?PASSWORD=x;token=y", "rediss://cache?PASSWORD=***;token=***"),
        ("see https://a.example/v1 and ftp://u:p@b/", "see https://a.example/v1 and ftp://***@b/"),
        ("no URL here: a=b, c@d", "no URL here: a=b, c@d"),
    ],
)
def test_the_one_redaction_hides_url_credentials(text: str, shown: str) -> None:
    assert redact(text) == shown


def test_the_one_redaction_hides_the_key_and_url_credentials_together() -> None:
    key = Secret("mb_live_abc")
    assert redact("https://u:pw@h/v1?access_token=mb_live_abc&x=mb_live_abc", key) == (
        "https://***@h/v1?access_token=[redacted]&x=[redacted]"
    )
