"""Argument checks and query building, shared by both clients (pure, no I/O)."""

from __future__ import annotations

import datetime
import typing
from typing import Any

import pytest

from meetbot_sdk import _endpoints
from meetbot_sdk._endpoints import analytics_get, api_keys_get_usage, api_logs_get_page
from meetbot_sdk.types import Period

UTC = datetime.timezone.utc


def query(**filters: Any) -> dict[str, str]:
    return api_logs_get_page(1, 20, filters).params


@pytest.mark.parametrize("period", ["7d", "30d", "90d"])
def test_analytics_accepts_the_three_periods(period: str) -> None:
    call = analytics_get(period)
    assert (call.method, call.path, call.params) == (
        "GET",
        "/users/me/analytics",
        {"period": period},
    )


def test_the_period_type_names_exactly_the_periods_accepted() -> None:
    # what a type checker lets through for `period: Period` is what the call accepts
    assert typing.get_args(Period) == ("7d", "30d", "90d")


@pytest.mark.parametrize("period", ["1y", "30D", "", None, 30])
def test_analytics_refuses_other_periods_naming_the_allowed_ones(period: object) -> None:
    with pytest.raises(ValueError, match=r"^period must be one of '7d', '30d', '90d', got "):
        analytics_get(period)


def test_logs_page_query_has_page_and_page_size() -> None:
    call = api_logs_get_page(3, 50, {})
    assert (call.method, call.path, call.params) == (
        "GET",
        "/users/me/api-logs",
        {"page": "3", "page_size": "50"},
    )


def test_the_largest_page_size_and_status_code_are_accepted() -> None:
    assert api_logs_get_page(1, 100, {}).params["page_size"] == "100"
    assert query(status_code=599)["status_code"] == "599"
    assert query(status_code=100)["status_code"] == "100"


@pytest.mark.parametrize(
    ("page", "page_size", "error", "message"),
    [
        (0, 20, ValueError, "page must be >= 1, got 0"),
        (-1, 20, ValueError, "page must be >= 1, got -1"),
        (1, 0, ValueError, "page_size must be between 1 and 100, got 0"),
        (1, 101, ValueError, "page_size must be between 1 and 100, got 101"),
        ("1", 20, TypeError, "page must be an int, got str '1'"),
        (1, 20.0, TypeError, "page_size must be an int, got float 20.0"),
        (True, 20, TypeError, "page must be an int, got bool True"),
    ],
)
def test_paging_arguments_are_checked(
    page: object, page_size: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as info:
        api_logs_get_page(page, page_size, {})
    assert str(info.value) == message


def test_every_filter_reaches_the_query() -> None:
    params = query(
        method="post",
        status_code=201,
        path="/api/v1/bots",
        api_key_id=3,
        start_date=datetime.date(2024, 1, 1),
        end_date="2024-01-31",
    )
    assert params == {
        "page": "1",
        "page_size": "20",
        "method": "POST",
        "status_code": "201",
        "path": "/api/v1/bots",
        "api_key_id": "3",
        "start_date": "2024-01-01",
        "end_date": "2024-01-31",
    }


def test_none_filters_are_left_out() -> None:
    assert query(method=None, status_code=None, start_date=None) == {"page": "1", "page_size": "20"}


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        (datetime.date(2024, 1, 15), "2024-01-15"),
        (datetime.datetime(2024, 1, 15, 10, 30), "2024-01-15T10:30:00Z"),  # naive = UTC
        (datetime.datetime(2024, 1, 15, 10, 30, tzinfo=UTC), "2024-01-15T10:30:00Z"),
        (
            datetime.datetime(
                2024, 1, 15, 12, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
            ),
            "2024-01-15T10:30:00Z",
        ),
        (datetime.datetime(2024, 1, 15, 10, 30, 0, 250000, UTC), "2024-01-15T10:30:00.250000Z"),
        ("2024-01-15", "2024-01-15"),
        ("2024-01-15T10:30:00Z", "2024-01-15T10:30:00Z"),
        ("2024-01-15T05:30:00-05:00", "2024-01-15T10:30:00Z"),
        ("2024-01-15T10:30:00", "2024-01-15T10:30:00Z"),
    ],
)
def test_date_filters_are_sent_as_iso_in_utc(value: object, sent: str) -> None:
    assert query(start_date=value)["start_date"] == sent
    assert query(end_date=value)["end_date"] == sent


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01", "15/01/2024", ""])
def test_unparseable_date_strings_are_refused_with_examples(value: str) -> None:
    with pytest.raises(ValueError, match=r"start_date must be an ISO 8601 date \('2024-01-15'\)"):
        query(start_date=value)


def test_date_filters_of_other_types_are_refused() -> None:
    with pytest.raises(TypeError, match=r"end_date must be a datetime\.date, a datetime\.datetime"):
        query(end_date=1705312200)


def test_start_after_end_is_refused() -> None:
    with pytest.raises(ValueError, match=r"start_date \(2024-02-01\) must not be after end_date"):
        query(start_date="2024-02-01", end_date=datetime.date(2024, 1, 31))


def test_same_day_start_and_end_are_fine() -> None:
    assert query(start_date="2024-02-01", end_date="2024-02-01")["end_date"] == "2024-02-01"


@pytest.mark.parametrize(
    ("filters", "error", "message"),
    [
        ({"methd": "GET"}, TypeError, "unexpected filter 'methd'; the filters are method, "),
        ({"method": "G T"}, ValueError, "method must be an HTTP method name such as 'GET'"),
        ({"method": 1}, TypeError, "method must be a str"),
        ({"status_code": 99}, ValueError, "status_code must be between 100 and 599, got 99"),
        ({"status_code": "200"}, TypeError, "status_code must be an int, got str '200'"),
        ({"api_key_id": 0}, ValueError, "api_key_id must be >= 1, got 0"),
        ({"api_key_id": True}, TypeError, "api_key_id must be an int, got bool"),
        ({"path": b"/bots"}, TypeError, "path must be a str"),
    ],
)
def test_bad_filters_are_named(
    filters: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        query(**filters)


@pytest.mark.parametrize("key_id", ["1/../x", "1", True, 1.0, None])
def test_key_id_must_be_a_real_int(key_id: object) -> None:
    with pytest.raises(TypeError, match=r"^key_id must be an int, got"):
        api_keys_get_usage(key_id)


@pytest.mark.parametrize("key_id", [0, -5])
def test_key_id_must_be_positive(key_id: int) -> None:
    with pytest.raises(ValueError, match=f"^key_id must be >= 1, got {key_id}$"):
        api_keys_get_usage(key_id)


def test_key_usage_path() -> None:
    call = api_keys_get_usage(42)
    assert (call.method, call.path, call.params) == ("GET", "/api-keys/42/usage", {})


def test_page_size_cap_is_the_documented_one() -> None:
    assert _endpoints.MAX_PAGE_SIZE == 100
