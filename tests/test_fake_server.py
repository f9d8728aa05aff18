"""The fake MeetBot server, exercised over plain httpx as any client would see it."""

from __future__ import annotations

import http.client
import ipaddress
import socket
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import httpx
import pytest

import meetbot_sdk.testing
from meetbot_sdk.testing import TEST_API_KEY, FakeMeetBot, RecordedRequest

if TYPE_CHECKING:
    from collections.abc import Iterator

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)
LOG_FIELDS = {
    "id",
    "method",
    "path",
    "statusCode",
    "responseTimeMs",
    "apiKeyId",
    "apiKeyName",
    "ipAddress",
    "userAgent",
    "createdAt",
}
DOCUMENTATION_NETWORKS = (
    ipaddress.ip_network("203.0.113.0/24"),
    ipaddress.ip_network("198.51.100.0/24"),
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake() -> FakeMeetBot:
    return FakeMeetBot(seed=3, log_count=600)


@pytest.fixture
def client(fake: FakeMeetBot) -> Iterator[httpx.Client]:
    with _client(fake) as client:
        yield client


def _client(fake: FakeMeetBot, *, base_url: str | None = None) -> httpx.Client:
    return httpx.Client(
        base_url=base_url or fake.base_url,
        transport=None if base_url else fake.transport(),
        headers={"Authorization": f"Bearer {fake.api_key}"},
    )


def _instant(created_at: str) -> datetime:
    moment = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    assert moment.utcoffset() == timedelta(0)
    return moment


def _walk(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    logs: list[dict[str, Any]] = []
    page = 1
    while True:
        body = client.get("/users/me/api-logs", params={**params, "page": page}).json()
        if not body["logs"]:
            assert len(logs) == body["total"]
            return logs
        logs.extend(body["logs"])
        page += 1


# The public API


def test_public_names_are_exactly_the_documented_ones() -> None:
    # Sorted the way ruff's RUF022 sorts (isort style: constants, then classes).
    assert meetbot_sdk.testing.__all__ == ["TEST_API_KEY", "FakeMeetBot", "RecordedRequest"]
    assert all(
        getattr(meetbot_sdk.testing, name).__doc__ for name in ["FakeMeetBot", "RecordedRequest"]
    )


def test_defaults_describe_a_reproducible_account() -> None:
    fake = FakeMeetBot()

    assert fake.now == NOW
    assert fake.api_key == TEST_API_KEY
    assert fake.base_url == "https://api.meetbot.dev/v1"
    assert len(fake.logs) == 2_000
    assert fake.api_keys == (
        (1, "Production Key"),
        (2, "Staging Key"),
        (3, "CI Key"),
        (4, "Analytics Notebook"),
    )


@pytest.mark.parametrize(
    "kwargs",
    [{"log_count": -1}, {"now": datetime(2026, 1, 15)}, {"api_key": ""}],
)
def test_constructor_rejects_invalid_arguments(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"must"):
        FakeMeetBot(**kwargs)


# Authentication, routing and the headers every response carries


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-key", f"Basic {TEST_API_KEY}", TEST_API_KEY, "Bearer"],
)
@pytest.mark.parametrize("path", ["/users/me/analytics", "/users/me/api-logs", "/api-keys/1/usage"])
def test_requests_without_the_api_key_are_401(
    fake: FakeMeetBot, authorization: str | None, path: str
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    with httpx.Client(base_url=fake.base_url, transport=fake.transport()) as client:
        response = client.get(path, headers=headers)

    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "unauthorized", "message": "Invalid or missing API key"}
    }


def test_the_bearer_scheme_is_case_insensitive(fake: FakeMeetBot) -> None:
    with httpx.Client(base_url=fake.base_url, transport=fake.transport()) as client:
        response = client.get(
            "/users/me/analytics", headers={"Authorization": f"bearer {fake.api_key}"}
        )

    assert response.status_code == 200


def test_a_custom_api_key_and_clock_are_honoured() -> None:
    fake = FakeMeetBot(
        log_count=50, api_key="sk_custom", now=datetime(2025, 6, 30, 23, 0, tzinfo=timezone.utc)
    )
    with _client(fake) as client:
        daily = client.get("/users/me/analytics", params={"period": "7d"}).json()
    with httpx.Client(base_url=fake.base_url, transport=fake.transport()) as client:
        refused = client.get(
            "/users/me/analytics", headers={"Authorization": f"Bearer {TEST_API_KEY}"}
        )

    assert daily["apiCalls"]["dailyBreakdown"][-1]["date"] == "2025-06-30"
    assert refused.status_code == 401


@pytest.mark.parametrize(
    "path",
    ["/nowhere", "/users/me/analytics/", "/users/me", "/api-keys/1", "/api-keys/1/usage/x"],
)
def test_unknown_paths_are_404_before_authentication(fake: FakeMeetBot, path: str) -> None:
    with httpx.Client(base_url=fake.base_url, transport=fake.transport()) as client:
        response = client.get(path)

    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}


def test_paths_outside_v1_are_404(fake: FakeMeetBot, client: httpx.Client) -> None:
    response = client.get("https://api.meetbot.dev/users/me/analytics")

    assert response.status_code == 404
    assert fake.requests[-1].path == "/users/me/analytics"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
def test_only_get_is_allowed(client: httpx.Client, method: str) -> None:
    response = client.request(method, "/users/me/api-logs")

    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    if method != "HEAD":
        assert response.json() == {"detail": "Method Not Allowed"}


def test_every_response_is_json_with_an_increasing_request_id(client: httpx.Client) -> None:
    responses = [
        client.get("/users/me/analytics"),
        client.get("/nowhere"),
        client.get("/users/me/api-logs", params={"page": 0}),
        client.get("/api-keys/9/usage"),
    ]

    assert [r.status_code for r in responses] == [200, 404, 422, 404]
    assert all(r.headers["content-type"] == "application/json" for r in responses)
    assert [r.headers["x-request-id"] for r in responses] == ["req_1", "req_2", "req_3", "req_4"]


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
    per_day = Counter(_instant(log["createdAt"]).date().isoformat() for log in fake.logs)

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
    logs = _walk(client, page_size=100)
    order = [(_instant(log["createdAt"]), log["id"]) for log in logs]

    assert logs == list(fake.logs)
    assert order == sorted(order, reverse=True)
    assert len({log["id"] for log in logs}) == len(logs)
    assert logs[0]["id"] == max(log["id"] for log in logs)
    assert _instant(logs[0]["createdAt"]) <= NOW
    assert _instant(logs[-1]["createdAt"]).date() >= date(2026, 1, 15) - timedelta(days=89)


def test_logs_look_like_production_traffic() -> None:
    logs = list(FakeMeetBot(seed=11, log_count=2_000).logs)
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
    stamps = [log["createdAt"] for log in FakeMeetBot(seed=5, log_count=2_000).logs]
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
            lambda log: _instant(log["createdAt"]) >= datetime(2026, 1, 10, tzinfo=timezone.utc),
        ),
        (
            {"end_date": "2026-01-10"},
            lambda log: _instant(log["createdAt"]) < datetime(2026, 1, 11, tzinfo=timezone.utc),
        ),
        (
            {"start_date": "2026-01-01T06:00:00Z", "end_date": "2026-01-02T18:30:00+00:00"},
            lambda log: (
                datetime(2026, 1, 1, 6, tzinfo=timezone.utc)
                <= _instant(log["createdAt"])
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

    assert _walk(client, page_size=50, **params) == expected
    if params != {"api_key_id": 99}:
        assert 0 < len(expected) < len(fake.logs)


def test_datetime_bounds_are_inclusive(fake: FakeMeetBot, client: httpx.Client) -> None:
    target = fake.logs[123]
    params = {"start_date": target["createdAt"], "end_date": target["createdAt"]}

    assert target in _walk(client, **params)


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
        _instant(log["createdAt"]).date() == NOW.date() for log in own
    )
    assert body["requestsThisMonth"] == sum(
        _instant(log["createdAt"]).date() >= date(2026, 1, 1) for log in own
    )
    assert body["recentRequests"] == [
        {k: log[k] for k in ("method", "path", "statusCode", "createdAt")} for log in own[:10]
    ]


@pytest.mark.parametrize("key_id", ["5", "0", "-1", "abc", "1.0"])
def test_usage_of_an_unknown_key_is_404(client: httpx.Client, key_id: str) -> None:
    response = client.get(f"/api-keys/{key_id}/usage")

    assert response.status_code == 404
    assert response.json() == {"detail": f"API key {key_id} not found"}


# Determinism, arriving logs and the record of requests


def test_the_same_seed_gives_the_same_account() -> None:
    first, second = FakeMeetBot(seed=42, log_count=300), FakeMeetBot(seed=42, log_count=300)
    with _client(first) as a, _client(second) as b:
        assert a.get("/users/me/analytics").json() == b.get("/users/me/analytics").json()
    assert list(first.logs) == list(second.logs)
    assert list(FakeMeetBot(seed=43, log_count=300).logs) != list(first.logs)


def test_added_logs_arrive_at_the_head(fake: FakeMeetBot, client: httpx.Client) -> None:
    before = list(fake.logs)
    assert client.get("/api-keys/1/usage").status_code == 200  # indexes logs by key
    added = fake.add_logs(5)
    page = client.get("/users/me/api-logs", params={"page_size": 10}).json()
    usage = client.get("/api-keys/1/usage").json()
    analytics = client.get("/users/me/analytics").json()

    assert [log["id"] for log in added] == [601, 602, 603, 604, 605]
    assert _instant(added[0]["createdAt"]) > _instant(before[0]["createdAt"])
    assert all(set(log) == LOG_FIELDS for log in added)
    assert page["total"] == 605
    assert page["logs"] == [*added[::-1], *before[:5]]
    assert list(fake.logs) == [*added[::-1], *before]
    assert usage["requestsTotal"] == sum(log["apiKeyId"] == 1 for log in fake.logs)
    assert analytics["apiCalls"]["total"] == 605


def test_logs_is_a_read_only_snapshot(fake: FakeMeetBot) -> None:
    snapshot = fake.logs
    snapshot[0]["method"] = "BREW"
    fake.add_logs(3)

    assert len(snapshot) == 600
    assert snapshot[0]["method"] != "BREW"
    assert snapshot[-1] == fake.logs[-1]
    assert snapshot[:2] == [snapshot[0], snapshot[1]]
    with pytest.raises(IndexError):
        snapshot[600]


def test_requests_are_recorded_in_order(fake: FakeMeetBot, client: httpx.Client) -> None:
    client.get("/users/me/api-logs", params={"page": 2, "method": "GET"})
    client.delete("/api-keys/1/usage", headers={"X-Trace": "abc"})

    first, second = fake.requests
    assert first == RecordedRequest(
        method="GET",
        path="/users/me/api-logs",
        query={"page": "2", "method": "GET"},
        headers=first.headers,
    )
    assert first.headers["authorization"] == f"Bearer {fake.api_key}"
    assert (second.method, second.path, second.query) == ("DELETE", "/api-keys/1/usage", {})
    assert second.headers["x-trace"] == "abc"
    assert all(name == name.lower() for name in second.headers)


def test_a_repeated_query_parameter_takes_its_first_value(
    fake: FakeMeetBot, client: httpx.Client
) -> None:
    response = client.get("/users/me/api-logs?page=2&page_size=5&page=9")

    assert response.json()["page"] == 2
    assert response.json()["logs"] == fake.logs[5:10]
    assert fake.requests[-1].query == {"page": "2", "page_size": "5"}


# The in-process transport under asyncio


@pytest.mark.anyio
async def test_the_transport_serves_async_clients(fake: FakeMeetBot) -> None:
    async with httpx.AsyncClient(
        base_url=fake.base_url,
        transport=fake.transport(),
        headers={"Authorization": f"Bearer {fake.api_key}"},
    ) as client:
        page = await client.get("/users/me/api-logs", params={"page_size": 5})
        usage = await client.get("/api-keys/1/usage")
        refused = await client.get("/users/me/analytics", headers={"Authorization": "Bearer x"})

    assert page.json()["logs"] == list(fake.logs[:5])
    assert usage.status_code == 200
    assert refused.status_code == 401


# The loopback server


@pytest.mark.loopback
def test_serve_answers_over_real_http_on_loopback(fake: FakeMeetBot) -> None:
    with fake.serve() as base_url, _client(fake, base_url=base_url) as client:
        url = httpx.URL(base_url)
        page = client.get("/users/me/api-logs", params={"page_size": 3})
        missing = client.get("/api-keys/7/usage")
        refused = client.get("/users/me/analytics", headers={"Authorization": ""})

    assert (url.scheme, url.host, url.path) == ("http", "127.0.0.1", "/v1")
    assert url.port
    assert page.json()["logs"] == list(fake.logs[:3])
    assert page.headers["content-length"] == str(len(page.content))
    assert missing.status_code == 404
    assert refused.status_code == 401
    assert [r.path for r in fake.requests] == [
        "/users/me/api-logs",
        "/api-keys/7/usage",
        "/users/me/analytics",
    ]


@pytest.mark.loopback
def test_serve_keeps_connections_alive_and_answers_head(fake: FakeMeetBot) -> None:
    with fake.serve() as base_url:
        port = httpx.URL(base_url).port
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            sockets = []
            connection.request("GET", "/v1/users/me/analytics", headers={"Authorization": "x"})
            first = connection.getresponse()
            first.read()
            sockets.append(connection.sock)
            connection.request("HEAD", "/v1/users/me/analytics")
            head = connection.getresponse()
            head_body = head.read()
            sockets.append(connection.sock)
            connection.request("POST", "/v1/users/me/api-logs", body=b'{"x": 1}')
            posted = connection.getresponse()
            posted_body = posted.read()
            sockets.append(connection.sock)
        finally:
            connection.close()

    assert (first.status, first.getheader("X-Request-Id")) == (401, "req_1")
    assert sockets[0] is not None
    assert all(sock is sockets[0] for sock in sockets)  # one connection, kept alive
    assert (head.status, head_body) == (405, b"")
    assert (posted.status, posted_body) == (405, b'{"detail":"Method Not Allowed"}')


@pytest.mark.loopback
@pytest.mark.anyio
async def test_serve_answers_async_clients(fake: FakeMeetBot) -> None:
    with fake.serve() as base_url:
        async with httpx.AsyncClient(
            base_url=base_url, headers={"Authorization": f"Bearer {fake.api_key}"}
        ) as client:
            response = await client.get("/users/me/analytics", params={"period": "7d"})

    assert len(response.json()["apiCalls"]["dailyBreakdown"]) == 7


@pytest.mark.loopback
def test_serve_closes_its_socket_on_exit(fake: FakeMeetBot) -> None:
    with fake.serve() as base_url:
        port = httpx.URL(base_url).port
        assert port is not None
        # A client that never closes its keep-alive connection must not keep the server up.
        lingering = _client(fake, base_url=base_url)
        assert lingering.get("/users/me/analytics").status_code == 200

    try:
        with pytest.raises(httpx.TransportError):
            lingering.get("/users/me/analytics")
    finally:
        lingering.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
