"""The fake MeetBot server, exercised over plain httpx as any client would see it."""

from __future__ import annotations

import http.client
import socket
from datetime import date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

import meetbot_sdk.testing
from meetbot_sdk.testing import TEST_API_KEY, FakeMeetBot, RecordedRequest
from tests.testing.raw_http import (
    LOG_FIELDS,
    NOW,
    instant,
    raw_client,
)

# The public API


def test_public_names_are_exactly_the_documented_ones() -> None:
    # Sorted the way ruff's RUF022 sorts (isort style: constants, then classes).
    assert meetbot_sdk.testing.__all__ == [
        "TEST_API_KEY",
        "FakeMeetBot",
        "Fault",
        "RecordedRequest",
        "instant_waits",
    ]
    assert all(
        getattr(meetbot_sdk.testing, name).__doc__
        for name in ["FakeMeetBot", "Fault", "RecordedRequest"]
    )


def test_defaults_describe_an_account_of_today() -> None:
    before = datetime.now(timezone.utc)
    fake = FakeMeetBot()

    assert before <= fake.now <= datetime.now(timezone.utc)  # the clock follows real time
    newest = datetime.fromisoformat(fake.logs[0]["createdAt"].replace("Z", "+00:00"))
    assert before - timedelta(days=1) < newest <= fake.now  # "the last 7 days" finds logs
    assert fake.api_key == TEST_API_KEY
    assert fake.base_url == "https://api.meetbot.dev/v1"
    assert len(fake.logs) == 2_000
    assert fake.api_keys == (
        (1, "Production Key"),
        (2, "Staging Key"),
        (3, "CI Key"),
        (4, "Analytics Notebook"),
    )


def test_by_default_the_last_seven_days_of_the_real_calendar_find_logs() -> None:
    fake = FakeMeetBot()
    with fake.client() as client:
        week = client.api_logs.get_page(start_date=date.today() - timedelta(days=7))
        analytics = client.analytics.get(period="7d")
    assert week.total > 100
    assert analytics.api_calls.daily_breakdown[-1].date == fake.now.date()


def test_a_fixed_now_gives_the_same_account_every_day() -> None:
    first, second = FakeMeetBot(now=NOW), FakeMeetBot(now=NOW)
    assert first.now == second.now == NOW
    assert list(first.logs) == list(second.logs)
    assert first.logs[0]["createdAt"] < "2026-01-15T12:00:01"


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
    with httpx.Client(base_url=fake.base_url, transport=fake.transport("httpx")) as client:
        response = client.get(path, headers=headers)

    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "unauthorized", "message": "Invalid or missing API key"}
    }


def test_the_bearer_scheme_is_case_insensitive(fake: FakeMeetBot) -> None:
    with httpx.Client(base_url=fake.base_url, transport=fake.transport("httpx")) as client:
        response = client.get(
            "/users/me/analytics", headers={"Authorization": f"bearer {fake.api_key}"}
        )

    assert response.status_code == 200


def test_a_custom_api_key_and_clock_are_honoured() -> None:
    fake = FakeMeetBot(
        log_count=50, api_key="sk_custom", now=datetime(2025, 6, 30, 23, 0, tzinfo=timezone.utc)
    )
    with raw_client(fake) as client:
        daily = client.get("/users/me/analytics", params={"period": "7d"}).json()
    with httpx.Client(base_url=fake.base_url, transport=fake.transport("httpx")) as client:
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
    with httpx.Client(base_url=fake.base_url, transport=fake.transport("httpx")) as client:
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


# Determinism, arriving logs and the record of requests


def test_the_same_seed_gives_the_same_account() -> None:
    first = FakeMeetBot(seed=42, log_count=300, now=NOW)
    second = FakeMeetBot(seed=42, log_count=300, now=NOW)
    with raw_client(first) as a, raw_client(second) as b:
        assert a.get("/users/me/analytics").json() == b.get("/users/me/analytics").json()
    assert list(first.logs) == list(second.logs)
    assert list(FakeMeetBot(seed=43, log_count=300, now=NOW).logs) != list(first.logs)


def test_added_logs_arrive_at_the_head(fake: FakeMeetBot, client: httpx.Client) -> None:
    before = list(fake.logs)
    assert client.get("/api-keys/1/usage").status_code == 200  # indexes logs by key
    added = fake.add_logs(5)
    page = client.get("/users/me/api-logs", params={"page_size": 10}).json()
    usage = client.get("/api-keys/1/usage").json()
    analytics = client.get("/users/me/analytics").json()

    assert [log["id"] for log in added] == [601, 602, 603, 604, 605]
    assert instant(added[0]["createdAt"]) > instant(before[0]["createdAt"])
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


def test_a_fake_told_not_to_record_requests_keeps_none_and_still_numbers_them() -> None:
    fake = FakeMeetBot(log_count=10, record_requests=False)
    auth = {"Authorization": f"Bearer {fake.api_key}"}
    with httpx.Client(
        transport=fake.transport("httpx"), base_url=fake.base_url, headers=auth
    ) as http:
        ids = [http.get("/users/me/api-logs").headers["x-request-id"] for _ in range(2)]

    assert fake.requests == []
    assert ids == ["req_1", "req_2"]


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
    with fake.serve() as base_url, raw_client(fake, base_url=base_url) as client:
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
        lingering = raw_client(fake, base_url=base_url)
        assert lingering.get("/users/me/analytics").status_code == 200

    try:
        with pytest.raises(httpx.TransportError):
            lingering.get("/users/me/analytics")
    finally:
        lingering.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_recorded_requests_keep_the_token_out_of_their_repr(
    fake: FakeMeetBot, client: httpx.Client
) -> None:
    client.get("/users/me/analytics")
    (recorded,) = fake.requests
    assert recorded.headers["authorization"] == f"Bearer {fake.api_key}"
    assert fake.api_key not in repr(recorded)
    assert fake.api_key not in repr(fake.requests)
