"""Models: the wire round trip for every model, strictness, tolerance of the unknown."""

from __future__ import annotations

import datetime
import json
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetbot_sdk import Analytics, ApiKeyUsage, ApiLog, ApiLogPage, BotStats, DailyCount
from tests.support.models import ANALYTICS, LOG, MODELS, assert_like_constructed, strategy

UTC = datetime.timezone.utc


def test_every_public_model_is_covered() -> None:
    assert {cls.__name__ for cls in MODELS} == {
        "Analytics",
        "ApiCallStats",
        "ApiKeyUsage",
        "ApiLog",
        "ApiLogPage",
        "BotStats",
        "DailyCount",
        "RecentRequest",
        "RecordingStats",
        "TranscriptionStats",
        "WebhookStats",
    }


@pytest.mark.parametrize("cls", MODELS, ids=lambda cls: cls.__name__)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_frozen_and_round_trip_through_json(cls: type, data: st.DataObject) -> None:
    model = data.draw(strategy(cls))
    wire = model.to_dict()
    assert cls.from_dict(wire) == model
    assert cls.from_dict(json.loads(json.dumps(wire))) == model
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(model, attrs.fields(cls)[0].name, None)


@pytest.mark.parametrize("cls", MODELS, ids=lambda cls: cls.__name__)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_a_decoded_model_is_like_a_constructed_one(cls: type, data: st.DataObject) -> None:
    model = data.draw(strategy(cls))
    assert_like_constructed(cls.from_dict(json.loads(json.dumps(model.to_dict()))), model)


def test_documented_analytics_example_decodes_to_snake_case_attributes() -> None:
    analytics = Analytics.from_dict(ANALYTICS)
    assert analytics.api_calls.this_month == 1250
    assert analytics.api_calls.daily_breakdown == [DailyCount(datetime.date(2024, 1, 14), 38)]
    assert analytics.bots.platform_breakdown == {"google": 15, "zoom": 8, "teams": 2}
    assert analytics.recordings.storage_used_mb == 1500.5
    assert analytics.webhooks.avg_response_time_ms == 125.3
    assert analytics.to_dict() == ANALYTICS


def test_page_size_keeps_its_snake_case_wire_name() -> None:
    page = ApiLogPage.from_dict({"logs": [LOG], "total": 500, "page": 1, "page_size": 20})
    assert page.page_size == 20
    assert set(page.to_dict()) == {"logs", "total", "page", "page_size"}


def test_unknown_fields_are_ignored_and_unknown_values_kept() -> None:
    data = json.loads(json.dumps(ANALYTICS))
    data["bots"]["platformBreakdown"]["webex"] = 4
    data["bots"]["statusBreakdown"]["WAITING_ROOM"] = 1
    data["bots"]["newCounter"] = 7
    data["brandNewSection"] = {"x": 1}
    bots = Analytics.from_dict(data).bots
    assert bots.platform_breakdown["webex"] == 4
    assert bots.status_breakdown["WAITING_ROOM"] == 1
    assert not hasattr(bots, "new_counter")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-15T10:30:00Z", datetime.datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        ("2024-01-15T10:30:00+00:00", datetime.datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        ("2024-01-15T10:30:00.5Z", datetime.datetime(2024, 1, 15, 10, 30, 0, 500000, UTC)),
        ("2024-01-15T10:30:00.123Z", datetime.datetime(2024, 1, 15, 10, 30, 0, 123000, UTC)),
        ("2024-01-15T10:30:00.123456789Z", datetime.datetime(2024, 1, 15, 10, 30, 0, 123456, UTC)),
        ("2024-01-15T12:30:00+02:00", datetime.datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        ("2024-01-15T10:30:00", datetime.datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
    ],
)
def test_timestamps_in_every_form_become_aware_utc(text: str, expected: datetime.datetime) -> None:
    log = ApiLog.from_dict({**LOG, "createdAt": text})
    assert log.created_at == expected
    assert log.created_at.tzinfo is UTC


@attrs.frozen(repr=False)
class _OwnDay(DailyCount):  # a user's own subclass, with the same fields
    pass


def test_models_are_equal_and_hash_alike_by_class_and_every_field() -> None:
    day = DailyCount(datetime.date(2024, 1, 15), 3)
    assert day == DailyCount(datetime.date(2024, 1, 15), 3)
    assert hash(day) == hash(DailyCount(datetime.date(2024, 1, 15), 3))
    assert day != DailyCount(datetime.date(2024, 1, 15), 4)
    assert day != DailyCount(datetime.date(2024, 1, 16), 3)
    assert day != _OwnDay(datetime.date(2024, 1, 15), 3)
    assert day != (datetime.date(2024, 1, 15), 3)
    assert len({day, DailyCount(datetime.date(2024, 1, 15), 3), _OwnDay(day.date, 3)}) == 2
    usage = ApiKeyUsage(1, 2, 3, [])
    assert usage == ApiKeyUsage(1, 2, 3, [])
    with pytest.raises(TypeError, match="unhashable"):
        hash(usage)  # it holds a list


def test_nullable_fields_accept_null() -> None:
    nulls = {"apiKeyId": None, "apiKeyName": None, "ipAddress": None, "userAgent": None}
    log = ApiLog.from_dict({**LOG, **nulls})
    assert (log.api_key_id, log.api_key_name, log.ip_address, log.user_agent) == (None,) * 4


def test_empty_lists_and_zero_counts_are_fine() -> None:
    usage = ApiKeyUsage.from_dict(
        {"requestsToday": 0, "requestsThisMonth": 0, "requestsTotal": 0, "recentRequests": []}
    )
    assert usage.recent_requests == []
    assert usage.requests_total == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": "100"}, "id: expected an integer, got '100'"),
        ({"id": True}, "id: expected an integer, got True"),
        ({"statusCode": 201.0}, "statusCode: expected an integer, got 201.0"),
        ({"method": 5}, "method: expected a string, got 5"),
        ({"createdAt": 42}, "createdAt: expected an ISO 8601 timestamp, got 42"),
        ({"createdAt": "yesterday"}, "createdAt: expected an ISO 8601 timestamp, got 'yesterday'"),
        ({"apiKeyId": "1"}, "apiKeyId: expected an integer, got '1'"),
    ],
)
def test_wrong_types_are_refused_not_coerced(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(")) as info:
        ApiLog.from_dict({**LOG, **change})
    assert str(info.value) == message


def test_missing_field_is_named_with_its_wire_path() -> None:
    logs = [LOG, {k: v for k, v in LOG.items() if k != "statusCode"}]
    with pytest.raises(ValueError, match=r"^logs\[1\]\.statusCode: required field missing$"):
        ApiLogPage.from_dict({"logs": logs, "total": 2, "page": 1, "page_size": 20})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"logs": {}, "total": 0, "page": 1, "page_size": 20}, "logs: expected a list"),
        ({"logs": "", "total": 0, "page": 1, "page_size": 20}, "logs: expected a list"),
        ({"logs": [7], "total": 0, "page": 1, "page_size": 20}, r"logs\[0\]: expected an object"),
        ([], "expected an object, got a list"),
    ],
)
def test_wrong_container_kinds_are_refused(data: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ApiLogPage.from_dict(data)


def test_breakdown_values_must_be_integers_and_the_key_is_named() -> None:
    data = json.loads(json.dumps(ANALYTICS["bots"]))
    data["platformBreakdown"]["zoom"] = "8"
    with pytest.raises(ValueError, match=r"^platformBreakdown\['zoom'\]: expected an integer"):
        BotStats.from_dict(data)


def test_several_problems_are_counted() -> None:
    with pytest.raises(ValueError, match=r"\(and 2 more problems\)$"):
        ApiLog.from_dict({**LOG, "id": "x", "method": 1, "path": 2})


def test_daily_dates_must_be_calendar_dates() -> None:
    with pytest.raises(ValueError, match="date: expected a date as YYYY-MM-DD"):
        DailyCount.from_dict({"date": "2024-01-15T00:00:00Z", "count": 1})


def test_to_dict_renders_utc_timestamps_with_z() -> None:
    assert ApiLog.from_dict({**LOG, "createdAt": "2024-01-15T12:30:00+02:00"}).to_dict()[
        "createdAt"
    ] == ("2024-01-15T10:30:00Z")


# --- to_dict / to_json: wire names by default, attribute names for web frameworks ------------


def _python_shape(value: Any) -> Any:
    """What ``to_dict(use_api_names=False)`` must give: attrs' own dict, dates as ISO text."""
    if attrs.has(type(value)):
        return {
            field.name: _python_shape(getattr(value, field.name))
            for field in attrs.fields(type(value))
        }
    if isinstance(value, list):
        return [_python_shape(item) for item in value]
    if isinstance(value, dict):
        return {key: _python_shape(item) for key, item in value.items()}
    if isinstance(value, datetime.datetime):  # as on the wire: Z for UTC, else the offset
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


@pytest.mark.parametrize("cls", MODELS, ids=lambda cls: cls.__name__)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_to_dict_with_python_names_uses_the_attribute_names(cls: type, data: st.DataObject) -> None:
    model = data.draw(strategy(cls))
    python = model.to_dict(use_api_names=False)
    assert python == _python_shape(model)
    assert json.loads(json.dumps(python)) == python  # JSON-ready, as a framework needs
    assert json.loads(model.to_json(use_api_names=False)) == python
    assert json.loads(model.to_json()) == model.to_dict()
    assert cls.from_dict(json.loads(model.to_json())) == model


def test_python_names_keep_the_keys_of_breakdowns_and_nest() -> None:
    analytics = Analytics.from_dict(ANALYTICS)
    python = analytics.to_dict(use_api_names=False)
    assert python["api_calls"]["this_month"] == 1250
    assert python["api_calls"]["daily_breakdown"][0] == {"date": "2024-01-14", "count": 38}
    assert python["bots"]["platform_breakdown"] == {"google": 15, "zoom": 8, "teams": 2}
    assert python["webhooks"]["avg_response_time_ms"] == 125.3
    assert analytics.to_dict(use_api_names=True) == ANALYTICS == analytics.to_dict()
    log = ApiLog.from_dict(LOG)
    assert '"created_at":"' in log.to_json(use_api_names=False)
    assert '"createdAt":"' in log.to_json()


def test_to_json_is_compact_and_keeps_characters_as_they_are() -> None:
    log = ApiLog.from_dict({**LOG, "path": "/café/☕", "userAgent": "Bot ü"})
    for use_api_names in (True, False):
        text = log.to_json(use_api_names=use_api_names)
        assert '"path":"/café/☕"' in text
        assert "\\u" not in text


@pytest.mark.parametrize("value", [None, 0, "false"])
def test_use_api_names_must_be_a_bool(value: Any) -> None:
    with pytest.raises(TypeError, match="use_api_names must be True or False"):
        Analytics.from_dict(ANALYTICS).to_dict(use_api_names=value)
