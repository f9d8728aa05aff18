"""Scripted faults in-process: what a sync or async httpx client sees, and the fault queue."""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest

from meetbot_sdk.testing import FakeMeetBot, Fault
from tests.testing.conftest import SleepGate
from tests.testing.raw_http import async_raw_client, raw_client

ANALYTICS = "/users/me/analytics"
LOGS = "/users/me/api-logs"


def statuses(client: httpx.Client, *paths: str) -> list[int]:
    return [client.get(path).status_code for path in paths]


# Fault.status


def test_a_status_fault_sends_exactly_its_headers(fake: FakeMeetBot, client: httpx.Client) -> None:
    fake.set_rate_limit(10)  # its headers stay off a scripted response
    fake.inject(Fault.status(503, headers={"Retry-After": "2"}))

    response = client.get(ANALYTICS)

    assert response.status_code == 503
    assert response.json() == {
        "error": {"code": "service_unavailable", "message": "Injected 503 Service Unavailable"}
    }
    assert dict(response.headers) == {
        "content-type": "application/json",
        "retry-after": "2",
        "x-request-id": "req_1",
        "content-length": str(len(response.content)),
    }


@pytest.mark.parametrize(
    ("fault", "body"),
    [
        (Fault.status(200), b"{}"),
        (Fault.status(204), b""),
        (Fault.status(500, json={"detail": "boom"}), b'{"detail":"boom"}'),
        (Fault.status(502, body=b"<h1>Bad Gateway</h1>"), b"<h1>Bad Gateway</h1>"),
        (
            Fault.status(599),
            b'{"error":{"code":"http_599","message":"Injected 599"}}',
        ),
        (
            Fault.status(429),
            b'{"error":{"code":"too_many_requests","message":"Injected 429 Too Many Requests"}}',
        ),
    ],
)
def test_a_status_fault_sends_its_body(
    fake: FakeMeetBot, client: httpx.Client, fault: Fault, body: bytes
) -> None:
    fake.inject(fault)

    response = client.get(ANALYTICS)

    assert response.status_code == fault.status_code
    assert response.content == body


def test_headers_may_override_the_content_type_and_request_id(
    fake: FakeMeetBot, client: httpx.Client
) -> None:
    fake.inject(
        Fault.status(
            502,
            body=b"<html>proxy</html>",
            headers={"content-type": "text/html", "X-Request-Id": "x"},
        )
    )

    response = client.get(ANALYTICS)

    assert response.headers.get_list("content-type") == ["text/html"]
    assert response.headers.get_list("x-request-id") == ["x"]


def test_faults_have_readable_reprs_and_compare_by_value() -> None:
    assert repr(Fault.status(429, headers={"Retry-After": "1"})) == (
        "Fault.status(429, headers={'Retry-After': '1'})"
    )
    assert repr(Fault.status(500, json={"detail": "x"})) == (
        'Fault.status(500, body=b\'{"detail":"x"}\')'
    )
    assert repr(Fault.status(500, body=b"x" * 100)) == "Fault.status(500, body=<100 bytes>)"
    assert repr(Fault.delay(0.5)) == "Fault.delay(0.5)"
    assert repr(Fault.drop_connection()) == "Fault.drop_connection()"
    assert repr(Fault.malformed_body()) == "Fault.malformed_body()"
    assert repr(Fault.truncated_body()) == "Fault.truncated_body()"
    assert Fault.status(503) == Fault.status(503)
    assert Fault.status(503) != Fault.status(502)


# The queue: order, paths, pending_faults, clear_faults


def test_faults_are_consumed_in_order_one_per_request(
    fake: FakeMeetBot, client: httpx.Client
) -> None:
    fake.inject(Fault.status(503), Fault.status(500))
    fake.inject(Fault.status(502))
    pending = [fake.pending_faults]

    answered = []
    for _ in range(4):
        answered.append(client.get(ANALYTICS))
        pending.append(fake.pending_faults)

    assert [response.status_code for response in answered] == [503, 500, 502, 200]
    assert [response.headers["x-request-id"] for response in answered] == [
        "req_1",
        "req_2",
        "req_3",
        "req_4",
    ]
    assert pending == [3, 2, 1, 0, 0]


def test_a_path_limits_which_requests_take_a_fault(fake: FakeMeetBot, client: httpx.Client) -> None:
    fake.inject(Fault.status(503), path=LOGS)
    fake.inject(Fault.status(500))

    # The analytics request skips the fault meant for the logs and takes the next one.
    assert statuses(client, ANALYTICS, ANALYTICS, "/api-keys/1/usage") == [500, 200, 200]
    assert fake.pending_faults == 1
    assert statuses(client, f"{LOGS}?page=2", LOGS) == [503, 200]
    assert fake.pending_faults == 0


def test_a_path_matches_as_a_prefix(fake: FakeMeetBot, client: httpx.Client) -> None:
    fake.inject(Fault.status(503), Fault.status(504), path="/api-keys/")

    assert statuses(client, ANALYTICS, "/api-keys/1/usage", "/api-keys/2/usage") == [200, 503, 504]


def test_clear_faults_empties_the_queue_and_removes_the_rate_limit(
    fake: FakeMeetBot, client: httpx.Client
) -> None:
    fake.inject(Fault.status(503), Fault.drop_connection(), path=LOGS)
    fake.set_rate_limit(1)
    fake.clear_faults()

    assert fake.pending_faults == 0
    assert statuses(client, LOGS, LOGS, LOGS) == [200, 200, 200]
    assert "x-ratelimit-limit" not in client.get(LOGS).headers


def test_every_request_is_recorded_whatever_its_fault(
    fake: FakeMeetBot, client: httpx.Client
) -> None:
    fake.inject(Fault.drop_connection(), Fault.truncated_body(), Fault.status(500))

    for _ in range(2):
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(LOGS, params={"page": 3})
    last = client.get(ANALYTICS)

    assert [(r.path, r.query) for r in fake.requests] == [
        (LOGS, {"page": "3"}),
        (LOGS, {"page": "3"}),
        (ANALYTICS, {}),
    ]
    assert last.headers["x-request-id"] == "req_3"


# Dropped connections, cut bodies and bodies that are not JSON


def test_a_dropped_connection_raises_remote_protocol_error(
    fake: FakeMeetBot, client: httpx.Client
) -> None:
    fake.inject(Fault.drop_connection())

    with pytest.raises(httpx.RemoteProtocolError, match="Server disconnected") as raised:
        client.get(ANALYTICS)

    assert raised.value.request.url.path == "/v1" + ANALYTICS
    assert client.get(ANALYTICS).status_code == 200


def test_a_truncated_body_raises_remote_protocol_error(
    fake: FakeMeetBot, client: httpx.Client
) -> None:
    fake.inject(Fault.truncated_body())

    with pytest.raises(httpx.RemoteProtocolError, match="complete message body") as raised:
        client.get(ANALYTICS)

    assert raised.value.request.url.path == "/v1" + ANALYTICS


def test_a_malformed_body_claims_json_but_is_not(fake: FakeMeetBot, client: httpx.Client) -> None:
    fake.inject(Fault.malformed_body())

    response = client.get(ANALYTICS)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_handle_carries_out_faults_too(fake: FakeMeetBot) -> None:
    fake.inject(Fault.status(503), Fault.drop_connection())
    request = httpx.Request("GET", f"{fake.base_url}{ANALYTICS}")

    assert fake.handle(request).status_code == 503
    with pytest.raises(httpx.RemoteProtocolError):
        fake.handle(request)


@pytest.mark.anyio
async def test_async_clients_see_the_same_faults(fake: FakeMeetBot) -> None:
    fake.inject(
        Fault.status(503), Fault.drop_connection(), Fault.truncated_body(), Fault.malformed_body()
    )
    async with async_raw_client(fake) as client:
        unavailable = await client.get(ANALYTICS)
        with pytest.raises(httpx.RemoteProtocolError, match="Server disconnected"):
            await client.get(ANALYTICS)
        with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
            await client.get(ANALYTICS)
        malformed = await client.get(ANALYTICS)
        normal = await client.get(ANALYTICS)

    assert unavailable.status_code == 503
    assert malformed.content.startswith(b"<html>")
    assert normal.status_code == 200
    assert len(fake.requests) == 5


# Delays


def test_a_delay_answers_normally_afterwards(fake: FakeMeetBot, client: httpx.Client) -> None:
    fake.inject(Fault.delay(0.02))

    started = time.monotonic()
    response = client.get(ANALYTICS)

    assert time.monotonic() - started >= 0.02
    assert response.status_code == 200
    assert response.json() == client.get(ANALYTICS).json()


def test_a_delay_longer_than_the_read_timeout_raises_read_timeout(
    fake: FakeMeetBot, client: httpx.Client, sleeps: SleepGate
) -> None:
    fake.inject(Fault.delay(30), Fault.delay(30), Fault.delay(0.5))

    with pytest.raises(httpx.ReadTimeout, match=r"read timeout is 0\.25 s") as raised:
        client.get(ANALYTICS, timeout=httpx.Timeout(5, read=0.25))
    unlimited = client.get(ANALYTICS, timeout=None)
    in_time = client.get(ANALYTICS, timeout=1)

    assert sleeps.waits == [0.25, 30, 0.5]  # it waits out the read timeout, as a socket would
    assert raised.value.request.url.path == "/v1" + ANALYTICS
    assert (unlimited.status_code, in_time.status_code) == (200, 200)
    assert len(fake.requests) == 3


def test_a_delayed_request_does_not_hold_up_others(
    fake: FakeMeetBot, held_sleep: SleepGate
) -> None:
    fake.inject(Fault.delay(1), path=ANALYTICS)  # held until released, within the 5 s timeout
    answered: list[int] = []

    def slow_request() -> None:
        with raw_client(fake) as slow_client:
            answered.append(slow_client.get(ANALYTICS).status_code)

    slow = threading.Thread(target=slow_request)
    slow.start()
    try:
        assert held_sleep.entered.wait(5)
        with raw_client(fake) as client:
            fast = client.get(LOGS)
        # Had the fake kept its lock while sleeping, this request would have waited for it.
        assert answered == []
    finally:
        held_sleep.released.set()
        slow.join(5)

    assert fast.status_code == 200
    assert answered == [200]
    assert [request.path for request in fake.requests] == [ANALYTICS, LOGS]


@pytest.mark.anyio
async def test_an_async_delay_awaits_without_blocking_the_event_loop(fake: FakeMeetBot) -> None:
    fake.inject(Fault.delay(0.1), path=ANALYTICS)
    finished: list[str] = []

    async with async_raw_client(fake) as client:

        async def get(path: str) -> None:
            response = await client.get(path)
            assert response.status_code == 200
            finished.append(path)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(get, ANALYTICS)
            await anyio.lowlevel.checkpoint()  # the delayed request goes first
            tasks.start_soon(get, LOGS)

    # A blocking sleep would have finished the delayed request before the other one began.
    assert finished == [LOGS, ANALYTICS]


@pytest.mark.anyio
async def test_an_async_delay_longer_than_the_read_timeout_raises_read_timeout(
    fake: FakeMeetBot,
) -> None:
    fake.inject(Fault.delay(30))
    async with async_raw_client(fake) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(ANALYTICS, timeout=httpx.Timeout(5, read=0.01))
        assert (await client.get(ANALYTICS)).status_code == 200


# Validation


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: Fault.status(199), ValueError, "status must be from 200 to 599, got 199"),
        (lambda: Fault.status(600), ValueError, "status must be from 200 to 599, got 600"),
        (
            lambda: Fault.status("503"),  # type: ignore[arg-type]
            TypeError,
            "status must be an int from 200 to 599",
        ),
        (lambda: Fault.status(True), TypeError, "status must be an int"),
        (lambda: Fault.status(500, json={}, body=b""), ValueError, "json or body, not both"),
        (lambda: Fault.status(204, json={}), ValueError, "a 204 response has no body"),
        (
            lambda: Fault.status(500, headers={"Content-Length": "3"}),
            ValueError,
            "headers must not set Content-Length",
        ),
        (lambda: Fault.status(500, json={1j}), TypeError, "not JSON serializable"),
        (
            lambda: Fault.status(429, headers={"Retry-After": 2}),  # type: ignore[dict-item]
            TypeError,
            "headers must map str to str, e.g. {'Retry-After': '2'}",
        ),
        (lambda: Fault.delay(-1), ValueError, "seconds must be a finite number >= 0, got -1"),
        (lambda: Fault.delay(float("inf")), ValueError, "finite number >= 0, got inf"),
        (
            lambda: Fault.delay("1"),  # type: ignore[arg-type]
            ValueError,
            "finite number >= 0, got '1'",
        ),
    ],
)
def test_fault_arguments_are_validated(build: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        build()


@pytest.mark.parametrize(
    ("faults", "path", "error", "message"),
    [
        ((503,), None, TypeError, r"inject\(\) takes Fault objects, such as Fault.status\(503\)"),
        ((Fault.status(503),), "users/me", ValueError, "path must start with '/'"),
        ((Fault.status(503),), "/v1/users/me", ValueError, "without the /v1 prefix"),
    ],
)
def test_inject_arguments_are_validated(
    fake: FakeMeetBot,
    faults: tuple[Any, ...],
    path: str | None,
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        fake.inject(*faults, path=path)

    assert fake.pending_faults == 0


def test_a_window_counting_faults_spends_its_budget_on_them_silently(
    fake: FakeMeetBot, client: httpx.Client
) -> None:
    fake.set_rate_limit(2, per=60, count_faults=True)
    fake.inject(Fault.status(503))

    failed, answered, refused = (client.get(ANALYTICS) for _ in range(3))

    assert failed.status_code == 503
    assert "x-ratelimit-remaining" not in failed.headers  # counted, but untold
    assert answered.headers["x-ratelimit-remaining"] == "0"  # the 503 took one place
    assert refused.status_code == 429


def test_count_faults_must_be_a_bool(fake: FakeMeetBot) -> None:
    with pytest.raises(TypeError, match="count_faults must be True or False, got 'yes'"):
        fake.set_rate_limit(2, count_faults="yes")  # type: ignore[arg-type]
