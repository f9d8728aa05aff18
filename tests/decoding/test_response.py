"""From a 2xx response to a model, through the clients: JSON nested too deep is refused unread, a
shallow mistake is named by its field, and a key the server echoes never shows."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

import meetbot_sdk as mb
from tests.support import Twin
from tests.support.handlers import answer, assert_no_key, failure, get_analytics, serve

# --- JSON nested too deep ------------------------------------------------------------------------


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


# --- the key never leaks, whatever the server echoes ---------------------------------------------


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
