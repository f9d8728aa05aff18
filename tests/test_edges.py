"""Edges no other test pinned down (issue 16): the converter's strictness and messages, error
summaries at their bounds, odd page sizes. Each test here failed for a change in the code that
the rest of the suite let through; the rate-limit ones are in test_edges_rates.py."""

from __future__ import annotations

import datetime
import json
from typing import Any

import attrs
import httpx
import pytest

import meetbot_sdk as mb
from meetbot_sdk import ApiLog, ApiLogPage, TranscriptionStats, WebhookStats
from meetbot_sdk._decoding._converter import DecodeError, structure
from meetbot_sdk._exceptions import connection_error, status_error
from meetbot_sdk._retry import server_wait
from meetbot_sdk._walk._pagination import Walk, log_key
from tests.support.models import LOG
from tests.support.walking import Server, drain, log

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


@pytest.mark.parametrize(
    ("cls", "data", "message"),
    [
        (ApiLog, {**LOG, "id": {"n": 1}}, "id: expected an integer, got an object"),
        (ApiLog, {**LOG, "id": [1]}, "id: expected an integer, got a list"),
        (
            mb.DailyCount,
            {"date": list("2024-01-15"), "count": 1},  # ten items, not ten characters
            "date: expected a date as YYYY-MM-DD, got a list",
        ),
        (
            mb.BotStats,
            {
                "created": 1,
                "active": 0,
                "platformBreakdown": [],
                "statusBreakdown": {},
                "dailyCreated": [],
            },
            "platformBreakdown: expected an object, got a list",
        ),
    ],
)
def test_a_value_of_the_wrong_shape_is_named_by_its_shape(
    cls: Any, data: dict[str, Any], message: str
) -> None:
    with pytest.raises(DecodeError) as info:
        cls.from_dict(data)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("lists", "message"),
    [
        (62, "statusBreakdown['x']: expected an integer, got a list"),  # 64 levels in all
        (63, "nested deeper than 64 levels"),  # 65: refused as a whole, unread
    ],
)
def test_data_nested_past_64_levels_is_refused_as_a_whole(lists: int, message: str) -> None:
    value: Any = 1
    for _ in range(lists):
        value = [value]
    data = {"created": 1, "active": 0, "platformBreakdown": {}, "dailyCreated": []}
    with pytest.raises(DecodeError) as info:
        mb.BotStats.from_dict({**data, "statusBreakdown": {"x": value}})
    assert str(info.value) == message


@attrs.frozen
class _Shouted:  # a user's own attrs classes, with a converter and validators
    word: str = attrs.field(converter=str.upper)


@attrs.frozen
class _Checked:
    count: int = attrs.field(validator=attrs.validators.gt(0))
    label: Any = attrs.field(default="", validator=attrs.validators.instance_of(str))


def test_a_users_attrs_class_decodes_through_its_converters_and_validators() -> None:
    assert structure({"word": "hi"}, _Shouted).word == "HI"
    assert structure({"count": 2, "label": "a"}, _Checked) == _Checked(2, "a")
    with pytest.raises(DecodeError) as info:
        structure({"count": 0, "label": "a"}, _Checked)
    assert str(info.value) == "invalid value (ValueError: 'count' must be > 0: 0)"
    with pytest.raises(DecodeError) as info:
        structure({"count": 1, "label": 5}, _Checked)
    # attrs' own words follow (they vary with its version)
    assert str(info.value).startswith(
        """invalid value (TypeError: ("'label' must be <class 'str'>"""
    )


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


def test_a_server_paging_by_one_log_is_followed() -> None:
    server = Server(3)
    walk = Walk(10, 1, None)
    ids: list[int] = []
    while not walk.finished:
        walk.take(server.page(walk.fetch_page, 1), fetched_ahead=False)
        ids += drain(walk)
    assert ids == [3, 2, 1]


def test_max_items_ending_with_a_page_leaves_nothing_of_it_behind() -> None:
    walk = Walk(10, 1, 10)
    walk.take(Server(30).page(1, 10), fetched_ahead=False)
    assert walk.finished
    assert not walk.exhausted  # there are more logs, max_items stopped the walk
    assert drain(walk) == list(range(30, 20, -1))
    assert walk.next_page == 2  # nothing of page 1 left to take again


@pytest.mark.parametrize(("max_items", "exhausted"), [(None, True), (5, True), (3, False)])
def test_the_walk_is_exhausted_only_if_no_log_was_left_behind(
    max_items: int | None, exhausted: bool
) -> None:
    walk = Walk(10, 1, max_items)
    walk.take(Server(5).page(1, 10), fetched_ahead=False)  # the last page
    assert walk.finished
    assert walk.exhausted is exhausted


def test_a_page_fetched_ahead_with_an_unchanged_total_is_taken() -> None:
    server = Server(30)
    walk = Walk(10, 1, None)
    assert walk.take(server.page(1, 10), fetched_ahead=False)
    drain(walk)
    assert walk.take(server.page(2, 10), fetched_ahead=True)
    assert drain(walk) == list(range(20, 10, -1))


def test_done_only_once_the_last_page_is_handed_out() -> None:
    server = Server(20)
    walk = Walk(10, 1, None)
    assert not walk.done
    walk.take(server.page(1, 10), fetched_ahead=False)
    drain(walk)
    assert not walk.done  # page 2 is still to come
    walk.take(server.page(2, 10), fetched_ahead=False)
    assert not walk.done  # its logs are still buffered
    drain(walk)
    assert walk.done


def test_the_oldest_log_handed_out_is_tracked_across_pages() -> None:
    server = Server(30)
    walk = Walk(10, 1, None)
    assert walk.oldest_handed_out is None
    page = server.page(1, 10)
    walk.take(page, fetched_ahead=False)
    assert walk.oldest_handed_out is None  # taken, not handed out yet
    walk.pop()
    walk.pop()
    assert walk.oldest_handed_out == log_key(page.logs[1])
    drain(walk)
    walk.take(server.page(2, 10), fetched_ahead=False)
    assert walk.oldest_handed_out == log_key(page.logs[-1])
    assert walk.top == log_key(page.logs[0])  # the newest, from the first page


@pytest.mark.parametrize(
    ("floor", "expected", "pages"),
    [(11, list(range(30, 11, -1)), 2), (15, list(range(30, 15, -1)), 2), (30, [], 1)],
    ids=["last-of-a-page", "inside-a-page", "the-newest"],
)
def test_a_walk_stops_above_its_floor(floor: int, expected: list[int], pages: int) -> None:
    server = Server(30)
    walk = Walk(10, 1, None, floor=log_key(log(floor)))
    ids: list[int] = []
    fetched = 0
    while not walk.finished:
        walk.take(server.page(walk.fetch_page, 10), fetched_ahead=False)
        fetched += 1
        ids += drain(walk)
    assert ids == expected
    assert fetched == pages
    assert walk.exhausted


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
