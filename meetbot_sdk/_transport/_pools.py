"""The connection pools the SDK creates for itself (never an injected ``http_client``), one
pair per HTTP library (:func:`pool_classes`, made by :func:`new_pool`).

Each is the library's own ``Client`` / ``AsyncClient``, with one change made through the
client's public ``cookies`` property: **no cookie jar.** The API sets no cookies and
authenticates every request with its bearer token, while httpx offers each response to its
jar through ``http.cookiejar``'s urllib adapters. The jar here keeps nothing and adds nothing.

The sync pool sends through the library's own ``HTTPTransport``. The async pool sends
through the SDK's :class:`AsyncTransport` (see :func:`async_transport_class`): the library's
``AsyncHTTPTransport`` whose requests go to an httpcore ``AsyncConnectionPool`` made with the
public ``network_backend=`` argument, on asyncio's own transports
(:mod:`meetbot_sdk._transport._aio_network`) instead of anyio's. Everything else is the
library's: the same connection pool and limits, TLS context, exceptions (httpcore's mapped
to the library's as its own transport maps them), and mocks still intercept it: a mock that
replaces ``AsyncHTTPTransport.handle_async_request`` on the library's class (pytest-httpx's
``httpx_mock``) gets every request, as it does from any client. When the environment names
a proxy, the async pool keeps the library's own transport, which routes by it. Figures on
:doc:`performance`.
"""

from __future__ import annotations

import functools
import importlib
import urllib.request
from collections.abc import AsyncIterator
from types import TracebackType
from typing import TYPE_CHECKING, Any

from meetbot_sdk._transport._http import Backend, load

if TYPE_CHECKING:
    import httpx

__all__ = ["async_transport_class", "new_pool", "pool_classes"]  # and SyncPool, AsyncPool

# httpcore's exceptions and the library's of the same name: the map the library's own
# transport applies (each error becomes the most specific library class it is an instance of).
_MAPPED_ERRORS = (
    "TimeoutException",
    "ConnectTimeout",
    "ReadTimeout",
    "WriteTimeout",
    "PoolTimeout",
    "NetworkError",
    "ConnectError",
    "ReadError",
    "WriteError",
    "ProxyError",
    "UnsupportedProtocol",
    "ProtocolError",
    "LocalProtocolError",
    "RemoteProtocolError",
)
# The httpcore of each library.
_CORE = {"httpx": "httpcore", "httpx2": "httpcore2"}


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


def new_pool(
    backend: Backend, *, asynchronous: bool, timeout: httpx.Timeout, trust_env: bool
) -> httpx.Client | httpx.AsyncClient:
    """A pool of ``backend``'s library for a client to own (see the module docstring)."""
    sync_pool, async_pool = pool_classes(backend)
    options: dict[str, Any] = {"timeout": timeout, "follow_redirects": False}
    if not asynchronous:
        return sync_pool(trust_env=trust_env, **options)
    if trust_env and urllib.request.getproxies():
        # The library routes by the environment's proxies (and NO_PROXY) only over
        # transports it made itself: keep its own. (It reads them from the same function.)
        return async_pool(trust_env=True, **options)
    transport = async_transport_class(backend)(trust_env=trust_env)
    return async_pool(transport=transport, trust_env=trust_env, **options)


@functools.cache
def async_transport_class(backend: Backend) -> type[httpx.AsyncHTTPTransport]:
    """The SDK's ``AsyncTransport`` for ``backend``'s library (see the module docstring)."""
    # import time: asyncio's network layer loads with the first async client
    from meetbot_sdk._transport._aio_network import AsyncioBackend

    lib: Any = backend.module
    core: Any = importlib.import_module(_CORE[backend.name])
    errors = [(getattr(core, name), getattr(lib, name)) for name in _MAPPED_ERRORS]
    library_class: Any = lib.AsyncHTTPTransport
    own_module = f"{backend.name}."

    def mapped(exc: Exception) -> Exception | None:
        """The library's exception for httpcore's ``exc``, or ``None``."""
        found = None
        for core_class, library_error in errors:
            if isinstance(exc, core_class) and (found is None or issubclass(library_error, found)):
                found = library_error
        return None if found is None else found(str(exc))

    class ResponseStream(lib.AsyncByteStream):  # type: ignore[misc]
        def __init__(self, stream: Any) -> None:
            self._stream = stream

        async def __aiter__(self) -> AsyncIterator[bytes]:
            try:
                async for part in self._stream:
                    yield part
            except Exception as exc:
                error = mapped(exc)
                if error is None:
                    raise
                raise error from exc

        async def aclose(self) -> None:
            await self._stream.aclose()

    class AsyncTransport(library_class):  # type: ignore[misc]
        """The library's ``AsyncHTTPTransport``, sending over an httpcore pool on asyncio's
        own transports (its inherited pool serves a mock that hands a request back)."""

        def __init__(self, *, trust_env: bool) -> None:
            ssl_context = lib.create_ssl_context(trust_env=trust_env)  # one for both pools
            super().__init__(verify=ssl_context, trust_env=trust_env)
            self.connections = core.AsyncConnectionPool(
                ssl_context=ssl_context,
                max_connections=100,  # the library's default limits
                max_keepalive_connections=20,
                keepalive_expiry=5.0,
                network_backend=AsyncioBackend(core.AnyIOBackend(), core),
            )

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            handler = library_class.handle_async_request
            if not getattr(handler, "__module__", "").startswith(own_module):
                # A mock replaced the library's method on its class: it gets the request,
                # as it would from any client of the library.
                return await handler(self, request)  # type: ignore[no-any-return]
            url = request.url
            core_request = core.Request(
                method=request.method,
                url=core.URL(
                    scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
                ),
                headers=request.headers.raw,
                content=request.stream,
                extensions=request.extensions,
            )
            try:
                answer = await self.connections.handle_async_request(core_request)
            except Exception as exc:
                error = mapped(exc)
                if error is None:
                    raise
                raise error from exc
            return lib.Response(  # type: ignore[no-any-return]
                status_code=answer.status,
                headers=answer.headers,
                stream=ResponseStream(answer.stream),
                extensions=answer.extensions,
            )

        async def aclose(self) -> None:
            await self.connections.aclose()
            await super().aclose()

        async def __aexit__(
            self,
            exc_type: type[BaseException] | None = None,
            exc_value: BaseException | None = None,
            traceback: TracebackType | None = None,
        ) -> None:
            await self.connections.aclose()
            await super().__aexit__(exc_type, exc_value, traceback)

    AsyncTransport.__module__ = __name__
    return AsyncTransport


def __getattr__(name: str) -> Any:
    """``SyncPool`` and ``AsyncPool``: httpx's pair, made on first use."""
    if name in ("SyncPool", "AsyncPool"):
        sync_pool, async_pool = pool_classes(load("httpx"))
        return sync_pool if name == "SyncPool" else async_pool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
