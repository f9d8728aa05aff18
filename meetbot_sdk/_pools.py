"""The connection pools the SDK creates for itself (never an injected ``http_client``).

They are plain :class:`httpx.Client` / :class:`httpx.AsyncClient` without a cookie jar. The
API sets no cookies and authenticates every request with its bearer token, while httpx
offers each response to its jar through ``http.cookiejar``'s urllib adapters: an
``urllib.request.Request`` and an ``email.message.Message`` of every header, per response,
about 7 % of the client CPU of a ``get_page(100)``. An empty jar that ignores what it is
offered removes that; nothing else changes.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["AsyncPool", "SyncPool"]


class _NoCookies(httpx.Cookies):
    """A cookie jar that keeps nothing it is offered and adds nothing to requests."""

    def extract_cookies(self, response: httpx.Response) -> None:
        """Ignore ``response``'s ``Set-Cookie`` headers."""

    def set_cookie_header(self, request: httpx.Request) -> None:
        """Add no ``Cookie`` header to ``request``."""


_NO_COOKIES = _NoCookies()  # holds nothing, so one can serve every pool


class _Cookieless:
    """Replaces the ``cookies`` of an httpx client (placed before it in the bases)."""

    @property
    def cookies(self) -> httpx.Cookies:
        """Always empty: see :mod:`meetbot_sdk._pools`."""
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        """Nothing to set: the pool keeps no cookies."""


class SyncPool(_Cookieless, httpx.Client):
    """The :class:`httpx.Client` of a :class:`~meetbot_sdk.MeetBot` that created its own."""


class AsyncPool(_Cookieless, httpx.AsyncClient):
    """The :class:`httpx.AsyncClient` of an :class:`~meetbot_sdk.AsyncMeetBot` that
    created its own."""
