"""From a non-2xx response to a typed exception with the server's message."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import meetbot_sdk as mb
from meetbot_sdk._exceptions import connection_error, status_error
from meetbot_sdk._retry import server_wait
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
    ],
)
def test_each_status_has_its_class(status: int, cls: type[mb.APIStatusError]) -> None:
    error = status_error(response(status), secret=SECRET)
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
    error = status_error(response(404, json=body, headers={"X-Request-Id": "req_7"}), secret="")
    assert error.message == "API key 99 not found"
    assert error.body == body
    assert error.request_id == "req_7"
    assert str(error) == "404 Not Found: API key 99 not found (request_id=req_7)"


def test_html_from_a_proxy_gives_its_title() -> None:
    html = "<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>"
    error = status_error(response(502, text=html), secret=SECRET)
    assert error.message == "502 Bad Gateway"
    assert error.body == html
    assert str(error) == "502 Bad Gateway: 502 Bad Gateway"


def test_long_text_bodies_are_cut_to_an_excerpt() -> None:
    error = status_error(response(500, text="oops " * 200), secret=SECRET)
    assert len(error.message) == 200
    assert error.message.endswith("...")


def test_empty_body_has_no_message() -> None:
    error = status_error(response(503), secret=SECRET)
    assert (error.message, error.body, error.request_id) == ("", None, None)
    assert str(error) == "503 Service Unavailable"


def test_json_without_a_known_key_is_shown_compactly() -> None:
    error = status_error(response(400, json={"code": 12}), secret=SECRET)
    assert error.message == '{"code": 12}'
    assert status_error(response(400, json=[1, 2]), secret=SECRET).message == "[1, 2]"


def test_rate_limit_error_carries_retry_after() -> None:
    error = status_error(response(429, headers={"Retry-After": "7"}), secret=SECRET)
    assert isinstance(error, mb.RateLimitError)
    assert error.retry_after == 7.0
    no_header = status_error(response(429), secret=SECRET)
    assert isinstance(no_header, mb.RateLimitError)
    assert no_header.retry_after is None


def test_an_echoed_credential_is_redacted_from_the_message() -> None:
    body = {"detail": f"Invalid API key {SECRET}"}
    error = status_error(response(401, json=body), secret=SECRET)
    assert SECRET not in str(error)
    assert SECRET not in repr(error)
    assert error.message == "Invalid API key [redacted]"
    assert error.body == {"detail": "Invalid API key [redacted]"}
    text = status_error(response(401, text=f"bad {SECRET}"), secret=SECRET)
    assert (text.message, text.body) == ("bad [redacted]", "bad [redacted]")


def test_redirects_are_reported_not_followed() -> None:
    error = status_error(
        response(302, headers={"Location": "https://elsewhere.example/v1"}), secret=SECRET
    )
    assert type(error) is mb.APIStatusError
    assert "unexpected redirect to 'https://elsewhere.example/v1'" in str(error)


# --- connection errors say what happened ---------------------------------------------------------


def test_connection_errors_name_the_host_the_port_and_the_attempts() -> None:
    refused = connection_error(
        httpx.ConnectError("[Errno 111] refused"), request=REQUEST, secret="", attempts=3
    )
    assert str(refused) == (
        "Connection error: could not connect to api.meetbot.dev:443 after 3 attempts "
        "([Errno 111] refused)"
    )
    silent = connection_error(httpx.RemoteProtocolError(""), request=REQUEST, secret="")
    assert str(silent) == (
        "Connection error: the connection to api.meetbot.dev:443 failed after 1 attempt "
        "(RemoteProtocolError)"
    )
    timeout = connection_error(httpx.ReadTimeout("timed out"), request=REQUEST, secret="")
    assert type(timeout) is mb.APITimeoutError
    assert str(timeout) == (
        "Request timed out: no response from api.meetbot.dev:443 after 1 attempt (ReadTimeout)"
    )
    assert timeout.request is REQUEST
    ipv6 = httpx.Request("GET", "http://[::1]:8080/v1/users/me/analytics")
    local = connection_error(httpx.ConnectError("refused"), request=ipv6, secret="", attempts=2)
    assert "could not connect to [::1]:8080 after 2 attempts" in str(local)


def test_the_library_error_is_kept_as_cause_not_chained() -> None:
    exc = httpx.ConnectError("refused")
    error = connection_error(exc, request=REQUEST, secret="")
    assert error.cause is exc
    assert error.__cause__ is None


def test_connection_errors_built_by_hand_have_a_message() -> None:
    assert str(mb.APIConnectionError(request=REQUEST)) == "Connection error."
    assert str(mb.APITimeoutError(request=REQUEST)) == "Request timed out."
    assert mb.APIConnectionError(request=REQUEST).cause is None


# --- error bodies of any shape -------------------------------------------------------------------


def test_a_non_utf8_error_page_is_read_with_replacement_characters() -> None:
    page = b"<html><title>Bad \xff gateway</title></html>"
    error = status_error(response(502, page), secret=SECRET)
    assert type(error) is mb.InternalServerError
    assert error.message == "Bad \ufffd gateway"
    assert error.body == page.decode("utf-8", errors="replace")


def test_a_detail_list_of_plain_strings_gives_them_as_the_message() -> None:
    error = status_error(response(422, json={"detail": ["too big", {"msg": "bad"}]}), secret="")
    assert error.message == "too big; bad"


def test_the_credential_is_redacted_inside_json_lists() -> None:
    body = {"errors": [f"key {SECRET}", {"keys": [SECRET, 1]}], SECRET: [None]}
    error = status_error(response(400, json=body), secret=SECRET)
    assert error.body == {
        "errors": ["key [redacted]", {"keys": ["[redacted]", 1]}],
        "[redacted]": [None],
    }
    assert SECRET not in str(error)


def test_an_empty_reason_phrase_leaves_no_trailing_space() -> None:
    bare = httpx.Response(599, content=b"", request=REQUEST, extensions={"reason_phrase": b""})
    assert str(status_error(bare, secret="")) == "599"
    answered = httpx.Response(
        599, json={"detail": "down"}, request=REQUEST, extensions={"reason_phrase": b""}
    )
    assert str(status_error(answered, secret="")) == "599: down"


def test_a_redirect_without_location_still_says_it_was_not_followed() -> None:
    error = status_error(response(302), secret="")
    assert error.message == "unexpected redirect to ''; the SDK does not follow redirects"


@pytest.mark.parametrize(
    ("length", "expected"), [(200, "x" * 200), (201, "x" * 197 + "...")], ids=["200", "201"]
)
def test_messages_are_excerpted_beyond_200_characters(length: int, expected: str) -> None:
    assert status_error(response(500, b"x" * length), secret="").message == expected
    detail = status_error(response(500, json={"detail": "x" * length}), secret="")
    assert detail.message == expected


# --- 429s: the body and the wait -----------------------------------------------------------------


def test_a_rate_limit_error_keeps_the_body() -> None:
    body = {"error": {"code": "rate_limited", "message": "slow down"}}
    error = status_error(response(429, json=body, headers={"Retry-After": "2"}), secret="")
    assert isinstance(error, mb.RateLimitError)
    assert error.body == body
    assert error.message == "slow down"
    assert error.retry_after == 2.0


def test_a_429_with_budget_left_still_waits_for_its_reset() -> None:
    headers = {"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "30"}
    error = status_error(response(429, headers=headers), secret="")
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
    assert status_error(response(502, page), secret="").message == ""


@pytest.mark.parametrize(("length", "shown"), [(200, 200), (201, 200)], ids=["200", "201"])
def test_a_redirect_location_is_cut_beyond_200_characters(length: int, shown: int) -> None:
    location = "https://elsewhere.example/" + "x" * (length - 26)
    error = status_error(response(302, headers={"Location": location}), secret="")
    expected = location if length <= 200 else location[:197] + "..."
    assert len(expected) == shown
    assert (
        error.message == f"unexpected redirect to {expected!r}; the SDK does not follow redirects"
    )


def test_a_detail_list_shows_its_first_20_problems() -> None:
    detail = [{"msg": f"e{i}"} for i in range(1, 26)]
    error = status_error(response(422, json={"detail": detail}), secret="")
    assert error.message == "; ".join(f"e{i}" for i in range(1, 21))


def test_a_message_of_200_characters_is_the_servers_own_words() -> None:
    message = ("a  <b>  " * 25)[:200]  # doubled spaces and a tag, kept as sent
    error = status_error(response(400, json={"detail": message}), secret="")
    assert error.message == message


@pytest.mark.parametrize("size", [16_384, 16_385])
def test_a_json_body_without_a_message_is_shown_from_its_start(size: int) -> None:
    # Compact JSON: up to 16 KB it is shown re-encoded (", " and ": "), beyond as sent.
    content = b'{"a":[' + b"1," * ((size - 9) // 2) + b"1]}"
    content += b" " * (size - len(content))
    assert len(content) == size
    message = status_error(response(500, content), secret="").message
    assert message.startswith('{"a": [1, 1' if size <= 16_384 else '{"a":[1,1')


def test_a_large_utf16_json_body_without_a_message_is_summarised() -> None:
    content = json.dumps({"a": "x" * 20_000}).encode("utf-16")
    error = status_error(response(500, content), secret="")
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
    error = status_error(response(400, body), secret=KEY)
    assert error.body == body.decode()
    assert error.message == "the body is JSON nested deeper than 64 levels"


# --- bounded, linear error summaries -------------------------------------------------------------


@pytest.mark.parametrize("unit", [b"<title>", b"<", b"<title", b"<a<b", b"{" * 3 + b"<"])
def test_pathological_pages_are_summarised_in_linear_time(unit: bytes) -> None:
    # Before: 56 KB of "<title>" took 7 s (quadratic). Linear work on 1 MB takes ~10 ms; the
    # bound is generous for a loaded machine and still far below what quadratic would take.
    body = unit * (1_000_000 // len(unit))
    started = time.perf_counter()
    error = status_error(response(502, body), secret=KEY)
    assert time.perf_counter() - started < 2.0
    assert len(error.message) <= 200


def test_the_title_is_still_found_and_the_excerpt_bounded() -> None:
    page = b"<html><head><TITLE>Gateway timeout</TITLE></head>" + b"<p>x</p>" * 100_000
    assert status_error(response(504, page), secret=KEY).message == "Gateway timeout"
    words = status_error(response(500, b"<b>word</b> " * 100_000), secret=KEY).message
    assert words.startswith("word word")
    assert len(words) == 200


def test_a_large_json_error_body_without_a_message_is_excerpted_from_its_start() -> None:
    body = json.dumps({"items": list(range(300_000))}).encode()
    error = status_error(response(500, body), secret=KEY)
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
    error = status_error(response(307, b"", {"Location": location}), secret=KEY)
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
    error = status_error(response(500, page), secret=KEY)
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
