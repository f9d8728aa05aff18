"""A real HTTP/1.1 server on 127.0.0.1 in front of the fake's dispatch point."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from meetbot_sdk.testing._exchange import API_PREFIX, RequestParts

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from meetbot_sdk.testing._exchange import FakeResponse

    Dispatch = Callable[[RequestParts], FakeResponse]

LOOPBACK_HOST = "127.0.0.1"
# How often the accept loop looks for a shutdown request; it bounds how long leaving
# ``serve()`` takes.
_POLL_INTERVAL_SECONDS = 0.02


@contextlib.contextmanager
def serve_loopback(dispatch: Dispatch, port: int = 0) -> Iterator[str]:
    """Serve ``dispatch`` on a loopback port from a daemon thread.

    Args:
        dispatch: Answers each request.
        port: The port to listen on; 0 lets the OS choose a free one.

    Yields:
        The base URL, e.g. ``"http://127.0.0.1:54321/v1"``.
    """
    server = _LoopbackServer(dispatch, port)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": _POLL_INTERVAL_SECONDS},
        name=f"fake-meetbot-{server.server_port}",
        daemon=True,
    )
    thread.start()
    try:
        yield f"http://{LOOPBACK_HOST}:{server.server_port}{API_PREFIX}"
    finally:
        server.shutdown()
        server.close_connections()
        server.server_close()
        thread.join()


class _LoopbackServer(ThreadingHTTPServer):
    """Threads per connection; remembers open connections so that closing ends them too."""

    daemon_threads = True
    # socketserver listens with a backlog of 5: a fleet of clients connecting at once would
    # overflow it, and a dropped SYN is sent again only after a second.
    request_queue_size = 128

    def __init__(self, dispatch: Dispatch, port: int = 0) -> None:
        super().__init__((LOOPBACK_HOST, port), _Handler)
        self.dispatch = dispatch
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def forget(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        """End keep-alive connections a client left open, so their threads finish."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-exchange is normal for a test server, not worth a
        # traceback on stderr.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle's algorithm the body waits for
    # the client's delayed ACK, about 40 ms per keep-alive request.
    disable_nagle_algorithm = True
    server: _LoopbackServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.forget(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests and demos do not want an access log on stderr."""

    def do_GET(self) -> None:
        self._answer(send_body=True)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET  # noqa: N815

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, *, send_body: bool) -> None:
        self._discard_body()
        response = self.server.dispatch(
            RequestParts(method=self.command, target=self.path, headers=tuple(self.headers.items()))
        )
        if response.delay:
            time.sleep(response.delay)  # in this connection's thread: others go on meanwhile
        if response.action == "drop":
            self.close_connection = True
            return
        body = response.body if send_body else b""
        if response.action == "truncate":
            body = body[: len(body) // 2]
            self.close_connection = True
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(body)

    def _discard_body(self) -> None:
        # Reading the body keeps the connection in step for the next request on it.
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            return
        length = self.headers.get("Content-Length")
        if length and length.isdigit():
            self.rfile.read(int(length))
