"""The SDK's own connection pools: the library's clients over the library's own transports,
keeping no cookies; so mocks of those transports (pytest-httpx's too) intercept the SDK."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from meetbot_sdk import AsyncMeetBot, MeetBot
from meetbot_sdk._transport._pools import AsyncPool, SyncPool, async_transport_class
from meetbot_sdk.testing import FakeMeetBot
from tests.support import API_KEY, BASE, USAGE


def _send(pool: Any, request: httpx.Request) -> httpx.Response:
    if isinstance(pool, httpx.AsyncClient):
        return asyncio.run(pool.send(request))
    response: httpx.Response = pool.send(request)
    return response


@pytest.mark.parametrize("pool_class", [SyncPool, AsyncPool])
def test_a_pool_keeps_no_cookies_and_sends_none(
    pool_class: type[SyncPool] | type[AsyncPool], httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(headers={"Set-Cookie": "session=1; Path=/"}, json={"ok": True})
    httpx_mock.add_response(json={"ok": True})
    pool = pool_class()
    pool.cookies = {"a": "1"}
    for _ in range(2):
        response = _send(pool, pool.build_request("GET", f"{BASE}/users/me"))
        assert response.json() == {"ok": True}
    assert not pool.cookies
    assert all("cookie" not in request.headers for request in httpx_mock.get_requests())


@pytest.mark.parametrize("pool_class", [SyncPool, AsyncPool])
def test_a_pool_is_the_librarys_client(pool_class: type[SyncPool] | type[AsyncPool]) -> None:
    client_class = httpx.AsyncClient if pool_class is AsyncPool else httpx.Client
    assert issubclass(pool_class, client_class)
    # Its send is the library's own, untouched.
    assert pool_class.send is client_class.send


def test_pytest_httpx_intercepts_the_sdks_own_pools(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{BASE}/api-keys/3/usage", json=USAGE, is_reusable=True)
    with MeetBot(API_KEY) as client:
        assert isinstance(client._http, SyncPool)
        assert client.api_keys.get_usage(3).requests_total == USAGE["requestsTotal"]

    async def main() -> int:
        async with AsyncMeetBot(API_KEY) as client:
            assert isinstance(client._http, AsyncPool)
            usage = await client.api_keys.get_usage(3)
            return usage.requests_total

    assert asyncio.run(main()) == USAGE["requestsTotal"]


@pytest.mark.parametrize("pool_class", [SyncPool, AsyncPool])
def test_a_closed_pool_raises_httpx_own_error(pool_class: type[SyncPool] | type[AsyncPool]) -> None:
    pool = pool_class()
    if isinstance(pool, AsyncPool):
        asyncio.run(pool.aclose())
    else:
        pool.close()
    with pytest.raises(RuntimeError, match="client has been closed"):
        _send(pool, httpx.Request("GET", f"{BASE}/users/me"))


def test_the_async_pool_sends_through_the_sdks_transport_which_mocks_still_intercept(
    httpx_mock: HTTPXMock,
) -> None:
    httpx_mock.add_response(url=f"{BASE}/api-keys/3/usage", json=USAGE)

    async def main() -> int:
        async with AsyncMeetBot(API_KEY) as client:
            transport = client._http._transport  # type: ignore[attr-defined]
            assert isinstance(transport, async_transport_class(client._backend))
            usage = await client.api_keys.get_usage(3)
            return usage.requests_total

    assert asyncio.run(main()) == USAGE["requestsTotal"]


@pytest.mark.httpx_mock(should_mock=lambda request: request.url.host != "127.0.0.1")
def test_a_request_the_mock_hands_back_goes_out_through_the_library(
    httpx_mock: HTTPXMock,
) -> None:
    fake = FakeMeetBot(seed=1, log_count=30, api_key=API_KEY)

    async def main(base_url: str) -> int:
        async with AsyncMeetBot(API_KEY, base_url=base_url) as client:
            page = await client.api_logs.get_page(page_size=10)
            return len(page.logs)

    with fake.serve() as base_url:
        assert asyncio.run(main(base_url)) == 10
    assert len(fake.requests) == 1
