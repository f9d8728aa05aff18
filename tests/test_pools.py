"""The SDK's own connection pools send directly to the transport only when httpx's ``send``
would do the same: the same response, request, ``elapsed``, ``next_request`` and log line;
anything else goes through httpx's ``send``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from meetbot_sdk._transport._pools import AsyncPool, SyncPool

URL = "http://127.0.0.1:9/v1/users/me/api-logs?page=1"
TIMEOUT = {"timeout": httpx.Timeout(5.0).as_dict()}


def _handler(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/moved"):
        return httpx.Response(302, headers={"Location": "/v1/elsewhere"})
    if request.url.path.endswith("/down"):
        raise httpx.ConnectError("refused")
    return httpx.Response(200, json={"ok": True}, headers={"X-Id": "1"})


@pytest.fixture
def mocked(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Request]:
    """Every pool's default transport answers with ``_handler``; returns the requests seen."""
    seen: list[httpx.Request] = []
    mock = httpx.MockTransport(lambda request: seen.append(request) or _handler(request))  # type: ignore[func-returns-value]

    async def handle_async(_self: object, request: httpx.Request) -> httpx.Response:
        return await mock.handle_async_request(request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", lambda _s, r: mock.handle_request(r))
    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", handle_async)
    return seen


def _send(pool: Any, request: httpx.Request, **kwargs: Any) -> httpx.Response:
    if isinstance(pool, httpx.AsyncClient):
        return asyncio.run(pool.send(request, **kwargs))
    response: httpx.Response = pool.send(request, **kwargs)
    return response


def _view(response: httpx.Response) -> tuple[Any, ...]:
    next_request = response.next_request
    return (
        response.status_code,
        response.headers.raw,
        response.content,
        response.http_version,
        response.request.url,
        None if next_request is None else next_request.url,
        response.history,
    )


@pytest.mark.parametrize("pool_class", [SyncPool, AsyncPool])
@pytest.mark.parametrize("path", ["", "/moved"])
@pytest.mark.usefixtures("mocked")
def test_the_direct_send_leaves_what_httpx_send_leaves(
    pool_class: type[SyncPool] | type[AsyncPool], path: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = URL.replace("?", f"{path}?")
    pool, plain = pool_class(), (httpx.Client if pool_class is SyncPool else httpx.AsyncClient)()
    views, logs = [], []
    for client in (plain, pool):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="httpx"):
            request = httpx.Request("GET", url, extensions=TIMEOUT)
            response = _send(client, request, auth=None, follow_redirects=False)
            views.append(_view(response))
        logs.append([(r.name, r.levelno, r.getMessage()) for r in caplog.records])
    assert views[0] == views[1]
    assert logs[0] == logs[1]
    # httpx sets elapsed when it closes the stream it read; a mock's body is read already.
    assert response.elapsed.total_seconds() >= 0
    assert len(logs[0]) == 1


@pytest.mark.parametrize("pool_class", [SyncPool, AsyncPool])
@pytest.mark.usefixtures("mocked")
def test_a_failed_send_names_its_request(pool_class: type[SyncPool] | type[AsyncPool]) -> None:
    request = httpx.Request("GET", URL.replace("?", "/down?"), extensions=TIMEOUT)
    with pytest.raises(httpx.ConnectError) as caught:
        _send(pool_class(), request, auth=None, follow_redirects=False)
    assert caught.value.request is request


@pytest.mark.parametrize("pool_class", [SyncPool, AsyncPool])
@pytest.mark.parametrize(
    "change",
    [
        lambda pool, kwargs: kwargs.update(stream=True),
        lambda pool, kwargs: kwargs.update(auth=httpx.BasicAuth("u", "p")),
        lambda pool, kwargs: kwargs.update(follow_redirects=True),
        lambda pool, kwargs: kwargs.update(extensions={}),
        lambda pool, kwargs: kwargs.update(url="http://u:p@127.0.0.1:9/v1/x"),
        lambda pool, kwargs: pool.event_hooks["response"].append(_noop_hook(pool)),
        lambda pool, kwargs: pool.event_hooks["request"].append(_noop_hook(pool)),
    ],
    ids=["stream", "auth", "redirects", "no timeout", "userinfo", "response hook", "request hook"],
)
def test_any_other_request_goes_through_httpx_send(
    pool_class: type[SyncPool] | type[AsyncPool],
    change: Callable[[Any, dict[str, Any]], None],
    mocked: list[httpx.Request],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pool = pool_class()
    kwargs: dict[str, Any] = {"auth": None, "follow_redirects": False}
    change(pool, kwargs)
    url, extensions = kwargs.pop("url", URL), kwargs.pop("extensions", TIMEOUT)
    through_httpx: list[bool] = []
    parent = httpx.Client if pool_class is SyncPool else httpx.AsyncClient
    original = parent.send

    def spy(self: Any, *args: Any, **kw: Any) -> Any:
        through_httpx.append(True)
        return original(self, *args, **kw)

    monkeypatch.setattr(parent, "send", spy)
    response = _send(pool, httpx.Request("GET", url, extensions=extensions), **kwargs)
    assert through_httpx == [True]
    assert response.status_code == 200
    assert len(mocked) == 1


@pytest.mark.parametrize("pool_class", [SyncPool, AsyncPool])
def test_a_closed_pool_raises_httpx_own_error(pool_class: type[SyncPool] | type[AsyncPool]) -> None:
    pool = pool_class()
    if isinstance(pool, AsyncPool):
        asyncio.run(pool.aclose())
    else:
        pool.close()
    request = httpx.Request("GET", URL, extensions=TIMEOUT)
    with pytest.raises(RuntimeError, match="client has been closed"):
        _send(pool, request, auth=None, follow_redirects=False)


def _noop_hook(pool: Any) -> Callable[[Any], Any]:
    if isinstance(pool, AsyncPool):

        async def hook(_: Any) -> None:
            return None

        return hook
    return lambda _: None


class _Cut(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that breaks off after its first chunk, and records being closed."""

    def __init__(self) -> None:
        self.closed = False

    def __iter__(self) -> Any:
        yield b"{"
        raise httpx.ReadError("cut")

    async def __aiter__(self) -> Any:
        yield b"{"
        raise httpx.ReadError("cut")

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


@pytest.mark.parametrize("pool_class", [SyncPool, AsyncPool])
def test_a_body_cut_short_closes_the_response(
    pool_class: type[SyncPool] | type[AsyncPool], monkeypatch: pytest.MonkeyPatch
) -> None:
    body = _Cut()
    mock = httpx.MockTransport(lambda request: httpx.Response(200, stream=body))

    async def handle_async(_self: object, request: httpx.Request) -> httpx.Response:
        return await mock.handle_async_request(request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", lambda _s, r: mock.handle_request(r))
    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", handle_async)
    request = httpx.Request("GET", URL, extensions=TIMEOUT)
    with pytest.raises(httpx.ReadError, match="cut"):
        _send(pool_class(), request, auth=None, follow_redirects=False)
    assert body.closed
