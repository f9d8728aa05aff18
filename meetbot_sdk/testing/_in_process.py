"""An httpx (or httpx2) transport in front of the fake's dispatch point, for sync and async
clients.

The fake decides each response under its lock; the waiting happens here, after the lock is
released, with ``time.sleep`` for a sync client and ``await asyncio.sleep`` for an async one.
A dropped connection, a cut body and a read timeout surface as the exceptions the library
raises for the real thing. Responses and exceptions are always of the library of the request
being answered, so the transport of one library also serves a client of the other.
"""

from __future__ import annotations

import asyncio
import functools
import time
from typing import TYPE_CHECKING, Any

import attrs

from meetbot_sdk._transport._http import Backend, backend_for, chosen_backend
from meetbot_sdk.testing._exchange import RequestParts

if TYPE_CHECKING:
    from collections.abc import Callable

    import httpx

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


class _InProcess:
    """The fake as a transport; no socket is opened. Mixed into a library's MockTransport."""

    _dispatch: Dispatch

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        return answer(self._dispatch, request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        pending = _begin(self._dispatch, request)
        if pending.wait:
            await asyncio.sleep(pending.wait)
        return _deliver(pending, request)


@functools.cache
def _transport_class(backend: Backend) -> type[httpx.MockTransport]:
    base: Any = backend.MockTransport

    class InProcessTransport(_InProcess, base):  # type: ignore[misc]
        __doc__ = f"The fake as an ``{backend.name}`` transport; no socket is opened."

        def __init__(self, dispatch: Dispatch) -> None:
            super().__init__(lambda request: answer(dispatch, request))
            self._dispatch = dispatch

    return InProcessTransport


def in_process_transport(dispatch: Dispatch, backend: Backend | None = None) -> httpx.MockTransport:
    """A transport of ``backend``'s library (default: the library a client would choose:
    ``MEETBOT_HTTP_LIBRARY``, else httpx) for ``dispatch``."""
    transport_class: Any = _transport_class(backend or chosen_backend())
    transport: httpx.MockTransport = transport_class(dispatch)
    return transport


def _library(request: httpx.Request) -> Backend:
    """The backend of ``request``'s library: the one to answer it with."""
    return backend_for(request) or chosen_backend()


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
    library = _library(request)
    response = pending.response
    if pending.read_timeout is not None:
        msg = (
            f"timed out: the read timeout is {pending.read_timeout:g} s and the fake"
            f" delays this response by {response.delay:g} s"
        )
        raise library.ReadTimeout(msg, request=request)
    if response.action == "drop":
        msg = "Server disconnected without sending a response."
        raise library.RemoteProtocolError(msg, request=request)
    if response.action == "truncate":
        expected = len(response.body)
        msg = (
            "peer closed connection without sending complete message body"
            f" (received {expected // 2} bytes, expected {expected})"
        )
        raise library.RemoteProtocolError(msg, request=request)
    return library.Response(
        response.status,
        headers=list(response.headers),
        content=response.body,
        request=request,
    )
