"""Logs arriving, latency and random faults over real HTTP on loopback."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from meetbot_sdk.testing import FakeMeetBot, Fault
from tests.testing.conftest import Rendezvous, SleepGate
from tests.testing.raw_http import raw_client

pytestmark = pytest.mark.loopback

ANALYTICS = "/users/me/analytics"
LOGS = "/users/me/api-logs"


def test_pages_over_loopback_see_the_logs_that_arrived(fake: FakeMeetBot) -> None:
    before = list(fake.logs)
    fake.add_logs_after_each_page(4)
    with fake.serve() as base_url, raw_client(fake, base_url=base_url) as client:
        first = client.get(LOGS, params={"page_size": 10}).json()
        second = client.get(LOGS, params={"page": 2, "page_size": 10}).json()

    assert first["logs"] == before[:10]
    assert second["logs"] == before[6:16]
    assert len(fake.requests) == 2


def test_the_connection_drops_only_after_the_latency(fake: FakeMeetBot, sleeps: SleepGate) -> None:
    fake.set_latency(0.2)
    fake.fail_randomly(1, Fault.drop_connection(), path=LOGS)
    with fake.serve() as base_url, raw_client(fake, base_url=base_url) as client:
        with pytest.raises(httpx.RemoteProtocolError, match="Server disconnected"):
            client.get(LOGS)
        answered = client.get(ANALYTICS)

    assert answered.status_code == 200
    assert sleeps.waits == [0.2, 0.2]


def test_connections_wait_out_the_latency_side_by_side(
    fake: FakeMeetBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    parties = 4
    rendezvous = Rendezvous(parties)
    monkeypatch.setattr("time.sleep", rendezvous)
    fake.set_latency(0.05)
    with fake.serve() as base_url:

        def get() -> int:
            with raw_client(fake, base_url=base_url) as client:
                return client.get(LOGS).status_code

        with ThreadPoolExecutor(parties) as pool:
            statuses = [future.result() for future in [pool.submit(get) for _ in range(parties)]]

    assert statuses == [200] * parties
    assert rendezvous.waits == [0.05] * parties
