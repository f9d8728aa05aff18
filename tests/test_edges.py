"""Edges a user meets that no other test pins down (issue 16): each test here failed for a
change in the code that the rest of the suite let through."""

from __future__ import annotations

import asyncio
import datetime
import json
import math
from typing import Any

import httpx
import pytest

import meetbot_sdk as mb
from meetbot_sdk import ApiLog, ApiLogPage, TranscriptionStats, WebhookStats
from meetbot_sdk._converter import DecodeError
from meetbot_sdk._exceptions import connection_error, status_error
from meetbot_sdk._pagination import Walk
from meetbot_sdk._retry import Budget, server_wait
from meetbot_sdk._throttle import Admit, Refuse, Throttle, Wait, Window
from meetbot_sdk._window import lease_seconds
from tests.test_models import LOG
from tests.test_pagination import Server, drain

SECRET = "mb_live_supersecret"
UTC = datetime.timezone.utc
CAP = 60.0
REQUEST = httpx.Request("GET", "https://api.meetbot.dev/v1/users/me/analytics")


def response(status: int, content: bytes | None = None, **kwargs: Any) -> httpx.Response:
    if content is not None:
        kwargs["content"] = content
    return httpx.Response(status, request=REQUEST, **kwargs)


# --- the converter: floats are strict, messages are exact ----------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"), [("1.5", "'1.5'"), (True, "True"), (None, "None"), ([], "a list")]
)
def test_float_fields_refuse_strings_booleans_and_null(value: object, shown: str) -> None:
    with pytest.raises(ValueError, match=r"^totalMinutes: expected a number, got ") as info:
        TranscriptionStats.from_dict({"total": 1, "totalMinutes": value})
    assert str(info.value) == f"totalMinutes: expected a number, got {shown}"


def test_float_fields_take_integers_as_floats() -> None:
    stats = WebhookStats.from_dict(
        {"totalDeliveries": 3, "successRate": 1, "avgResponseTimeMs": 12.5}
    )
    assert stats.success_rate == 1.0
    assert type(stats.success_rate) is float


def test_one_more_problem_is_singular() -> None:
    with pytest.raises(DecodeError) as info:
        ApiLog.from_dict({**LOG, "id": "x", "method": 1})
    assert str(info.value) == "id: expected an integer, got 'x' (and 1 more problem)"


def test_a_single_problem_adds_no_count() -> None:
    with pytest.raises(DecodeError) as info:
        ApiLog.from_dict({**LOG, "method": 1})
    assert str(info.value) == "method: expected a string, got 1"


@pytest.mark.parametrize(
    ("length", "shown"),
    [(38, "'" + "a" * 38 + "'"), (39, "'" + "a" * 36 + "...")],
)
def test_offending_values_are_shown_up_to_40_characters(length: int, shown: str) -> None:
    # repr adds two quotes: 38 letters show whole (40 characters), 39 are cut to 37 + "...".
    with pytest.raises(DecodeError) as info:
        ApiLog.from_dict({**LOG, "id": "a" * length})
    assert str(info.value) == f"id: expected an integer, got {shown}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-15T10:30:00z", datetime.datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        ("2024-01-15T10:30:00.5z", datetime.datetime(2024, 1, 15, 10, 30, 0, 500000, UTC)),
        ("2024-01-15", datetime.datetime(2024, 1, 15, tzinfo=UTC)),
        ("2024-01-15Z", datetime.datetime(2024, 1, 15, tzinfo=UTC)),
    ],
)
def test_lowercase_z_and_date_only_timestamps_are_read(
    text: str, expected: datetime.datetime
) -> None:
    log = ApiLog.from_dict({**LOG, "createdAt": text})
    assert log.created_at == expected
    assert log.created_at.tzinfo is UTC


@pytest.mark.parametrize("text", ["2024-01-1", "2024-13-01T00:00:00Z", "2024-01-15T25:00Z"])
def test_timestamps_that_are_no_instant_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="createdAt: expected an ISO 8601 timestamp"):
        ApiLog.from_dict({**LOG, "createdAt": text})


# --- connection errors say what happened ---------------------------------------------------------


def test_connection_errors_word_what_failed() -> None:
    refused = connection_error(
        httpx.ConnectError("[Errno 111] refused"), request=REQUEST, secret=""
    )
    assert str(refused) == "Connection error: [Errno 111] refused"
    silent = connection_error(httpx.RemoteProtocolError(""), request=REQUEST, secret="")
    assert str(silent) == "Connection error: RemoteProtocolError"
    timeout = connection_error(httpx.ReadTimeout("timed out"), request=REQUEST, secret="")
    assert type(timeout) is mb.APITimeoutError
    assert str(timeout) == "Request timed out (ReadTimeout)"
    assert timeout.request is REQUEST


def test_connection_errors_built_by_hand_have_a_message() -> None:
    assert str(mb.APIConnectionError(request=REQUEST)) == "Connection error."
    assert str(mb.APITimeoutError(request=REQUEST)) == "Request timed out."


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


# --- throttle edges ------------------------------------------------------------------------------


def test_a_budget_without_reset_then_one_with_it_waits_for_that_reset() -> None:
    window = Window()
    probe = window.decide(0.0, CAP)
    assert isinstance(probe, Admit)
    window.release(probe)
    window.observe(0.0, httpx.Response(200), Budget(limit=2, remaining=1, reset_after=None), None)
    sent = window.decide(0.0, CAP)
    assert isinstance(sent, Admit)
    window.release(sent)
    window.observe(1.0, httpx.Response(200), Budget(limit=2, remaining=0, reset_after=5.0), None)
    held = window.decide(1.0, CAP)
    assert isinstance(held, Wait)
    assert held.seconds == pytest.approx(5.0)
    assert isinstance(window.decide(6.0, CAP), Admit)  # the reset came: full again


def test_a_retry_after_of_exactly_the_cap_is_waited_not_refused() -> None:
    window = Window()
    probe = window.decide(0.0, CAP)
    assert isinstance(probe, Admit)
    window.release(probe)
    window.observe(0.0, httpx.Response(429), None, CAP)
    held = window.decide(0.0, CAP)
    assert isinstance(held, Wait)
    assert held.seconds == CAP
    assert isinstance(window.decide(0.0, CAP - 0.001), Refuse)


@pytest.mark.parametrize("status", [500, 503])
def test_a_5xx_without_rate_headers_tells_no_limit(status: int) -> None:
    window = Window()
    probe = window.decide(0.0, CAP)
    assert isinstance(probe, Admit)
    window.release(probe)
    window.observe(0.0, httpx.Response(status), None, None)
    assert not window.known
    again = window.decide(0.0, CAP)
    assert isinstance(again, Admit)
    assert again.probe  # still asking what the budget is


def test_the_async_path_reports_its_waits() -> None:
    async def main() -> list[Wait]:
        throttle = Throttle()
        probe = await throttle.acquire_async(CAP, on_wait=lambda wait: None)
        assert isinstance(probe, Admit)
        waits: list[Wait] = []
        told = asyncio.Event()

        def on_wait(wait: Wait) -> None:
            waits.append(wait)
            told.set()

        held = asyncio.create_task(throttle.acquire_async(CAP, on_wait))
        await told.wait()
        throttle.release(probe, httpx.Response(200))
        assert await held == Admit()
        return waits

    waits = asyncio.run(main())
    assert len(waits) == 1
    assert math.isinf(waits[0].seconds)
    assert "first response" in waits[0].reason


# --- pagination: a server's odd page_size --------------------------------------------------------


def test_a_page_size_of_zero_from_the_server_is_ignored() -> None:
    server = Server(25)
    walk = Walk(10, 1, None)
    ids: list[int] = []
    while not walk.finished:
        page = server.page(walk.fetch_page, 10)
        walk.take(
            ApiLogPage(logs=page.logs, total=page.total, page=page.page, page_size=0),
            fetched_ahead=False,
        )
        assert walk.page_size == 10
        ids += drain(walk)
    assert ids == list(range(25, 0, -1))


def test_read_ahead_follows_a_server_paging_by_fewer_logs() -> None:
    server = Server(120)
    walk = Walk(100, 1, None)
    walk.take(server.page(1, 50), fetched_ahead=False)
    assert walk.page_size == 50
    assert list(walk.pages_to_request(4)) == [2, 3]


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


# --- the window at its bounds --------------------------------------------------------------------


def _known(window: Window, now: float, budget: Budget, status: int = 200) -> None:
    """Send one request at ``now`` and let its answer state ``budget``."""
    sent = window.decide(now, CAP)
    assert isinstance(sent, Admit), sent
    window.release(sent)
    window.observe(now, httpx.Response(status), budget, None)


def test_a_reset_a_second_later_is_a_new_window() -> None:
    window = Window()
    _known(window, 0.0, Budget(limit=5, remaining=1, reset_after=10.0))
    # A later answer: fewer left would always be believed; more left only for a later window.
    window.observe(0.0, httpx.Response(200), Budget(limit=5, remaining=4, reset_after=10.4), None)
    assert window.remaining == 1  # within half a second: the same window, answered late
    window.observe(0.0, httpx.Response(200), Budget(limit=5, remaining=4, reset_after=11.0), None)
    assert window.remaining == 4
    assert window.reset_at == 11.0


def test_a_504_with_retry_after_holds_back_only_its_own_retry() -> None:
    window = Window()
    _known(window, 0.0, Budget(limit=5, remaining=4, reset_after=10.0))
    window.observe(0.0, httpx.Response(504), None, 30.0)
    assert isinstance(window.decide(0.0, CAP), Admit)
    window.observe(0.0, httpx.Response(503), None, 30.0)
    held = window.decide(0.0, CAP)
    assert isinstance(held, Wait)
    assert held.seconds == 30.0


def test_a_spent_budget_resetting_exactly_at_the_cap_is_waited_for() -> None:
    window = Window()
    _known(window, 0.0, Budget(limit=5, remaining=0, reset_after=CAP))
    held = window.decide(0.0, CAP)
    assert isinstance(held, Wait)
    assert held.seconds == CAP
    assert held.reason == "rate-limit budget spent (limit 5); waiting for the reset"
    beyond = window.decide(0.0, CAP - 1)
    assert isinstance(beyond, Admit)
    assert beyond.probe


def test_a_new_window_of_unknown_size_is_probed_while_old_requests_are_out() -> None:
    window = Window()
    _known(window, 0.0, Budget(limit=None, remaining=3, reset_after=1.0))
    old = window.decide(0.5, CAP)
    assert isinstance(old, Admit)
    probe = window.decide(1.0, CAP)  # the reset passed: how big is the new window?
    assert isinstance(probe, Admit)
    assert probe.probe
    window.release(old)  # the old request failed: nothing learnt, the probe is still out
    held = window.decide(1.0, CAP)
    assert isinstance(held, Wait)
    assert held.reason == "waiting for the first response to tell the rate-limit budget"


def test_the_reasons_a_request_waits_are_worded() -> None:
    window = Window()
    window.decide(0.0, CAP)
    cold = window.decide(0.0, CAP)
    assert isinstance(cold, Wait)
    assert cold.reason == "waiting for the first response to tell the rate-limit budget"

    window = Window()
    _known(window, 0.0, Budget(limit=None, remaining=0, reset_after=100.0))
    window.decide(0.0, CAP)  # the probe that asks about the far reset, still out at the reset
    fresh = window.decide(101.0, CAP)
    assert isinstance(fresh, Wait)
    assert fresh.reason == "waiting for the first response of the new window"

    window = Window()
    _known(window, 0.0, Budget(limit=2, remaining=1, reset_after=None))
    window.decide(0.0, CAP)
    spent = window.decide(0.0, CAP)
    assert isinstance(spent, Wait)
    assert spent.reason == "rate-limit budget spent; waiting for a response to tell the reset"

    window = Window()
    _known(window, 0.0, Budget(limit=2, remaining=1, reset_after=600.0))
    window.decide(0.0, CAP)
    window.decide(0.0, CAP)  # the probe that asks the server about the far reset
    asking = window.decide(0.0, CAP)
    assert isinstance(asking, Wait)
    assert asking.reason == "rate-limit budget spent; a probe asks the server"


def test_released_requests_give_their_place_back() -> None:
    def never(wait: Wait) -> None:
        raise AssertionError(f"held: {wait.reason}")

    throttle = Throttle()
    headers = {"X-RateLimit-Limit": "1", "X-RateLimit-Remaining": "1"}
    for _ in range(3):  # one place, used one request after the other
        admit = throttle.acquire(CAP, never)
        assert isinstance(admit, Admit)
        throttle.release(admit, httpx.Response(200, headers=headers))


@pytest.mark.parametrize(("read", "expected"), [(5.0, 11.0), (None, 36.0), (7200.0, 3600.0)])
def test_a_lost_request_counts_against_a_shared_budget_for_at_most_an_hour(
    read: float | None, expected: float
) -> None:
    assert lease_seconds(httpx.Timeout(5.0, read=read)) == expected
