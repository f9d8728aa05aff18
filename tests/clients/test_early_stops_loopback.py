"""Over real loopback sockets: stopping a walk at any moment leaves nothing behind (case 6),
and the proxy policy (case 5) with a stand-in proxy on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gc
import random
import socketserver
import sys
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import meetbot_sdk as mb
from meetbot_sdk.testing import FakeMeetBot
from tests.support import API_KEY

pytestmark = pytest.mark.loopback

REPETITIONS = 200


@pytest.fixture(scope="module")
def fake() -> FakeMeetBot:
    fake = FakeMeetBot(seed=9, log_count=400, api_key=API_KEY)
    fake.set_latency(0.001)
    return fake


@pytest.fixture(scope="module")
def base_url(fake: FakeMeetBot) -> Iterator[str]:
    with fake.serve() as url:
        yield url


class Leftovers:
    """Every warning and unraisable exception (an unclosed socket, a coroutine never
    awaited, a task destroyed pending) seen while it is active."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __enter__(self) -> Leftovers:
        self._warnings = warnings.catch_warnings(record=True)
        self._records = self._warnings.__enter__()
        warnings.simplefilter("always")
        self._hook = sys.unraisablehook
        sys.unraisablehook = lambda u: self.seen.append(f"{u.exc_type.__name__}: {u.exc_value}")
        return self

    def __exit__(self, *exc: object) -> None:
        gc.collect()
        sys.unraisablehook = self._hook
        self._warnings.__exit__(None, None, None)
        self.seen += [f"{w.category.__name__}: {w.message}" for w in self._records]


def _read_ahead_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("meetbot-sdk-read-ahead")]


def test_sync_walks_stopped_at_random_moments_leave_nothing(base_url: str) -> None:
    rng = random.Random(1)  # noqa: S311 - reproducible moments, not secrets
    client = mb.MeetBot(API_KEY, base_url=base_url)
    with Leftovers() as leftovers:
        for repetition in range(REPETITIONS):
            if repetition % 5 == 0:  # a new pool now and then: its first pages connect
                client.close()
                client = mb.MeetBot(API_KEY, base_url=base_url)
            pager = client.api_logs.list(page_size=10, concurrency=rng.choice([1, 2, 8]))
            stop_after = rng.randint(0, 60)
            if repetition % 2:
                with pager:
                    for count, _ in enumerate(pager):
                        if count >= stop_after:
                            break
            else:
                for count, _ in enumerate(pager):
                    if count >= stop_after:
                        break
            assert _read_ahead_threads() == []
        client.close()
    assert leftovers.seen == []


def test_async_walks_stopped_at_random_moments_leave_nothing(base_url: str) -> None:
    rng = random.Random(2)  # noqa: S311 - reproducible moments, not secrets

    async def walk(client: mb.AsyncMeetBot, pager: Any, stop_after: int, use_with: bool) -> None:
        count = 0
        if use_with:
            async with pager:
                async for _ in pager:
                    count += 1
                    if count > stop_after:
                        break
            fetching_after_with.extend(_fetches())  # leaving the block stops them
        else:
            async for _ in pager:
                count += 1
                if count > stop_after:
                    break

    async def main() -> None:
        for repetition in range(REPETITIONS):
            # 0: plain break; 1: break inside ``async with``; 2: cancel the consumer at a
            # random moment (often mid-connect: the pool is new). Each time the client is
            # closed at once, before asyncio has closed a left loop.
            how = repetition % 3
            async with mb.AsyncMeetBot(API_KEY, base_url=base_url) as client:
                close_pool = client._http.aclose

                async def close_pool_recording(close_pool: Any = close_pool) -> None:
                    fetching_at_pool_close.extend(_fetches())  # a pool closed under them
                    await close_pool()

                client._http.aclose = close_pool_recording  # type: ignore[method-assign]
                pager = client.api_logs.list(page_size=10, concurrency=rng.choice([1, 2, 8]))
                consumer = asyncio.ensure_future(
                    walk(client, pager, rng.randint(0, 60), use_with=how == 1)
                )
                if how == 2:
                    await asyncio.sleep(rng.random() * 0.005)
                    consumer.cancel()
                await asyncio.gather(consumer, return_exceptions=True)
            fetching_after_close.extend(_fetches())  # closing the client stops them
            await _settled()
            assert asyncio.all_tasks() == {asyncio.current_task()}

    fetching_after_with: list[asyncio.Task[Any]] = []
    fetching_after_close: list[asyncio.Task[Any]] = []
    fetching_at_pool_close: list[asyncio.Task[Any]] = []
    with Leftovers() as leftovers:
        asyncio.run(main())
    assert leftovers.seen == []
    assert fetching_after_with == []
    assert fetching_after_close == []
    assert fetching_at_pool_close == []


def _fetches() -> list[asyncio.Task[Any]]:
    """Page fetches still running."""
    return [
        task
        for task in asyncio.all_tasks()
        if not task.done() and getattr(task.get_coro(), "__qualname__", "").endswith("._request")
    ]


async def _settled() -> None:
    """Let asyncio finish closing a left ``async for`` loop (it does so "a moment later": its
    read-ahead fetches end their cancellation); a bound, not a speed assertion."""
    await asyncio.sleep(0)  # asyncio schedules the closing of a collected generator
    others = asyncio.all_tasks() - {asyncio.current_task()}
    if others:
        await asyncio.wait(others, timeout=10)


# --- proxies -------------------------------------------------------------------------------


class StandInProxy(socketserver.ThreadingTCPServer):
    """Records the head of every request a client sends it, and answers 502."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.heads: list[bytes] = []
        super().__init__(("127.0.0.1", 0), _ProxyHandler)


class _ProxyHandler(socketserver.StreamRequestHandler):
    server: StandInProxy

    def handle(self) -> None:
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            line = self.rfile.readline(65536)
            if not line:
                break
            head += line
        self.server.heads.append(head)
        self.wfile.write(
            b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[StandInProxy]:
    server = StandInProxy()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("cls", [mb.MeetBot, mb.AsyncMeetBot])
def test_plain_http_loopback_never_goes_through_an_environment_proxy(
    proxy: StandInProxy, base_url: str, cls: type[Any]
) -> None:
    async def call(client: Any) -> Any:
        async with client:
            return await client.api_keys.get_usage(1)

    client = cls(API_KEY, base_url=base_url, max_retries=0)
    if cls is mb.MeetBot:
        with client:
            usage = client.api_keys.get_usage(1)
    else:
        usage = asyncio.run(call(client))
    assert isinstance(usage, mb.ApiKeyUsage)
    assert proxy.heads == []


def test_an_injected_client_that_would_proxy_plain_http_is_refused(
    proxy: StandInProxy, base_url: str
) -> None:
    with httpx.Client() as http, pytest.raises(ValueError, match="through a proxy") as caught:
        mb.MeetBot(API_KEY, base_url=base_url, http_client=http)
    assert API_KEY not in str(caught.value)
    with (
        httpx.Client(trust_env=False) as http,
        mb.MeetBot(API_KEY, base_url=base_url, http_client=http) as client,
    ):
        assert isinstance(client.api_keys.get_usage(1), mb.ApiKeyUsage)
    assert proxy.heads == []


def test_https_keeps_honouring_environment_proxies_through_a_tunnel(proxy: StandInProxy) -> None:
    # The stand-in refuses the tunnel, so nothing ever leaves this machine.
    with mb.MeetBot(API_KEY, base_url="https://api.meetbot.dev/v1", max_retries=0) as client:
        with pytest.raises(mb.APIConnectionError):
            client.api_keys.get_usage(1)
    assert len(proxy.heads) == 1
    assert proxy.heads[0].startswith(b"CONNECT api.meetbot.dev:443 ")
    assert API_KEY.encode() not in proxy.heads[0]  # the token only travels inside the tunnel
