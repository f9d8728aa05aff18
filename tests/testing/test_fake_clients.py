"""``fake.client()`` / ``fake.async_client()``: SDK clients wired to the fake in-process."""

from __future__ import annotations

import asyncio

import pytest

from meetbot_sdk import AsyncMeetBot, MeetBot, MeetBotError
from meetbot_sdk.testing import FakeMeetBot, Fault


def test_client_talks_to_the_fake_and_closes_its_own_pool() -> None:
    fake = FakeMeetBot(log_count=30)
    with fake.client() as client:
        assert isinstance(client, MeetBot)
        assert client.api_logs.get_page(page_size=5).total == 30
    assert [request.path for request in fake.requests] == ["/users/me/api-logs"]
    with pytest.raises(MeetBotError, match="closed"):
        client.analytics.get()


def test_client_takes_the_clients_options() -> None:
    fake = FakeMeetBot()
    fake.inject(Fault.status(503))
    with fake.client(max_retries=0, throttle=False) as client:
        assert client.max_retries == 0
        with pytest.raises(MeetBotError, match="503"):
            client.analytics.get()


def test_async_client_talks_to_the_fake_and_closes_its_own_pool() -> None:
    fake = FakeMeetBot(log_count=30)

    async def main() -> AsyncMeetBot:
        async with fake.async_client() as client:
            assert (await client.api_logs.get_page(page_size=5)).total == 30
        return client

    client = asyncio.run(main())
    assert isinstance(client, AsyncMeetBot)
    with pytest.raises(MeetBotError, match="closed"):
        asyncio.run(client.analytics.get())


def test_the_fakes_clients_ignore_proxy_settings_and_never_follow_redirects(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A CI machine with a proxy configured: the fake still answers in-process (the address
    # is loopback, and nothing listens there), and a redirect is an error, as in production.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    fake = FakeMeetBot(log_count=3)
    fake.inject(Fault.status(302, headers={"Location": f"{fake.base_url}/users/me/analytics"}))
    with fake.client() as client:
        with pytest.raises(MeetBotError, match="302"):
            client.api_logs.get_page()
        assert client.api_logs.get_page().total == 3
    assert [request.path for request in fake.requests] == ["/users/me/api-logs"] * 2
