"""An httpx transport in front of the fake's dispatch point, for sync and async clients.

The fake decides each response under its lock; the waiting happens here, after the lock is
released, with ``time.sleep`` for a sync client and ``await asyncio.sleep`` for an async one.
A dropped connection, a cut body and a read timeout surface as the exceptions ``httpx``
raises for the real thing.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import attrs
import httpx

from meetbot_sdk.testing._exchange import RequestParts

if TYPE_CHECKING:
    from collections.abc import Callable

    from meetbot_sdk.testing._exchange import FakeResponse

    Dispatch = Callable[[RequestParts], FakeResponse]


@attrs.frozen
class _Pending:
    """A decided response and how long to wait before delivering it."""

    response: FakeResponse
    wait: float
    read_timeout: float | None


def answer(dispatch: Dispatch, request: httpx.Request) -> httpx.Response:
    """Answer ``request`` through ``dispatch``, sleeping the thread through any delay."""
    pending = _begin(dispatch, request)
    if pending.wait:
        time.sleep(pending.wait)
    return _deliver(pending, request)


class InProcessTransport(httpx.MockTransport):
    """The fake as an ``httpx`` transport; no socket is opened."""

    def __init__(self, dispatch: Dispatch) -> None:
        super().__init__(lambda request: answer(dispatch, request))
        self._dispatch = dispatch

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        return answer(self._dispatch, request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        pending = _begin(self._dispatch, request)
        if pending.wait:
            await asyncio.sleep(pending.wait)
        return _deliver(pending, request)


def _begin(dispatch: Dispatch, request: httpx.Request) -> _Pending:
    response = dispatch(
        RequestParts(
            method=request.method,
            target=request.url.raw_path.decode("ascii"),
            headers=tuple(request.headers.multi_items()),
        )
    )
    timeouts = request.extensions.get("timeout", {})
    read_timeout = timeouts.get("read") if isinstance(timeouts, dict) else None
    # A socket gives up reading after the read timeout; so does the fake.
    if read_timeout is not None and read_timeout < response.delay:
        return _Pending(response, wait=read_timeout, read_timeout=read_timeout)
    return _Pending(response, wait=response.delay, read_timeout=None)


def _deliver(pending: _Pending, request: httpx.Request) -> httpx.Response:
    response = pending.response
    if pending.read_timeout is not None:
        msg = (
            f"timed out: the read timeout is {pending.read_timeout:g} s and the fake"
            f" delays this response by {response.delay:g} s"
        )
        raise httpx.ReadTimeout(msg, request=request)
    if response.action == "drop":
        msg = "Server disconnected without sending a response."
        raise httpx.RemoteProtocolError(msg, request=request)
    if response.action == "truncate":
        expected = len(response.body)
        msg = (
            "peer closed connection without sending complete message body"
            f" (received {expected // 2} bytes, expected {expected})"
        )
        raise httpx.RemoteProtocolError(msg, request=request)
    return httpx.Response(
        response.status,
        headers=list(response.headers),
        content=response.body,
        request=request,
    )
