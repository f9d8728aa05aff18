"""The connection pools the SDK creates for itself (never an injected ``http_client``).

They are :class:`httpx.Client` / :class:`httpx.AsyncClient` with two shortcuts, both measured
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
"""

from __future__ import annotations

import datetime
import logging
import time
from typing import Any

import httpx

__all__ = ["AsyncPool", "SyncPool"]

_httpx_logger = logging.getLogger("httpx")  # where httpx's send logs each request


class _NoCookies(httpx.Cookies):
    """A cookie jar that keeps nothing it is offered and adds nothing to requests."""

    def extract_cookies(self, response: httpx.Response) -> None:
        """Ignore ``response``'s ``Set-Cookie`` headers."""

    def set_cookie_header(self, request: httpx.Request) -> None:
        """Add no ``Cookie`` header to ``request``."""


_NO_COOKIES = _NoCookies()  # holds nothing, so one can serve every pool


class _Lean:
    """What both pools add in front of their httpx client class (first in the bases)."""

    is_closed: bool
    event_hooks: dict[str, list[Any]]

    @property
    def cookies(self) -> httpx.Cookies:
        """Always empty: see :mod:`meetbot_sdk._pools`."""
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        """Nothing to set: the pool keeps no cookies."""

    def _sends_directly(
        self, request: httpx.Request, stream: bool, auth: Any, follow_redirects: Any
    ) -> bool:
        """Whether the direct send does exactly what httpx's ``send`` would."""
        if self.is_closed:
            return False  # httpx's send raises its own error for a closed client
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

    def _finish(self, request: httpx.Request, response: httpx.Response, started: float) -> None:
        """Leave on ``response`` what httpx's send leaves: request, elapsed, log line."""
        response.elapsed = datetime.timedelta(seconds=time.perf_counter() - started)
        if response.has_redirect_location:
            response.next_request = self._build_redirect_request(request, response)  # type: ignore[attr-defined]
        _httpx_logger.info(
            'HTTP Request: %s %s "%s %d %s"',
            request.method,
            request.url,
            response.http_version,
            response.status_code,
            response.reason_phrase,
        )


class SyncPool(_Lean, httpx.Client):
    """The :class:`httpx.Client` of a :class:`~meetbot_sdk.MeetBot` that created its own."""

    def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: Any = httpx.USE_CLIENT_DEFAULT,
        follow_redirects: Any = httpx.USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        """:meth:`httpx.Client.send`, directly to the transport when that changes nothing."""
        if not self._sends_directly(request, stream, auth, follow_redirects):
            return super().send(
                request, stream=stream, auth=auth, follow_redirects=follow_redirects
            )
        transport = self._transport_for_url(request.url)
        started = time.perf_counter()
        try:
            response = transport.handle_request(request)
        except httpx.RequestError as exc:
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


class AsyncPool(_Lean, httpx.AsyncClient):
    """The :class:`httpx.AsyncClient` of an :class:`~meetbot_sdk.AsyncMeetBot` that
    created its own."""

    async def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: Any = httpx.USE_CLIENT_DEFAULT,
        follow_redirects: Any = httpx.USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        """:meth:`httpx.AsyncClient.send`, directly to the transport when that changes
        nothing."""
        if not self._sends_directly(request, stream, auth, follow_redirects):
            return await super().send(
                request, stream=stream, auth=auth, follow_redirects=follow_redirects
            )
        transport = self._transport_for_url(request.url)
        started = time.perf_counter()
        try:
            response = await transport.handle_async_request(request)
        except httpx.RequestError as exc:
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
