"""The async pool's network backend on asyncio transports (``meetbot_sdk._transport._aio_network``).

Each test runs real httpcore (or httpcore2) over loopback sockets against a small asyncio
server in the same loop, and checks what anyio's backend would do: the same answers, the
same exceptions, connections reused and closed, flow control both ways, TLS."""

from __future__ import annotations

import asyncio
import importlib
import re
import select
import socket
import ssl
import struct
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from meetbot_sdk import AsyncMeetBot
from meetbot_sdk._transport import _aio_network, _http, _pools
from meetbot_sdk.testing import FakeMeetBot
from tests.support import API_KEY, needs_extra

pytestmark = pytest.mark.filterwarnings("error")

TLS = Path(__file__).with_name("tls")  # a self-signed certificate for 127.0.0.1 (100 years)

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def _installed(name: str) -> Any:
    """httpx or httpcore; httpx2 or httpcore2 through the extra (a skip in the bare run)."""
    if name.endswith("2"):
        needs_extra("httpx2")
    return importlib.import_module(name)


@pytest.fixture(params=["httpcore", "httpcore2"])
def core(request: pytest.FixtureRequest) -> ModuleType:
    """httpx's httpcore and httpx2's httpcore2 in turn."""
    return _installed(request.param)  # type: ignore[no-any-return]


@pytest.fixture(params=["httpx", "httpx2"])
def lib(request: pytest.FixtureRequest) -> Any:
    """httpx and httpx2 in turn."""
    return _installed(request.param)


def _run(coroutine: Coroutine[Any, Any, Any], *, server_errors: bool = False) -> Any:
    """Run ``coroutine``; no error may reach the loop's exception handler (an exception in a
    protocol callback ends there), but the test server's own, if ``server_errors``."""
    errors: list[str] = []

    def record(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        message = f"{context['message']}: {context.get('exception')!r}"
        if "StreamReaderProtocol" not in message:  # the test server's handlers, cancelled
            errors.append(message)

    async def main() -> Any:
        asyncio.get_running_loop().set_exception_handler(record)
        return await coroutine

    result = asyncio.run(main())
    if server_errors:
        errors = [error for error in errors if "handshake failed" not in error]
    assert errors == []
    return result


def _backend(core: ModuleType) -> _aio_network.AsyncioBackend:
    return _aio_network.AsyncioBackend(core.AnyIOBackend(), core)


class Server:
    """An asyncio server on 127.0.0.1 that counts its connections."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.port = 0
        self.handlers: set[asyncio.Task[Any]] = set()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.handlers.add(asyncio.current_task())  # type: ignore[arg-type]
        try:
            await self.handler(reader, writer)
        finally:
            writer.close()


@asynccontextmanager
async def serving(handler: Handler, tls: ssl.SSLContext | None = None) -> AsyncIterator[Server]:
    server = Server(handler)
    listener = await asyncio.start_server(server._serve, "127.0.0.1", 0, ssl=tls)
    server.port = listener.sockets[0].getsockname()[1]
    try:
        yield server
    finally:
        listener.close()
        for task in server.handlers:  # 3.12+ waits for every connection to end
            task.cancel()
        await listener.wait_closed()


def answering(body: bytes, *, close: bool = False) -> Handler:
    """Answer each request on a connection with ``body`` (then close, if ``close``)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()
            if close:
                return

    return handle


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Read the request, never answer (until the client goes)."""
    await reader.read()


async def idle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Neither read nor answer."""
    await asyncio.Event().wait()


async def until(condition: Callable[[], bool]) -> None:
    """Let the loop run until ``condition()`` holds (for at most 5 s)."""
    for _ in range(5000):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("the condition never held")


def _pool(core: ModuleType, **options: Any) -> Any:
    return core.AsyncConnectionPool(network_backend=_backend(core), **options)


async def _get(pool: Any, url: str, timeout: float | None = None) -> Any:
    extensions = {"timeout": {"connect": timeout, "read": timeout, "write": timeout}}
    return await pool.request("GET", url, extensions=extensions)


def test_requests_go_through_and_reuse_one_connection(core: ModuleType) -> None:
    async def main() -> None:
        async with serving(answering(b"hello")) as server, _pool(core) as pool:
            for _ in range(3):
                response = await _get(pool, f"http://127.0.0.1:{server.port}/")
                assert (response.status, response.content) == (200, b"hello")
            assert server.connections == 1

    _run(main())


def test_a_body_larger_than_the_read_buffer_arrives_whole(core: ModuleType) -> None:
    body = bytes(range(256)) * (12 * 1024)  # 3 MiB, 12 times the 256 KiB read limit

    async def main() -> None:
        async with serving(answering(body)) as server, _pool(core) as pool:
            response = await _get(pool, f"http://127.0.0.1:{server.port}/")
            assert response.content == body

    _run(main())


def test_reading_pauses_above_the_limit_and_resumes_once_read(core: ModuleType) -> None:
    sent = b"x" * (_aio_network._READ_LIMIT * 3)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(sent)
        await writer.drain()
        await reader.read()

    async def main() -> None:
        async with serving(handle) as server:
            stream = await _backend(core).connect_tcp("127.0.0.1", server.port)
            protocol = stream._protocol
            await until(lambda: protocol.paused)
            # Paused: the loop reads no more, though the socket has more to give.
            assert _aio_network._READ_LIMIT < len(protocol.buffer) < len(sent)
            assert stream.get_extra_info("is_readable")
            received = await stream.read(1024, timeout=5)
            assert protocol.paused  # still over the limit: still paused
            assert len(protocol.buffer) > _aio_network._READ_LIMIT
            while len(received) < len(sent):
                received += await stream.read(64 * 1024, timeout=5)
            assert received == sent
            assert not protocol.paused
            await stream.aclose()

    _run(main())


def test_reading_stops_just_above_256_kib_unread_and_starts_again_at_256_kib(
    core: ModuleType,
) -> None:
    limit = 256 * 1024  # the bound the module documents (memory held per connection)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"x" * limit)
        await reader.readexactly(1)
        writer.write(b"!")  # one byte more, once the client has the first 256 KiB
        await reader.read()

    async def main() -> None:
        async with serving(handle) as server:
            stream = await _backend(core).connect_tcp("127.0.0.1", server.port)
            transport, protocol = stream._transport, stream._protocol
            await until(lambda: len(protocol.buffer) >= limit or not transport.is_reading())
            assert (len(protocol.buffer), transport.is_reading()) == (limit, True)
            await stream.write(b"?")
            await until(lambda: len(protocol.buffer) > limit)
            assert (len(protocol.buffer), transport.is_reading()) == (limit + 1, False)
            assert await stream.read(1) == b"x"  # back to exactly 256 KiB unread: reading
            assert (len(protocol.buffer), transport.is_reading()) == (limit, True)
            received = await stream.read(limit)
            assert received == b"x" * (limit - 1) + b"!"
            await stream.aclose()

    _run(main())


def test_no_answer_within_the_read_timeout_is_a_read_timeout(core: ModuleType) -> None:
    async def main() -> None:
        async with serving(silent) as server, _pool(core) as pool:
            with pytest.raises(core.ReadTimeout, match=re.escape("no data for 0.05 s")):
                await _get(pool, f"http://127.0.0.1:{server.port}/", timeout=0.05)

    _run(main())


def test_a_server_that_closes_without_answering_is_a_protocol_error(core: ModuleType) -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")

    async def main() -> None:
        async with serving(hang_up) as server, _pool(core) as pool:
            with pytest.raises(core.RemoteProtocolError, match="Server disconnected"):
                await _get(pool, f"http://127.0.0.1:{server.port}/")

    _run(main())


def test_a_reset_connection_is_a_read_error_naming_why(core: ModuleType) -> None:
    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    async def main() -> None:
        async with serving(reset) as server:
            stream = await _backend(core).connect_tcp("127.0.0.1", server.port)
            with pytest.raises(core.ReadError, match="reset"):
                await _read_to_end(stream)
            await stream.aclose()

    _run(main())


async def _read_to_end(stream: Any) -> bytes:
    received = b""
    while chunk := await stream.read(1024, timeout=5):
        received += chunk
    return received


def test_an_idle_connection_the_server_closed_is_not_reused(core: ModuleType) -> None:
    async def main() -> None:
        async with serving(answering(b"one", close=True)) as server, _pool(core) as pool:
            for _ in range(2):
                response = await _get(pool, f"http://127.0.0.1:{server.port}/")
                assert response.content == b"one"
            assert server.connections == 2

    _run(main())


def test_bytes_the_loop_has_not_read_yet_make_the_connection_readable(core: ModuleType) -> None:
    async def main() -> None:
        got_request = asyncio.Event()

        async def late(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readexactly(1)
            writer.write(b"!")
            got_request.set()
            await reader.read()

        async with serving(late) as server:
            stream = await _backend(core).connect_tcp("127.0.0.1", server.port)
            assert stream.get_extra_info("is_readable") is False
            stream._transport.pause_reading()  # the loop leaves the byte in the socket
            await stream.write(b"?")
            await got_request.wait()
            await until(lambda: stream.get_extra_info("is_readable"))
            assert not stream._protocol.buffer
            await stream.aclose()
            assert stream.get_extra_info("is_readable") is True  # closed: never reused

    _run(main())


def test_bytes_the_loop_read_that_no_one_asked_for_make_the_connection_readable(
    core: ModuleType,
) -> None:
    async def main() -> None:
        async def unasked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"!")  # on an idle connection: no request can be answered on it
            await reader.read()

        async with serving(unasked) as server:
            stream = await _backend(core).connect_tcp("127.0.0.1", server.port)
            await until(lambda: bool(stream._protocol.buffer))
            assert not _aio_network._socket_readable(stream.get_extra_info("socket"))
            assert stream.get_extra_info("is_readable") is True
            await stream.aclose()

    _run(main())


@pytest.mark.parametrize("asked_of", ["poll", "select"])
def test_asking_whether_a_connection_is_readable_never_waits(
    core: ModuleType, monkeypatch: pytest.MonkeyPatch, asked_of: str
) -> None:
    # httpcore asks it of each idle connection it takes from the pool, on the event loop:
    # a wait there would stall every task. The waits asked for are recorded.
    waits: list[float] = []
    if asked_of == "poll":
        poll = select.poll

        class Poller:
            def __init__(self) -> None:
                self.poller = poll()

            def register(self, fd: int, events: int) -> None:
                self.poller.register(fd, events)

            def poll(self, timeout: float) -> list[tuple[int, int]]:
                waits.append(timeout)
                return self.poller.poll(timeout)

        monkeypatch.setattr(select, "poll", Poller)
    else:
        monkeypatch.delattr("select.poll")  # as on Windows
        select_ = select.select

        def recording(*lists_and_timeout: Any) -> Any:
            waits.append(lists_and_timeout[3])
            return select_(*lists_and_timeout)

        monkeypatch.setattr(select, "select", recording)

    async def main() -> None:
        async with serving(silent) as server:
            stream = await _backend(core).connect_tcp("127.0.0.1", server.port)
            assert stream.get_extra_info("is_readable") is False
            await stream.aclose()

    _run(main())
    assert waits == [0]


def test_without_poll_readability_is_asked_of_select(
    core: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr("select.poll")  # as on Windows

    async def main() -> None:
        async with serving(answering(b"!")) as server:
            stream = await _backend(core).connect_tcp("127.0.0.1", server.port)
            assert stream.get_extra_info("is_readable") is False
            stream._transport.pause_reading()
            await stream.write(b"GET / HTTP/1.1\r\n\r\n")
            await until(lambda: stream.get_extra_info("is_readable"))
            assert not stream._protocol.buffer
            await stream.aclose()

    _run(main())


def test_a_read_waiting_when_the_server_hangs_up_gets_the_end(core: ModuleType) -> None:
    async def main() -> None:
        hang_up = asyncio.Event()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await hang_up.wait()

        async with serving(handle) as server:
            stream = await _backend(core).connect_tcp("127.0.0.1", server.port)
            reading = asyncio.ensure_future(stream.read(1024, timeout=5))
            await asyncio.sleep(0)
            assert stream._protocol.waiter is not None  # waiting for bytes
            hang_up.set()
            assert await reading == b""
            assert await stream.read(1024) == b""  # and again, at once
            await stream.aclose()

    _run(main())


def test_a_write_over_the_socket_buffers_waits_until_the_peer_takes_it(core: ModuleType) -> None:
    size = 32 * 1024 * 1024

    async def main() -> None:
        received = asyncio.get_running_loop().create_future()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            received.set_result(len(await reader.readexactly(size)))

        async with serving(handle) as server:
            stream = await _backend(core).connect_tcp("127.0.0.1", server.port)
            writing = asyncio.ensure_future(stream.write(b"x" * size, timeout=5))
            await asyncio.sleep(0)
            assert not writing.done()  # more than the socket takes at once: it waits
            await writing
            assert stream._protocol.writable
            assert await received == size
            await stream.aclose()

    _run(main())


def test_a_timer_that_fires_after_the_wait_ended_changes_nothing() -> None:
    async def main() -> None:
        future = asyncio.get_running_loop().create_future()
        future.set_result(None)
        _aio_network._expire(future)  # the bytes and the timer came in one loop turn
        assert future.result() is None

    _run(main())


def test_a_refused_connection_is_a_connect_error(core: ModuleType) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # bound, not listening: connections are refused

        async def main() -> None:
            with pytest.raises(core.ConnectError, match=rf"Errno.*'127.0.0.1', {port}"):
                await _backend(core).connect_tcp("127.0.0.1", port, timeout=5)

        _run(main())


def test_a_connect_that_takes_too_long_is_a_connect_timeout(
    core: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def never(*args: Any, **kwargs: Any) -> Any:
        await asyncio.Event().wait()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        monkeypatch.setattr(loop, "create_connection", never)
        with pytest.raises(core.ConnectTimeout, match=re.escape("could not connect within 0.01 s")):
            await _backend(core).connect_tcp("127.0.0.1", 9, timeout=0.01)

    _run(main())


def test_socket_options_are_applied_and_addresses_reported(core: ModuleType) -> None:
    async def main() -> None:
        async with serving(silent) as server:
            stream = await _backend(core).connect_tcp(
                "127.0.0.1",
                server.port,
                local_address="127.0.0.1",
                socket_options=[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)],
            )
            sock = stream.get_extra_info("socket")
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
            assert stream.get_extra_info("server_addr") == ("127.0.0.1", server.port)
            assert stream.get_extra_info("client_addr") == sock.getsockname()
            assert stream.get_extra_info("ssl_object") is None
            assert stream.get_extra_info("something else") is None
            await stream.aclose()

    _run(main())


def test_the_local_address_asked_for_is_the_one_bound(
    core: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    bound: list[Any] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        create_connection = loop.create_connection

        async def recording(*args: Any, **kwargs: Any) -> Any:
            bound.append(kwargs["local_addr"])
            return await create_connection(*args, **kwargs)

        monkeypatch.setattr(loop, "create_connection", recording)
        async with serving(silent) as server:
            for local_address in ("127.0.0.1", None):
                stream = await _backend(core).connect_tcp(
                    "127.0.0.1", server.port, local_address=local_address
                )
                await stream.aclose()

    _run(main())
    assert bound == [("127.0.0.1", 0), None]  # any port; no address: the OS chooses


def test_a_descriptor_over_1023_is_asked_by_poll() -> None:
    # select() refuses descriptors over 1023; a process with many files open has them.
    import os

    ours, theirs = socket.socketpair()
    with ours, theirs:
        high = os.dup2(ours.fileno(), 1500)
        with socket.socket(fileno=high) as sock:
            assert _aio_network._socket_readable(sock) is False
            theirs.send(b"!")
            assert _aio_network._socket_readable(sock) is True


def test_a_write_the_peer_does_not_take_is_a_write_timeout(core: ModuleType) -> None:
    async def main() -> None:
        async with serving(idle) as server:
            stream = await _backend(core).connect_tcp("127.0.0.1", server.port)
            with pytest.raises(core.WriteTimeout, match=re.escape("could not send for 0.05 s")):
                await stream.write(b"x" * (64 * 1024 * 1024), timeout=0.05)
            stream._transport.abort()

    _run(main())


def test_writing_to_a_closed_connection_is_a_write_error(core: ModuleType) -> None:
    async def main() -> None:
        async with serving(silent) as server:
            stream = await _backend(core).connect_tcp("127.0.0.1", server.port)
            await stream.write(b"")  # nothing to send: nothing checked
            await stream.aclose()
            with pytest.raises(core.WriteError, match=r"^the connection is closed$"):
                await stream.write(b"GET / HTTP/1.1\r\n\r\n")


def test_writing_to_a_connection_being_closed_is_a_write_error(core: ModuleType) -> None:
    async def main() -> None:
        async with serving(silent) as server:
            stream = await _backend(core).connect_tcp("127.0.0.1", server.port)
            stream._transport.close()  # closing; not yet lost
            with pytest.raises(core.WriteError, match=r"^the connection is closed$"):
                await stream.write(b"GET / HTTP/1.1\r\n\r\n")

    _run(main())


def test_a_connection_lost_while_a_write_waits_is_a_write_error(core: ModuleType) -> None:
    async def main() -> None:
        async with serving(idle) as server:
            stream = await _backend(core).connect_tcp("127.0.0.1", server.port)
            writing = asyncio.ensure_future(stream.write(b"x" * (64 * 1024 * 1024), timeout=5))
            await until(lambda: not stream._protocol.writable)
            stream._protocol.connection_lost(ConnectionResetError("reset by peer"))
            with pytest.raises(core.WriteError, match="reset by peer"):
                await writing
            stream._transport.abort()

    _run(main())


# --- TLS ------------------------------------------------------------------------------------


def _server_tls() -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(TLS / "loopback-cert.pem", TLS / "loopback-key.pem")
    return context


def _client_tls() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(TLS / "loopback-cert.pem"))


def test_https_goes_through_with_the_tls_object_reported(core: ModuleType) -> None:
    body = b"secret" * 100_000  # 600 KB: flow control through the TLS layer

    async def main() -> None:
        async with (
            serving(answering(body), tls=_server_tls()) as server,
            _pool(core, ssl_context=_client_tls()) as pool,
        ):
            for _ in range(2):
                response = await _get(pool, f"https://127.0.0.1:{server.port}/", timeout=5)
                assert response.content == body
            stream = response.extensions["network_stream"]
            assert isinstance(stream.get_extra_info("ssl_object"), ssl.SSLObject)
            assert server.connections == 1

    _run(main())


def test_a_certificate_the_client_does_not_trust_is_a_connect_error(core: ModuleType) -> None:
    async def main() -> None:
        async with (
            serving(answering(b"x"), tls=_server_tls()) as server,
            _pool(core, ssl_context=ssl.create_default_context()) as pool,
        ):
            with pytest.raises(core.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await _get(pool, f"https://127.0.0.1:{server.port}/", timeout=5)

    with warnings.catch_warnings():  # asyncio's own server reports the failed handshake
        warnings.simplefilter("ignore", ResourceWarning)
        _run(main(), server_errors=True)


def test_a_tls_connection_the_server_closed_is_readable_once_a_read_returned_its_end(
    core: ModuleType,
) -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readexactly(1)  # then closed: TLS's close_notify, then (once the
        # client's close_notify comes back) the socket

    async def main() -> None:
        async with serving(hang_up, tls=_server_tls()) as server:
            stream = await _backend(core).connect_tcp("127.0.0.1", server.port)
            stream = await stream.start_tls(_client_tls(), "127.0.0.1", timeout=5)
            try:
                await stream.write(b"?")
                assert await stream.read(1024, timeout=5) == b""  # waiting when the end came
                # The socket itself is still open, with nothing to read (Python 3.10's TLS
                # transport has let it go already): the end is known all the same, and the
                # connection is never taken for an idle one.
                sock = stream.get_extra_info("socket")
                assert sock is None or not _aio_network._socket_readable(sock)
                assert stream.get_extra_info("is_readable") is True
            finally:
                await stream.aclose()

    _run(main())


def test_a_server_that_never_starts_tls_is_a_connect_timeout(core: ModuleType) -> None:
    async def main() -> None:
        async with serving(silent) as server, _pool(core, ssl_context=_client_tls()) as pool:
            with pytest.raises(
                core.ConnectTimeout, match=re.escape("no TLS handshake within 0.05 s")
            ):
                await _get(pool, f"https://127.0.0.1:{server.port}/", timeout=0.05)

    _run(main())


# --- cancellation, other loops, the SDK's transport ---------------------------------------


class _Opened:
    def __init__(self) -> None:
        self.aborted = False

    def abort(self) -> None:
        self.aborted = True


def test_a_caller_cancelled_as_its_connection_opens_leaves_it_aborted() -> None:
    async def attempt(steps: int) -> tuple[bool, bool]:
        opened = _Opened()

        async def opening() -> tuple[_Opened, None]:
            return opened, None

        loop = asyncio.get_running_loop()
        caller = asyncio.ensure_future(_aio_network._within(loop, opening(), None))
        for _ in range(steps):
            await asyncio.sleep(0)
        caller.cancel()
        try:
            result = await caller
        except asyncio.CancelledError:
            await asyncio.sleep(0)
            return True, opened.aborted
        assert result == (opened, None)
        return False, opened.aborted

    async def main() -> list[tuple[bool, bool]]:
        return [await attempt(steps) for steps in range(1, 5)]  # 0: _within never starts

    outcomes = _run(main())
    assert (True, True) in outcomes  # cancelled after opening: the connection is aborted
    assert all(aborted == cancelled for cancelled, aborted in outcomes)


def test_a_cancelled_caller_stops_its_opening() -> None:
    async def main() -> None:
        stopped = asyncio.Event()

        async def opening() -> None:
            try:
                await asyncio.Event().wait()
            finally:
                stopped.set()

        caller = asyncio.ensure_future(
            _aio_network._within(asyncio.get_running_loop(), opening(), None)
        )
        await asyncio.sleep(0)
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
        await asyncio.wait_for(stopped.wait(), 5)

    _run(main())


class _Fallback:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    async def connect_tcp(self, *args: Any) -> str:
        self.calls.append(("tcp", *args))
        return "fallback stream"

    async def connect_unix_socket(self, *args: Any) -> str:
        self.calls.append(("unix", *args))
        return "fallback unix stream"

    async def sleep(self, seconds: float) -> None:
        self.calls.append(("sleep", seconds))


def _drive(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coroutine`` with no event loop (as trio would, as far as asyncio can tell)."""
    with pytest.raises(StopIteration) as stop:
        coroutine.send(None)
    return stop.value.value


def test_off_asyncio_and_for_unix_sockets_the_pools_own_backend_is_used() -> None:
    fallback = _Fallback()
    backend = _aio_network.AsyncioBackend(fallback, importlib.import_module("httpcore"))
    options = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
    assert _drive(backend.connect_tcp("h", 1, 2.0, "l", options)) == "fallback stream"
    assert _drive(backend.connect_unix_socket("/s", 3.0, options)) == "fallback unix stream"
    _drive(backend.sleep(0.5))
    assert fallback.calls == [
        ("tcp", "h", 1, 2.0, "l", options),
        ("unix", "/s", 3.0, options),
        ("sleep", 0.5),
    ]


def _own_transport(lib: Any) -> Any:
    backend = _http.load(lib.__name__)
    return _pools.async_transport_class(backend)(trust_env=False)


def test_the_sdk_transport_raises_its_library_s_errors(lib: Any) -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    async def main() -> None:
        async with (
            serving(silent) as server,
            lib.AsyncClient(transport=_own_transport(lib)) as client,
        ):
            with pytest.raises(lib.ReadTimeout):
                await client.get(f"http://127.0.0.1:{server.port}/", timeout=0.05)
        async with (
            serving(hang_up) as server,
            lib.AsyncClient(transport=_own_transport(lib)) as client,
        ):
            with pytest.raises(lib.RemoteProtocolError):
                await client.get(f"http://127.0.0.1:{server.port}/")
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        listener.close()  # nothing listens there now
        async with lib.AsyncClient(transport=_own_transport(lib)) as client:
            with pytest.raises(lib.ConnectError):
                await client.get(f"http://127.0.0.1:{port}/")

    _run(main())


def test_an_async_client_s_own_pool_uses_it_and_an_injected_one_does_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeMeetBot(seed=1, log_count=30, api_key=API_KEY)
    backend = _http.chosen_backend()
    opened: list[str] = []
    connect_tcp = _aio_network.AsyncioBackend.connect_tcp

    async def counting(self: Any, host: str, *args: Any, **kwargs: Any) -> Any:
        opened.append(host)
        return await connect_tcp(self, host, *args, **kwargs)

    monkeypatch.setattr(_aio_network.AsyncioBackend, "connect_tcp", counting)

    async def main(base_url: str) -> None:
        async with AsyncMeetBot(API_KEY, base_url=base_url) as client:
            page = await client.api_logs.get_page(page_size=10)
            assert len(page.logs) == 10
            assert opened == ["127.0.0.1"]
        async with backend.AsyncClient() as injected:
            client = AsyncMeetBot(API_KEY, base_url=base_url, http_client=injected)
            page = await client.api_logs.get_page(page_size=10)
            assert len(page.logs) == 10
            assert opened == ["127.0.0.1"]  # the library's own backend

    with fake.serve() as base_url:
        _run(main(base_url))


def test_with_a_proxy_in_the_environment_the_async_pool_keeps_the_library_s_transport(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    backend = _http.chosen_backend()
    transport_class = _pools.async_transport_class(backend)
    pool = _pools.new_pool(backend, asynchronous=True, timeout=backend.Timeout(5.0), trust_env=True)
    assert not any(isinstance(value, transport_class) for _, value in _http.held_values(pool) or [])
    monkeypatch.delenv("HTTPS_PROXY")
    pool = _pools.new_pool(backend, asynchronous=True, timeout=backend.Timeout(5.0), trust_env=True)
    assert any(isinstance(value, transport_class) for _, value in _http.held_values(pool) or [])
