"""Peak memory of one call answered with a 100 MB body that is almost JSON (a page whose
``logs`` list runs on for 100 MB and is never closed), served over loopback by a raw server
in another process, with and without a ``Content-Length``. Each call runs in a fresh client
process; the figure is how far its peak RSS (``ru_maxrss``) rose over the call.

``python -m benchmarks.bench_big_body`` prints the figures with the default
``max_response_bytes`` (16 MiB) and with the limit raised past the body (what every call
did before the limit existed). ``python -m benchmarks.bench_big_body client URL`` runs one
call alone, without passing ``max_response_bytes``: point it at another checkout with
``PYTHONPATH`` to measure that one.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import resource
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

BODY_BYTES = 100 * 1000 * 1000
_LOG = (
    b'{"id":123456,"method":"GET","path":"/api/v1/bots","statusCode":200,'
    b'"responseTimeMs":42,"apiKeyId":7,"apiKeyName":"ci","ipAddress":"10.0.0.1",'
    b'"userAgent":"curl/8.0","createdAt":"2024-01-15T10:30:00Z"},'
)
_START = b'{"total":1,"page":1,"page_size":100,"logs":['
_CHUNK = _LOG * (65536 // len(_LOG))


def main() -> None:
    with _server() as base_url:
        for framing in ("content-length", "chunked"):
            url = f"{base_url}/{framing}"
            for label, limit in (("default limit (16 MiB)", None), ("limit 1 GiB", 1 << 30)):
                grown, outcome = _client(url, limit)
                print(
                    f"100 MB almost-JSON, {framing:14}, {label:22} "
                    f"peak RSS +{grown / 1e6:7.1f} MB  {outcome}"
                )


def _client(url: str, limit: int | None) -> tuple[int, str]:
    args = [sys.executable, "-m", "benchmarks.bench_big_body", "client", url]
    if limit is not None:
        args.append(str(limit))
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout.split("\t")
    return int(out[0]), out[1].strip()


def client(url: str, limit: int | None) -> None:
    """One call in this process; prints the rise of peak RSS (bytes) and its outcome."""
    import meetbot_sdk  # the checkout under test: PYTHONPATH decides

    options: dict[str, Any] = {} if limit is None else {"max_response_bytes": limit}
    with meetbot_sdk.MeetBot("mb_bench_key", base_url=url, max_retries=0, **options) as bot:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            bot.api_logs.get_page()
            outcome = "decoded?!"
        except meetbot_sdk.MeetBotError as exc:
            outcome = f"{type(exc).__name__}: {str(exc)[:70]}"
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{(after - before) * 1024}\t{outcome}")  # ru_maxrss is in KiB on Linux


@contextlib.contextmanager
def _server() -> Iterator[str]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    process = multiprocessing.get_context("fork").Process(
        target=_serve, args=(listener,), daemon=True
    )
    process.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    finally:
        process.kill()
        process.join()
        listener.close()


def _serve(listener: socket.socket) -> None:
    while True:
        connection, _ = listener.accept()
        with connection, contextlib.suppress(OSError):
            head = b""
            while b"\r\n\r\n" not in head:
                head += connection.recv(4096)
            chunked = b"/chunked" in head.split(b"\r\n", 1)[0]
            framing = (
                b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % BODY_BYTES
            )
            connection.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n%s\r\n\r\n" % framing
            )
            sent = 0
            while sent < BODY_BYTES:
                piece = _START if sent == 0 else _CHUNK
                piece = piece[: BODY_BYTES - sent]
                connection.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                sent += len(piece)
            if chunked:
                connection.sendall(b"0\r\n\r\n")


if __name__ == "__main__":
    if sys.argv[1:2] == ["client"]:
        client(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else None)
    else:
        main()
