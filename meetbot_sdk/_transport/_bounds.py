"""The two bounds on one attempt: a deadline for the whole of it, and a size limit on the body.

httpx's timeouts are per operation: a read timeout of 1 s is met by a server that sends one
byte every 0.9 s, for as long as it likes. So each attempt also has a **deadline**, the sum
of the timeout's four parts (pool + connect + write + read): every phase may take its whole
allowance and the attempt still ends in time, while a server drip-feeding its answer is cut
off. A part set to ``None`` (no limit for that phase) means no deadline either.

- Async: the whole attempt (waiting for a connection, connecting, sending, the headers and
  the body) runs under :func:`asyncio.timeout` (``asyncio.wait_for`` on Python 3.10).
- Sync: the body is read chunk by chunk and the deadline looked at between chunks; one read
  in progress is still bounded by the read timeout alone, so the worst case is the deadline
  plus the read timeout. The status line and headers are not looked at between chunks
  (httpx offers no public hook there): they are bounded by the read timeout per read and
  by the library's limit on the size of a header block.

The body is limited to ``max_response_bytes``, both as received and once decompressed: a
``Content-Length`` over it is refused before a byte of the body is read, and a body that
grows past it stops being read at once. So a hostile answer costs at most the limit (twice,
briefly, while the chunks are joined) before it is refused. An async body whose
``Content-Length`` is within the limit and that has no ``Content-Encoding`` is read without
counting: the length frames it (httpcore's HTTP/1.1 reader stops there, its HTTP/2 one
refuses more), so it cannot grow past the limit. A sync body is counted all the same, as
its reader also looks at the deadline.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import httpx

    from meetbot_sdk._transport._http import Backend

__all__ = [
    "BodyTooLarge",
    "DeadlinePassed",
    "attempt_deadline",
    "read_body",
    "read_body_async",
    "within",
]

_T = TypeVar("_T")


class DeadlinePassed(Exception):  # noqa: N818 (a signal between the reader and the client)
    """The attempt ran past its deadline; the client raises its timeout error."""


class BodyTooLarge(Exception):  # noqa: N818 (a signal between the reader and the client)
    """The body is larger than the limit: ``announced`` is its ``Content-Length``, if that
    said so before anything was read, else ``None`` (it grew past the limit). ``response``:
    the response, closed, its body unread (set by the reader)."""

    response: httpx.Response

    def __init__(self, announced: int | None) -> None:
        super().__init__(announced)
        self.announced = announced


def attempt_deadline(timeout: httpx.Timeout) -> float | None:
    """Seconds one attempt may take in all: the sum of the timeout's four parts, or ``None``
    when a part is ``None`` (the user asked for no limit on that phase)."""
    parts = (timeout.pool, timeout.connect, timeout.write, timeout.read)
    if any(part is None for part in parts):
        return None
    return float(sum(part for part in parts if part is not None))


def _framing(response: httpx.Response) -> tuple[int | None, bool]:
    """The body's ``Content-Length`` (``None``: absent, repeated or unreadable) and whether
    it has a ``Content-Encoding``, in one pass over the headers."""
    lengths: list[bytes] = []
    encoded = False
    for name, value in response.headers.raw:
        lowered = name.lower()
        if lowered == b"content-length":
            lengths.append(value)
        elif lowered == b"content-encoding":
            encoded = True
    if len(lengths) != 1:
        return None, encoded
    length = lengths[0]
    if not length.isdigit() or len(length) > 20:
        return None, encoded
    return int(length), encoded


@functools.cache
def _guards(backend: Backend) -> tuple[type[Any], type[Any]]:
    """Byte streams of ``backend``'s library that count what a response's stream yields, stop
    it past the limit and (sync) past the deadline."""
    lib: Any = backend.module

    class SyncGuard(lib.SyncByteStream):  # type: ignore[misc]
        def __init__(self, inner: Any, limit: int, deadline: float | None) -> None:
            self._inner, self._limit, self._deadline = inner, limit, deadline

        def __iter__(self) -> Iterator[bytes]:
            size = 0
            for chunk in self._inner:
                size += len(chunk)
                if size > self._limit:
                    raise BodyTooLarge(None)
                if self._deadline is not None and time.monotonic() > self._deadline:
                    raise DeadlinePassed
                yield chunk

        def close(self) -> None:
            self._inner.close()

    class AsyncGuard(lib.AsyncByteStream):  # type: ignore[misc]
        def __init__(self, inner: Any, limit: int) -> None:
            self._inner, self._limit = inner, limit

        async def __aiter__(self) -> AsyncIterator[bytes]:
            size = 0
            async for chunk in self._inner:
                size += len(chunk)
                if size > self._limit:
                    raise BodyTooLarge(None)
                yield chunk

        async def aclose(self) -> None:
            await self._inner.aclose()

    return SyncGuard, AsyncGuard


def _rebuilt(response: httpx.Response, content: bytes, backend: Backend) -> httpx.Response:
    """``response`` with its decompressed ``content`` read: the headers as the server sent
    them (``Content-Encoding`` included), the content as httpx would have decoded it."""
    fresh = backend.Response(
        response.status_code,
        content=content,
        request=response.request,
        extensions=response.extensions,
    )
    fresh.headers = response.headers
    return fresh


def read_body(
    response: httpx.Response, limit: int, deadline: float | None, backend: Backend
) -> httpx.Response:
    """Read a streamed ``response``'s body within ``limit`` bytes and by ``deadline`` (on
    :func:`time.monotonic`); the response, read and closed.

    Raises:
        BodyTooLarge, DeadlinePassed: The response is closed, its body dropped.
        httpx.RequestError: Reading failed.
    """
    try:
        announced, encoded = _framing(response)
        if announced is not None and announced > limit:
            raise BodyTooLarge(announced)
        response.stream = _guards(backend)[0](response.stream, limit, deadline)
        if not encoded:
            response.read()
            return response
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:  # decompressed past the limit
                raise BodyTooLarge(None)
            chunks.append(chunk)
    except BaseException as exc:
        response.close()
        if isinstance(exc, BodyTooLarge):
            exc.response = response
        raise
    return _rebuilt(response, b"".join(chunks), backend)


async def read_body_async(response: httpx.Response, limit: int, backend: Backend) -> httpx.Response:
    """:func:`read_body` for an async response; the deadline is :func:`within`'s."""
    try:
        announced, encoded = _framing(response)
        if announced is not None and announced > limit:
            raise BodyTooLarge(announced)
        if not encoded:
            if announced is None:
                response.stream = _guards(backend)[1](response.stream, limit)
            # Else the length frames the body: httpcore reads no more than it (h11 stops
            # there, h2 refuses more), so there is nothing to count; the deadline is
            # within()'s.
            await response.aread()
            return response
        response.stream = _guards(backend)[1](response.stream, limit)
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(None)
            chunks.append(chunk)
    except BaseException as exc:
        await response.aclose()
        if isinstance(exc, BodyTooLarge):
            exc.response = response
        raise
    return _rebuilt(response, b"".join(chunks), backend)


async def within(seconds: float | None, awaitable: Awaitable[_T]) -> _T:
    """Await ``awaitable``, cancelled after ``seconds`` (``None``: no limit).

    Raises:
        DeadlinePassed: It took longer.
    """
    if seconds is None:
        return await awaitable
    import asyncio  # import time: loaded already, this runs in an event loop

    if sys.version_info >= (3, 11):
        try:
            async with asyncio.timeout(seconds):
                return await awaitable
        except TimeoutError:
            raise DeadlinePassed from None
    # 3.10 has no asyncio.timeout, and wait_for would run the attempt in a task of its own (a
    # copy of the context, and a cancellation from outside it may lose): cancel this task at
    # the deadline instead, as asyncio.timeout does, and tell that cancellation from others.
    task = asyncio.current_task()
    if task is None:  # not awaited in a task: nothing to cancel
        return await awaitable
    expired = False

    def expire() -> None:
        nonlocal expired
        expired = True
        task.cancel()

    timer = asyncio.get_running_loop().call_later(seconds, expire)
    try:
        return await awaitable
    except asyncio.CancelledError:
        if expired:
            raise DeadlinePassed from None
        raise
    finally:
        timer.cancel()
