"""What a broken or hostile server sends and how a user misconfigures: nothing crashes,
hangs or leaks the key (issue 9, cases 1-4 and 7)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import meetbot_sdk as mb
from meetbot_sdk._exceptions import status_error
from tests.support import USAGE, Twin

KEY = "mb_live_Sup3rSecretKey_0123456789abcdef"
ANALYTICS_PATH = "/users/me/analytics"


def serve(handler: Callable[[httpx.Request], httpx.Response], twin: Twin) -> dict[str, Any]:
    """Client kwargs for ``twin.run``: an injected client answered by ``handler``."""
    transport = httpx.MockTransport(handler)
    http = httpx.Client(transport=transport) if twin.kind == "sync" else None
    return {
        "api_key": KEY,
        "max_retries": 0,
        "http_client": http or httpx.AsyncClient(transport=transport),
    }


def answer(status: int, content: bytes, headers: dict[str, str] | None = None) -> Any:
    return lambda request: httpx.Response(status, content=content, headers=headers or {})


def failure(twin: Twin, call: Callable[[Any], Any], **kwargs: Any) -> BaseException:
    try:
        twin.run(call, **kwargs)
    except Exception as exc:  # the test checks which exception this is
        return exc
    raise AssertionError("the call did not fail")


def get_analytics(client: Any) -> Any:
    return client.analytics.get()


# --- 1. deeply nested JSON ---------------------------------------------------------------


@pytest.mark.parametrize("opening", [b"[", b'{"a":'])
def test_deeply_nested_200_is_a_validation_error(twin: Twin, opening: bytes) -> None:
    body = opening * 100_000
    error = failure(twin, get_analytics, **serve(answer(200, body), twin))
    assert type(error) is mb.APIResponseValidationError
    assert "nested deeper than 64 levels" in str(error)
    assert error.body is None


def test_nesting_that_parses_but_no_payload_has_is_refused_unread(twin: Twin) -> None:
    body = json.dumps({"apiCalls": [[[1]]]})
    deep = {"apiCalls": json.loads("[" * 200 + "]" * 200)}
    error = failure(twin, get_analytics, **serve(answer(200, json.dumps(deep).encode()), twin))
    assert isinstance(error, mb.APIResponseValidationError)
    assert "nested deeper than 64 levels" in str(error)
    shallow = failure(twin, get_analytics, **serve(answer(200, body.encode()), twin))
    assert "apiCalls" in str(shallow)  # a shallow mistake is still named by its field


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


def test_deeply_nested_503_is_retried(twin: Twin) -> None:
    answers = iter([answer(503, b'{"a":' * 100_000), answer(200, json.dumps(USAGE).encode())])
    kwargs = serve(lambda request: next(answers)(request), twin)  # noqa: PLW0108
    kwargs["max_retries"] = 1
    usage = twin.run(lambda c: c.api_keys.get_usage(1), sleeps=[], **kwargs)
    assert usage.requests_total == USAGE["requestsTotal"]


# --- 2. bounded, linear error summaries ---------------------------------------------------


def response(status: int, content: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    request = httpx.Request("GET", "https://api.meetbot.dev/v1" + ANALYTICS_PATH)
    return httpx.Response(status, content=content, headers=headers or {}, request=request)


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


# --- 3. the key never leaks, whatever the server echoes -----------------------------------


def echo_everywhere(request: httpx.Request) -> httpx.Response:
    """A server that puts the key it was sent in a field, a header and its reason phrase."""
    key = request.headers["Authorization"].removeprefix("Bearer ")
    body = {
        "apiCalls": {"today": key, "thisMonth": 1, "total": 2, "dailyBreakdown": []},
        key: key,
    }
    return httpx.Response(
        200,
        json=body,
        headers={"X-Request-Id": f"req-{key}"},
        extensions={"reason_phrase": key.encode()},
    )


def assert_no_key(error: BaseException, caplog: pytest.LogCaptureFixture) -> None:
    texts = [str(error), repr(error), repr(getattr(error, "body", None))]
    texts += [str(getattr(error, name, "")) for name in ("message", "request_id", "path")]
    texts += [record.getMessage() for record in caplog.records]
    for text in texts:
        assert KEY not in text
        assert KEY[:20] not in text  # not even the start of it, cut to an excerpt


def test_a_200_echoing_the_key_in_its_fields_and_headers(
    twin: Twin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="meetbot_sdk")
    error = failure(twin, get_analytics, **serve(echo_everywhere, twin))
    assert isinstance(error, mb.APIResponseValidationError)
    assert str(error) == (
        "response does not fit Analytics: apiCalls.today: expected an integer, got "
        "'[redacted]' (and 4 more problems)"
    )
    assert "[redacted]" in error.body  # type: ignore[operator]
    assert error.request_id == "req-[redacted]"
    assert_no_key(error, caplog)


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
    assert str(error) == "Connection error: peer said [redacted]"
    assert str(error.__cause__) == "peer said [redacted]"  # a traceback prints it too


# --- 4. the key is checked at construction --------------------------------------------------


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


# --- 7. clear errors for misuse ------------------------------------------------------------


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
