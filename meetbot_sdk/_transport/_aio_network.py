"""httpcore's network layer on asyncio's own transports, for the async pool the SDK creates.

httpcore reaches the network through a *network backend*. On asyncio its default is anyio's,
which wraps every socket read and write in a cancel scope (``anyio.fail_after``), a
checkpoint and an exception map: a good part of the client CPU of an async call (figures on
:doc:`performance`). This backend
does the same work with an :class:`asyncio.Protocol`: bytes arrive in a buffer as the loop
reads them, a read waits on one future, and a timeout is one ``call_later`` handle.

What it keeps from anyio's, so that httpcore (and the user) see no difference:

- the library's own ``ConnectError`` / ``ConnectTimeout`` / ``ReadError`` / ``ReadTimeout`` /
  ``WriteError`` / ``WriteTimeout`` for each failure, which httpx maps to its exceptions;
- ``socket_options`` applied, TCP_NODELAY (asyncio's default);
- ``b""`` at the end of the stream; TLS by ``loop.start_tls``; ``get_extra_info`` answers
  ``ssl_object``, ``client_addr``, ``server_addr``, ``socket`` and ``is_readable`` (an idle
  connection the server closed is not reused);
- flow control both ways: reading pauses above 256 KiB unread, a write waits for the
  transport to drain.

One difference: the resolved addresses are tried one after the other, as the sync client
does (``socket.create_connection``), not raced (anyio's happy eyeballs): asyncio's race
leaves a connected socket unclosed when it is cancelled (seen on 3.11 in
``test_early_stops_loopback``).

It is the network backend of the SDK's own async transport only (see
:mod:`meetbot_sdk._transport._pools`), given to httpcore's pool through its public
``network_backend=`` argument: proxied connections, Unix sockets, an injected
``http_client`` and any event loop other than asyncio's (trio) keep the library's backend.
"""

from __future__ import annotations

import asyncio
import select
import socket
import ssl
from collections.abc import Coroutine, Iterable
from types import ModuleType
from typing import Any, TypeVar, cast

__all__ = ["AsyncioBackend"]

_READ_LIMIT = 256 * 1024  # unread bytes above which the socket is no longer read
_T = TypeVar("_T")


class _Protocol(asyncio.Protocol):
    """Collects what the loop reads; wakes the one reader waiting for it."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport  # set by connection_made, before any data
        self.buffer = bytearray()
        self.ended = False  # the peer sent EOF or the connection is gone
        self.error: BaseException | None = None  # why the connection was lost, if not EOF
        self.paused = False  # reading paused: the buffer is over _READ_LIMIT
        self.waiter: asyncio.Future[None] | None = None  # a read waiting for bytes
        self.drained: asyncio.Future[None] | None = None  # a write waiting for room
        self.writable = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > _READ_LIMIT and not self.paused:
            self.paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool | None:
        self.ended = True
        self._wake()
        return None  # close the transport (for TLS, asyncio ignores the answer)

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self.error = exc
        self._wake()
        self.resume_writing()

    def pause_writing(self) -> None:
        self.writable = False

    def resume_writing(self) -> None:
        self.writable = True
        drained, self.drained = self.drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    def _wake(self) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def take(self, max_bytes: int) -> bytes:
        data = bytes(self.buffer[:max_bytes])
        del self.buffer[:max_bytes]
        if self.paused and len(self.buffer) <= _READ_LIMIT:
            self.paused = False
            self.transport.resume_reading()
        return data


async def _wait(future: asyncio.Future[None], timeout: float | None) -> None:
    """Await ``future``; ``TimeoutError`` after ``timeout`` seconds (``None``: no limit)."""
    if timeout is None:
        await future
        return
    handle = asyncio.get_running_loop().call_later(timeout, _expire, future)
    try:
        await future
    finally:
        handle.cancel()


async def _within(
    loop: asyncio.AbstractEventLoop, opening: Coroutine[Any, Any, _T], timeout: float | None
) -> _T:
    """Await ``opening`` (a connect or a handshake); ``TimeoutError`` after ``timeout`` s.

    Not ``asyncio.wait_for``: cancelled just as the opening succeeds, it drops the new
    connection unclosed (cpython gh-86296). Here a cancelled caller's opening is stopped,
    and a connection it opened all the same is aborted.
    """
    attempt = loop.create_task(opening)
    timer = None if timeout is None else loop.call_later(timeout, attempt.cancel)
    try:
        await asyncio.wait((attempt,))
    except BaseException:  # the caller is cancelled
        attempt.cancel()
        attempt.add_done_callback(_abort_opened)
        raise
    finally:
        if timer is not None:
            timer.cancel()
    if attempt.cancelled():  # by the timer
        raise TimeoutError
    return attempt.result()


def _abort_opened(attempt: asyncio.Task[Any]) -> None:
    if attempt.cancelled() or attempt.exception() is not None:
        return
    opened = attempt.result()
    transport = opened[0] if isinstance(opened, tuple) else opened
    transport.abort()


def _why(error: BaseException) -> str:
    """An exception's message, or its type's name when it has none."""
    return str(error) or type(error).__name__


def _expire(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_exception(TimeoutError())


class _Stream:
    """One connection: httpcore's ``AsyncNetworkStream`` on an asyncio transport."""

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol, core: ModuleType):
        self._transport = transport
        self._protocol = protocol
        self._core = core

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        protocol = self._protocol
        if not protocol.buffer:
            if protocol.ended:
                return self._at_end()
            waiter = protocol.waiter = asyncio.get_running_loop().create_future()
            try:
                await _wait(waiter, timeout)
            except TimeoutError:
                raise self._core.ReadTimeout(f"no data for {timeout} s") from None
            if not protocol.buffer:
                return self._at_end()
        return protocol.take(max_bytes)

    def _at_end(self) -> bytes:
        error = self._protocol.error
        if error is not None:
            raise self._core.ReadError(_why(error)) from error
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        protocol = self._protocol
        if self._transport.is_closing() or protocol.ended:
            raise self._core.WriteError("the connection is closed")
        self._transport.write(buffer)
        if not protocol.writable:
            drained = protocol.drained = asyncio.get_running_loop().create_future()
            try:
                await _wait(drained, timeout)
            except TimeoutError:
                raise self._core.WriteTimeout(f"could not send for {timeout} s") from None
            if protocol.error is not None:
                raise self._core.WriteError(_why(protocol.error)) from protocol.error

    async def aclose(self) -> None:
        # Aborted, as anyio's backend ends up doing: httpcore closes a connection with nothing
        # left to send, and a TLS transport's close() would keep the socket open for its
        # close_notify exchange. The socket is closed on the loop's next turn.
        self._transport.abort()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> _Stream:
        loop = asyncio.get_running_loop()
        core = self._core
        handshake = loop.start_tls(
            self._transport, self._protocol, ssl_context, server_hostname=server_hostname
        )
        try:
            transport = await _within(loop, handshake, timeout)
        except TimeoutError:
            self._transport.abort()
            raise core.ConnectTimeout(f"no TLS handshake within {timeout} s") from None
        except (OSError, ssl.SSLError) as exc:  # SSLError is an OSError; named for the reader
            self._transport.abort()
            raise core.ConnectError(_why(exc)) from exc
        transport = cast(asyncio.Transport, transport)  # None only in typeshed's stubs
        self._protocol.transport = transport  # flow control goes through the TLS layer now
        return _Stream(transport, self._protocol, core)

    def get_extra_info(self, info: str) -> Any:
        transport = self._transport
        if info == "ssl_object":
            return transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return transport.get_extra_info("sockname")
        if info == "server_addr":
            return transport.get_extra_info("peername")
        if info == "socket":
            return transport.get_extra_info("socket")
        if info == "is_readable":
            protocol = self._protocol
            return bool(protocol.buffer) or protocol.ended or _readable(transport)
        return None


def _readable(transport: asyncio.Transport) -> bool:
    """Whether the socket has bytes (or an EOF) the loop has not read yet."""
    sock = transport.get_extra_info("socket")  # None once a TLS transport is gone
    return sock is None or _socket_readable(sock)


def _socket_readable(sock: Any) -> bool:
    if hasattr(select, "poll"):  # select() cannot take a descriptor over 1023
        poller = select.poll()
        poller.register(sock.fileno(), select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([sock], [], [], 0)[0])  # Windows


class AsyncioBackend:
    """httpcore's ``AsyncNetworkBackend`` on asyncio transports; ``fallback`` elsewhere.

    Args:
        fallback: The pool's own backend, used off asyncio (trio) and for Unix sockets.
        core: The httpcore module of the pool (``httpcore`` or ``httpcore2``), whose
            exceptions httpx maps to its own.
    """

    def __init__(self, fallback: Any, core: ModuleType) -> None:
        self._fallback = fallback
        self._core = core

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[tuple[int, int, Any]] | None = None,
    ) -> Any:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # another event loop than asyncio's (trio)
            return await self._fallback.connect_tcp(
                host, port, timeout, local_address, socket_options
            )
        core = self._core
        connecting = loop.create_connection(
            _Protocol,
            host,
            port,
            local_addr=None if local_address is None else (local_address, 0),
        )
        try:
            transport, protocol = await _within(loop, connecting, timeout)
        except TimeoutError:
            raise core.ConnectTimeout(f"could not connect within {timeout} s") from None
        except OSError as exc:
            raise core.ConnectError(_why(exc)) from exc
        sock: socket.socket = transport.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return _Stream(transport, protocol, core)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[tuple[int, int, Any]] | None = None,
    ) -> Any:
        return await self._fallback.connect_unix_socket(path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._fallback.sleep(seconds)
