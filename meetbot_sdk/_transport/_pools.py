"""The connection pools the SDK creates for itself (never an injected ``http_client``), one
pair per HTTP library (:func:`pool_classes`).

Each is the library's own ``Client`` / ``AsyncClient``, sending through the library's own
transport (so mocks of that transport, pytest-httpx's among them, intercept the SDK as they
do any client), with one change made through the client's public ``cookies`` property:
**no cookie jar.** The API sets no cookies and authenticates every request with its bearer
token, while httpx offers each response to its jar through ``http.cookiejar``'s urllib
adapters. The jar here keeps nothing and adds nothing (figures on :doc:`performance`).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from meetbot_sdk._transport._http import Backend, load

if TYPE_CHECKING:
    import httpx

__all__ = ["pool_classes"]  # and SyncPool, AsyncPool (httpx's, see __getattr__)


class _NoCookies:
    """What both pools add in front of their library's client class (first in the bases)."""

    # Set per library by pool_classes; named apart from anything of the library's client.
    _meetbot_no_cookies: httpx.Cookies

    @property
    def cookies(self) -> httpx.Cookies:
        """Always empty: see :mod:`meetbot_sdk._transport._pools`."""
        return self._meetbot_no_cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        """Nothing to set: the pool keeps no cookies."""


@functools.cache
def pool_classes(backend: Backend) -> tuple[type[httpx.Client], type[httpx.AsyncClient]]:
    """The ``(SyncPool, AsyncPool)`` of ``backend``'s library."""
    lib: Any = backend.module

    class NoCookies(lib.Cookies):  # type: ignore[misc]
        """A cookie jar that keeps nothing it is offered and adds nothing to requests."""

        def extract_cookies(self, response: httpx.Response) -> None:
            """Ignore ``response``'s ``Set-Cookie`` headers."""

        def set_cookie_header(self, request: httpx.Request) -> None:
            """Add no ``Cookie`` header to ``request``."""

    shared = {
        "__module__": __name__,
        "_meetbot_no_cookies": NoCookies(),  # holds nothing, so one can serve every pool
    }
    sync_pool = type(
        "SyncPool",
        (_NoCookies, lib.Client),
        {**shared, "__doc__": f"The {backend.name}.Client of a MeetBot that created its own."},
    )
    async_pool = type(
        "AsyncPool",
        (_NoCookies, lib.AsyncClient),
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
