"""The connection pools the SDK creates for itself (never an injected ``http_client``), one
pair per HTTP library (:func:`pool_classes`; httpx2 keeps the httpx privates used here).

They are the library's ``Client`` / ``AsyncClient`` with two shortcuts, both measured
on a ``get_page(100)`` against a server in another process (see :doc:`performance`):

- **No cookie jar.** The API sets no cookies and authenticates every request with its bearer
  token, while httpx offers each response to its jar through ``http.cookiejar``'s urllib
  adapters (an ``urllib.request.Request`` and an ``email.message.Message`` of every header):
  about 7 % of the client CPU of a call. The jar here keeps nothing.
- **A direct send** for the one kind of request the SDK makes (no auth flow, no redirects, no
  event hooks, read at once): straight to the transport httpx would pick, skipping the auth
  and redirect generators and the bound stream, which cost the asyncio client about 80 µs a
  call (10 %). What httpx's own ``send`` leaves on a response is left the same way: the
  request, ``elapsed``, ``next_request`` for a redirect, and its ``HTTP Request:`` INFO log
  line. Any other request (streamed, with auth, following redirects, without a timeout, or
  with hooks installed) goes through httpx's ``send`` unchanged.

The async pool's direct transport also reads and writes through asyncio's own transports
instead of anyio's streams (:mod:`meetbot_sdk._transport._aio_network`): 13-20 % of an async call.
"""

from __future__ import annotations

import datetime
import functools
import logging
import time
from typing import TYPE_CHECKING, Any

from meetbot_sdk._transport._http import Backend, load

if TYPE_CHECKING:
    import httpx

__all__ = ["pool_classes"]  # and SyncPool, AsyncPool (httpx's, see __getattr__)

_UNSET: Any = object()  # "the client's default": mapped to the library's own marker


class _Lean:
    """What both pools add in front of their library's client class (first in the bases)."""

    is_closed: bool
    event_hooks: dict[str, list[Any]]
    # Set per library by pool_classes:
    _no_cookies: httpx.Cookies
    _library_logger: logging.Logger  # where the library's send logs each request
    _request_error: type[httpx.RequestError]
    _use_client_default: Any

    @property
    def cookies(self) -> httpx.Cookies:
        """Always empty: see :mod:`meetbot_sdk._transport._pools`."""
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        """Nothing to set: the pool keeps no cookies."""

    def _sends_directly(
        self, request: httpx.Request, stream: bool, auth: Any, follow_redirects: Any
    ) -> bool:
        """Whether the direct send does exactly what the library's ``send`` would."""
        if self.is_closed:
            return False  # the library's send raises its own error for a closed client
        hooks = self.event_hooks
        return (
            not stream
            and auth is None
            and follow_redirects is False
            and "timeout" in request.extensions
            and not request.url.userinfo
            and not hooks["request"]
            and not hooks["response"]
        )

    def _defaults(self, auth: Any, follow_redirects: Any) -> tuple[Any, Any]:
        default = self._use_client_default
        return (
            default if auth is _UNSET else auth,
            default if follow_redirects is _UNSET else follow_redirects,
        )

    def _finish(self, request: httpx.Request, response: httpx.Response, started: float) -> None:
        """Leave on ``response`` what the library's send leaves: request, elapsed, log line."""
        response.elapsed = datetime.timedelta(seconds=time.perf_counter() - started)
        if response.has_redirect_location:
            response.next_request = self._build_redirect_request(request, response)  # type: ignore[attr-defined]
        self._library_logger.info(
            'HTTP Request: %s %s "%s %d %s"',
            request.method,
            request.url,
            response.http_version,
            response.status_code,
            response.reason_phrase,
        )


class _SyncSend(_Lean):
    def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: Any = _UNSET,
        follow_redirects: Any = _UNSET,
    ) -> httpx.Response:
        """The library's ``Client.send``, directly to the transport when that changes nothing."""
        auth, follow_redirects = self._defaults(auth, follow_redirects)
        if not self._sends_directly(request, stream, auth, follow_redirects):
            response: httpx.Response = super().send(  # type: ignore[misc]
                request, stream=stream, auth=auth, follow_redirects=follow_redirects
            )
            return response
        transport = self._transport_for_url(request.url)  # type: ignore[attr-defined]
        started = time.perf_counter()
        try:
            response = transport.handle_request(request)
        except self._request_error as exc:
            exc.request = request
            raise
        response.request = request
        try:
            response.read()
        except BaseException:
            response.close()
            raise
        self._finish(request, response, started)
        return response


class _AsyncSend(_Lean):
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        from meetbot_sdk._transport._aio_network import install  # import time: async only

        install(self._transport)  # type: ignore[attr-defined]

    async def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: Any = _UNSET,
        follow_redirects: Any = _UNSET,
    ) -> httpx.Response:
        """The library's ``AsyncClient.send``, directly to the transport when that changes
        nothing."""
        auth, follow_redirects = self._defaults(auth, follow_redirects)
        if not self._sends_directly(request, stream, auth, follow_redirects):
            response: httpx.Response = await super().send(  # type: ignore[misc]
                request, stream=stream, auth=auth, follow_redirects=follow_redirects
            )
            return response
        transport = self._transport_for_url(request.url)  # type: ignore[attr-defined]
        started = time.perf_counter()
        try:
            response = await transport.handle_async_request(request)
        except self._request_error as exc:
            exc.request = request
            raise
        response.request = request
        try:
            await response.aread()
        except BaseException:
            await response.aclose()
            raise
        self._finish(request, response, started)
        return response


@functools.cache
def pool_classes(backend: Backend) -> tuple[type[httpx.Client], type[httpx.AsyncClient]]:
    """The lean ``(SyncPool, AsyncPool)`` of ``backend``'s library."""
    lib: Any = backend.module

    class NoCookies(lib.Cookies):  # type: ignore[misc]
        """A cookie jar that keeps nothing it is offered and adds nothing to requests."""

        def extract_cookies(self, response: httpx.Response) -> None:
            """Ignore ``response``'s ``Set-Cookie`` headers."""

        def set_cookie_header(self, request: httpx.Request) -> None:
            """Add no ``Cookie`` header to ``request``."""

    shared = {
        "__module__": __name__,
        "_no_cookies": NoCookies(),  # holds nothing, so one can serve every pool
        "_library_logger": logging.getLogger(backend.logger_name),
        "_request_error": backend.RequestError,
        "_use_client_default": backend.USE_CLIENT_DEFAULT,
    }
    sync_pool = type(
        "SyncPool",
        (_SyncSend, lib.Client),
        {**shared, "__doc__": f"The {backend.name}.Client of a MeetBot that created its own."},
    )
    async_pool = type(
        "AsyncPool",
        (_AsyncSend, lib.AsyncClient),
        {
            **shared,
            "__doc__": f"The {backend.name}.AsyncClient of an AsyncMeetBot that created its own.",
        },
    )
    return sync_pool, async_pool


def __getattr__(name: str) -> Any:
    """``SyncPool`` and ``AsyncPool``: httpx's pair, made on first use."""
    if name in ("SyncPool", "AsyncPool"):
        sync_pool, async_pool = pool_classes(load("httpx"))
        return sync_pool if name == "SyncPool" else async_pool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
