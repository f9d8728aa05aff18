"""The fake server's endpoints: shapes, consistency with its logs, filters, paging, 422s."""

from __future__ import annotations

import ipaddress
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from meetbot_sdk.testing import FakeMeetBot
from tests.testing.raw_http import (
    DOCUMENTATION_NETWORKS,
    LOG_FIELDS,
    NOW,
    instant,
    walk,
)

# GET /users/me/analytics


def test_analytics_has_the_published_shape(client: httpx.Client) -> None:
    body = client.get("/users/me/analytics").json()

    assert set(body) == {"apiCalls", "bots", "recordings", "transcriptions", "webhooks"}
    assert set(body["apiCalls"]) == {"today", "thisMonth", "total", "dailyBreakdown"}
    assert set(body["bots"]) == {
        "created",
        "active",
        "platformBreakdown",
        "statusBreakdown",
        "dailyCreated",
    }
    assert set(body["recordings"]) == {"total", "totalDurationSeconds", "storageUsedMb"}
    assert set(body["transcriptions"]) == {"total", "totalMinutes"}
    assert set(body["webhooks"]) == {"totalDeliveries", "successRate", "avgResponseTimeMs"}
    for section, field in [
        ("recordings", "storageUsedMb"),
        ("transcriptions", "totalMinutes"),
        ("webhooks", "successRate"),
        ("webhooks", "avgResponseTimeMs"),
    ]:
        assert isinstance(body[section][field], float)
    assert 0 < body["webhooks"]["successRate"] <= 100


@pytest.mark.parametrize(("period", "days"), [(None, 30), ("7d", 7), ("30d", 30), ("90d", 90)])
def test_daily_series_cover_the_period_ending_today(
    client: httpx.Client, period: str | None, days: int
) -> None:
    params = {} if period is None else {"period": period}
    body = client.get("/users/me/analytics", params=params).json()

    expected = [(date(2026, 1, 15) - timedelta(days=n)).isoformat() for n in range(days)][::-1]
    assert [day["date"] for day in body["apiCalls"]["dailyBreakdown"]] == expected
    assert [day["date"] for day in body["bots"]["dailyCreated"]] == expected
    assert body["bots"]["created"] == sum(day["count"] for day in body["bots"]["dailyCreated"])


def test_api_call_counts_agree_with_the_logs(fake: FakeMeetBot, client: httpx.Client) -> None:
    body = client.get("/users/me/analytics", params={"period": "90d"}).json()["apiCalls"]
    per_day = Counter(instant(log["createdAt"]).date().isoformat() for log in fake.logs)

    assert body["total"] == len(fake.logs) == 600
    assert sum(day["count"] for day in body["dailyBreakdown"]) == body["total"]
    assert {day["date"]: day["count"] for day in body["dailyBreakdown"] if day["count"]} == per_day
    assert body["today"] == per_day["2026-01-15"] > 0
    assert body["thisMonth"] == sum(n for day, n in per_day.items() if day.startswith("2026-01"))
    assert body["today"] < body["thisMonth"] < body["total"]


def test_bot_statistics_are_consistent(client: httpx.Client) -> None:
    body = client.get("/users/me/analytics").json()
    bots = body["bots"]

    assert sum(bots["platformBreakdown"].values()) == sum(bots["statusBreakdown"].values())
    assert 140 <= sum(bots["statusBreakdown"].values()) <= 160
    assert set(bots["platformBreakdown"]) == {"google", "zoom", "teams", "webex"}
    statuses = bots["statusBreakdown"]
    assert bots["active"] == statuses.get("IN_CALL", 0) + statuses.get("JOINING", 0) > 0
    assert body["recordings"]["total"] == statuses["DONE"]
    assert 0 < body["transcriptions"]["total"] < body["recordings"]["total"]


@pytest.mark.parametrize("period", ["1d", "30", "", "7D"])
def test_an_unknown_period_is_422(client: httpx.Client, period: str) -> None:
    response = client.get("/users/me/analytics", params={"period": period})

    assert response.status_code == 422
    assert response.json() == {"detail": "period must be one of 7d, 30d, 90d"}


# GET /users/me/api-logs


def test_a_log_page_has_the_published_shape(client: httpx.Client) -> None:
    body = client.get("/users/me/api-logs").json()

    assert set(body) == {"logs", "total", "page", "page_size"}
    assert (body["total"], body["page"], body["page_size"], len(body["logs"])) == (600, 1, 20, 20)
    assert all(set(log) == LOG_FIELDS for log in body["logs"])


def test_logs_are_newest_first_with_unique_ids(fake: FakeMeetBot, client: httpx.Client) -> None:
    logs = walk(client, page_size=100)
    order = [(instant(log["createdAt"]), log["id"]) for log in logs]

    assert logs == list(fake.logs)
    assert order == sorted(order, reverse=True)
    assert len({log["id"] for log in logs}) == len(logs)
    assert logs[0]["id"] == max(log["id"] for log in logs)
    assert instant(logs[0]["createdAt"]) <= NOW
    assert instant(logs[-1]["createdAt"]).date() >= date(2026, 1, 15) - timedelta(days=89)


def test_logs_look_like_production_traffic() -> None:
    logs = list(FakeMeetBot(seed=11, log_count=2_000, now=NOW).logs)
    methods = Counter(log["method"] for log in logs)
    keyless = [log for log in logs if log["apiKeyId"] is None]

    assert set(methods) == {"GET", "POST", "PATCH", "DELETE"}
    assert methods["GET"] > len(logs) / 2
    assert 0.05 < len(keyless) / len(logs) < 0.15
    assert all(log["apiKeyName"] is None for log in keyless)
    names = dict(FakeMeetBot().api_keys)
    assert all(names[log["apiKeyId"]] == log["apiKeyName"] for log in logs if log["apiKeyId"])
    statuses = Counter(log["statusCode"] for log in logs)
    assert statuses[200] + statuses[201] + statuses[204] > 0.8 * len(logs)
    assert {400, 404, 422, 429, 500} <= set(statuses)
    assert all(isinstance(log["responseTimeMs"], int) for log in logs)
    assert 20 <= sorted(log["responseTimeMs"] for log in logs)[len(logs) // 2] <= 200
    addresses = [log["ipAddress"] for log in logs]
    assert None in addresses
    assert all(
        any(ipaddress.ip_address(a) in net for net in DOCUMENTATION_NETWORKS)
        for a in addresses
        if a is not None
    )
    assert None in {log["userAgent"] for log in logs}


def test_timestamps_come_in_every_spelling_the_spec_allows() -> None:
    stamps = [log["createdAt"] for log in FakeMeetBot(seed=5, log_count=2_000, now=NOW).logs]
    spellings = Counter(
        "offset"
        if s.endswith("+00:00")
        else f"fraction{len(s.split('.')[1]) - 1}"
        if "." in s
        else "Z"
        for s in stamps
    )

    assert set(spellings) == {"Z", "fraction6", "fraction3", "offset"}
    assert spellings["Z"] > len(stamps) / 2


@pytest.mark.parametrize(("page_size", "pages"), [(20, 30), (7, 86), (100, 6), (1, 600)])
def test_pages_are_offset_slices_of_the_newest_first_list(
    fake: FakeMeetBot, client: httpx.Client, page_size: int, pages: int
) -> None:
    logs = list(fake.logs)
    last = client.get("/users/me/api-logs", params={"page": pages, "page_size": page_size})
    past = client.get("/users/me/api-logs", params={"page": pages + 1, "page_size": page_size})
    middle = client.get("/users/me/api-logs", params={"page": 3, "page_size": page_size})

    assert last.json()["logs"] == logs[(pages - 1) * page_size :]
    assert len(last.json()["logs"]) == (600 % page_size or page_size)
    assert middle.json()["logs"] == logs[2 * page_size : 3 * page_size]
    assert past.json() == {"logs": [], "total": 600, "page": pages + 1, "page_size": page_size}


@pytest.mark.parametrize(
    ("params", "keep"),
    [
        ({"method": "post"}, lambda log: log["method"] == "POST"),
        ({"method": "Delete"}, lambda log: log["method"] == "DELETE"),
        ({"status_code": 404}, lambda log: log["statusCode"] == 404),
        ({"path": "/recording"}, lambda log: "/recording" in log["path"]),
        ({"api_key_id": 2}, lambda log: log["apiKeyId"] == 2),
        ({"api_key_id": 99}, lambda log: False),
        (
            {"start_date": "2026-01-10"},
            lambda log: instant(log["createdAt"]) >= datetime(2026, 1, 10, tzinfo=timezone.utc),
        ),
        (
            {"end_date": "2026-01-10"},
            lambda log: instant(log["createdAt"]) < datetime(2026, 1, 11, tzinfo=timezone.utc),
        ),
        (
            {"start_date": "2026-01-01T06:00:00Z", "end_date": "2026-01-02T18:30:00+00:00"},
            lambda log: (
                datetime(2026, 1, 1, 6, tzinfo=timezone.utc)
                <= instant(log["createdAt"])
                <= datetime(2026, 1, 2, 18, 30, tzinfo=timezone.utc)
            ),
        ),
        (
            {"method": "GET", "api_key_id": 1, "path": "bots", "start_date": "2025-12-01"},
            lambda log: (
                log["method"] == "GET"
                and log["apiKeyId"] == 1
                and "bots" in log["path"]
                and log["createdAt"] >= "2025-12-01"
            ),
        ),
    ],
    ids=lambda value: str(value) if isinstance(value, dict) else None,
)
def test_filters_select_the_matching_logs(
    fake: FakeMeetBot, client: httpx.Client, params: dict[str, Any], keep: Any
) -> None:
    expected = [log for log in fake.logs if keep(log)]

    assert walk(client, page_size=50, **params) == expected
    if params != {"api_key_id": 99}:
        assert 0 < len(expected) < len(fake.logs)


def test_datetime_bounds_are_inclusive(fake: FakeMeetBot, client: httpx.Client) -> None:
    target = fake.logs[123]
    params = {"start_date": target["createdAt"], "end_date": target["createdAt"]}

    assert target in walk(client, **params)


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("page", "0"),
        ("page", "-1"),
        ("page", "two"),
        ("page", ""),
        ("page_size", "0"),
        ("page_size", "101"),
        ("page_size", "1.5"),
        ("status_code", "ok"),
        ("api_key_id", "first"),
        ("start_date", "yesterday"),
        ("start_date", "2026-02-30"),
        ("end_date", "15/01/2026"),
    ],
)
def test_invalid_query_values_are_422(client: httpx.Client, param: str, value: str) -> None:
    response = client.get("/users/me/api-logs", params={param: value})

    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"{param} must be ")


# GET /api-keys/{key_id}/usage


@pytest.mark.parametrize("key_id", [1, 2, 3, 4])
def test_key_usage_agrees_with_the_logs(
    fake: FakeMeetBot, client: httpx.Client, key_id: int
) -> None:
    body = client.get(f"/api-keys/{key_id}/usage").json()
    own = [log for log in fake.logs if log["apiKeyId"] == key_id]

    assert set(body) == {"requestsToday", "requestsThisMonth", "requestsTotal", "recentRequests"}
    assert body["requestsTotal"] == len(own) > 0
    assert body["requestsToday"] == sum(
        instant(log["createdAt"]).date() == NOW.date() for log in own
    )
    assert body["requestsThisMonth"] == sum(
        instant(log["createdAt"]).date() >= date(2026, 1, 1) for log in own
    )
    assert body["recentRequests"] == [
        {k: log[k] for k in ("method", "path", "statusCode", "createdAt")} for log in own[:10]
    ]


@pytest.mark.parametrize("key_id", ["5", "0", "-1", "abc", "1.0"])
def test_usage_of_an_unknown_key_is_404(client: httpx.Client, key_id: str) -> None:
    response = client.get(f"/api-keys/{key_id}/usage")

    assert response.status_code == 404
    assert response.json() == {"detail": f"API key {key_id} not found"}
