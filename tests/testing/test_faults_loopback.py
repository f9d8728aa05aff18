"""Scripted faults over real HTTP on loopback: what the socket carries, and clean shutdowns."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from meetbot_sdk.testing import FakeMeetBot, Fault
from tests.testing.conftest import SleepGate
from tests.testing.raw_http import async_raw_client, raw_client

pytestmark = pytest.mark.loopback

ANALYTICS = "/users/me/analytics"
LOGS = "/users/me/api-logs"


def read_into(received: bytearray, response: httpx.Response) -> None:
    for chunk in response.iter_raw():
        received.extend(chunk)


def test_a_status_fault_is_sent_as_given(fake: FakeMeetBot) -> None:
    fake.inject(Fault.status(503, headers={"Retry-After": "3"}))
    with fake.serve() as base_url, raw_client(fake, base_url=base_url) as client:
        response = client.get(ANALYTICS)

    assert response.status_code == 503
    assert response.headers["retry-after"] == "3"
    assert response.headers["x-request-id"] == "req_1"
    assert response.headers["content-length"] == str(len(response.content))
    assert response.json()["error"]["message"] == "Injected 503 Service Unavailable"


def test_a_dropped_connection_sends_nothing_and_the_next_request_gets_through(
    fake: FakeMeetBot, capfd: pytest.CaptureFixture[str]
) -> None:
    with fake.serve() as base_url, raw_client(fake, base_url=base_url) as client:
        assert client.get(LOGS).status_code == 200  # the dropped request reuses this connection
        fake.inject(Fault.drop_connection())
        with pytest.raises(httpx.RemoteProtocolError, match="Server disconnected"):
            client.get(ANALYTICS)
        after = client.get(ANALYTICS)

    assert after.status_code == 200
    assert len(fake.requests) == 3
    assert capfd.readouterr().err == ""


def test_a_truncated_body_announces_the_full_length_and_sends_half(
    fake: FakeMeetBot, capfd: pytest.CaptureFixture[str]
) -> None:
    fake.inject(Fault.truncated_body())
    with fake.serve() as base_url, raw_client(fake, base_url=base_url) as client:
        with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
            client.get(ANALYTICS)
        whole = client.get(ANALYTICS)

    assert whole.status_code == 200
    assert capfd.readouterr().err == ""


def test_a_truncated_body_reads_as_half_the_normal_one(fake: FakeMeetBot) -> None:
    fake.inject(Fault.truncated_body())
    received = bytearray()
    with fake.serve() as base_url, raw_client(fake, base_url=base_url) as client:
        with client.stream("GET", ANALYTICS) as response:
            announced = int(response.headers["content-length"])
            with pytest.raises(httpx.RemoteProtocolError):
                read_into(received, response)
        whole = client.get(ANALYTICS).content

    assert announced == len(whole)
    assert bytes(received) == whole[: len(whole) // 2]


def test_a_malformed_body_is_not_json(fake: FakeMeetBot) -> None:
    fake.inject(Fault.malformed_body())
    with fake.serve() as base_url, raw_client(fake, base_url=base_url) as client:
        response = client.get(ANALYTICS)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_a_delay_holds_the_answer(fake: FakeMeetBot) -> None:
    fake.inject(Fault.delay(0.02))
    with fake.serve() as base_url, raw_client(fake, base_url=base_url) as client:
        started = time.monotonic()
        response = client.get(ANALYTICS)
        elapsed = time.monotonic() - started

    assert elapsed >= 0.02
    assert response.status_code == 200


def test_a_delayed_request_does_not_hold_up_others(
    fake: FakeMeetBot, held_sleep: SleepGate
) -> None:
    fake.inject(Fault.delay(1), path=ANALYTICS)  # held until released, within the 5 s timeout
    answered: list[int] = []
    with fake.serve() as base_url:

        def slow_request() -> None:
            with raw_client(fake, base_url=base_url) as slow_client:
                answered.append(slow_client.get(ANALYTICS).status_code)

        slow = threading.Thread(target=slow_request)
        slow.start()
        try:
            assert held_sleep.entered.wait(5)
            with raw_client(fake, base_url=base_url) as client:
                fast = client.get(LOGS)
            assert answered == []
        finally:
            held_sleep.released.set()
            slow.join(5)

    assert held_sleep.waits == [1]
    assert fast.status_code == 200
    assert answered == [200]


def test_a_client_timing_out_on_a_delay_can_go_on(fake: FakeMeetBot) -> None:
    fake.inject(Fault.delay(0.1))
    with fake.serve() as base_url, raw_client(fake, base_url=base_url) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.get(ANALYTICS, timeout=httpx.Timeout(5, read=0.02))
        assert client.get(ANALYTICS).status_code == 200


@pytest.mark.anyio
async def test_async_clients_see_the_same_faults_over_loopback(fake: FakeMeetBot) -> None:
    fake.inject(
        Fault.drop_connection(), Fault.truncated_body(), Fault.delay(0.01), Fault.status(502)
    )
    with fake.serve() as base_url:
        async with async_raw_client(fake, base_url=base_url) as client:
            with pytest.raises(httpx.RemoteProtocolError, match="Server disconnected"):
                await client.get(ANALYTICS)
            with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
                await client.get(ANALYTICS)
            delayed = await client.get(ANALYTICS)
            bad_gateway = await client.get(ANALYTICS)

    assert (delayed.status_code, bad_gateway.status_code) == (200, 502)
    assert fake.pending_faults == 0
