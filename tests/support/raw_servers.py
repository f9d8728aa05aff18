"""Raw HTTP/1.1 servers on 127.0.0.1 that misbehave below what the fake can script: they
write bytes to the socket as a hostile server would (drip-fed, endless, oversized)."""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator

Behaviour = Callable[[socket.socket, threading.Event], None]

_HEAD_LIMIT = 65536


@contextlib.contextmanager
def raw_server(behaviour: Behaviour) -> Iterator[tuple[str, list[float]]]:
    """Serve ``behaviour(connection, stop)`` to each connection, each in its own thread.

    Yields:
        The base URL (``http://127.0.0.1:PORT/v1``) and a list that gets the monotonic time
        at which each connection was accepted.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.02)
    stop = threading.Event()
    accepted: list[float] = []
    threads: list[threading.Thread] = []

    def serve(connection: socket.socket) -> None:
        with connection, contextlib.suppress(OSError):
            _read_head(connection)
            behaviour(connection, stop)

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(time.monotonic())
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            thread = threading.Thread(target=serve, args=(connection,), daemon=True)
            threads.append(thread)
            thread.start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1", accepted
    finally:
        stop.set()
        acceptor.join()
        listener.close()
        for thread in threads:
            thread.join(5)


def _read_head(connection: socket.socket) -> None:
    received = b""
    while b"\r\n\r\n" not in received and len(received) < _HEAD_LIMIT:
        chunk = connection.recv(4096)
        if not chunk:
            return
        received += chunk


def trickle(head: bytes, every: float) -> Behaviour:
    """Send ``head``, then one byte every ``every`` seconds until the client hangs up."""

    def behaviour(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(head)
        while not stop.wait(every):
            connection.sendall(b" ")

    return behaviour


def trickled_body(every: float) -> Behaviour:
    """A 200 that announces a 1 MB JSON body and drip-feeds it, a byte every ``every`` s."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
    return trickle(head, every)


def trickled_headers(every: float) -> Behaviour:
    """A status line, then a header whose value never ends, a byte every ``every`` s."""
    return trickle(b"HTTP/1.1 200 OK\r\nX-Slow: ", every)


def announced(length: int) -> Behaviour:
    """A 200 whose ``Content-Length`` announces ``length`` bytes; it sends none of them."""

    def behaviour(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % length
        )
        stop.wait(5)

    return behaviour


def endless_chunked() -> Behaviour:
    """A chunked 200 that sends 64 KiB chunks of almost-JSON (``[1,1,1,...``) for ever; the
    bytes it sent are counted in ``sent`` (one entry per connection)."""

    def behaviour(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"[" + b"1," * 32767 + b"1"
        connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        chunk = b"1," * 32768
        while not stop.is_set():
            connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))

    return behaviour


def gzip_bomb(decompressed: int) -> Behaviour:
    """A 200 whose gzip body is small on the wire and ``decompressed`` bytes once inflated."""
    body = gzip.compress(b"[" + b" " * (decompressed - 1), compresslevel=9)

    def behaviour(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        stop.wait(5)

    return behaviour
