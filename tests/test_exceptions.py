"""From a non-2xx response to a typed exception with the server's message."""

from __future__ import annotations

import httpx
import pytest

import meetbot_sdk as mb
from meetbot_sdk._exceptions import status_error

SECRET = "mb_live_supersecret"


def response(status: int, **kwargs: object) -> httpx.Response:
    request = httpx.Request("GET", "https://api.meetbot.dev/v1/users/me/analytics")
    return httpx.Response(status, request=request, **kwargs)  # type: ignore[arg-type]


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
