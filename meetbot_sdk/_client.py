"""The clients. ``_BaseClient`` holds everything that does no I/O (configuration, request
building, response decoding, error mapping); :class:`MeetBot` and :class:`AsyncMeetBot` only
send.
"""

from __future__ import annotations

import ipaddress
import json
import os
import platform
import sys
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

import attrs
import httpx

from meetbot_sdk import _endpoints
from meetbot_sdk._converter import DecodeError, structure
from meetbot_sdk._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    MeetBotError,
    status_error,
)
from meetbot_sdk._resources import (
    AnalyticsResource,
    ApiKeysResource,
    ApiLogsResource,
    AsyncAnalyticsResource,
    AsyncApiKeysResource,
    AsyncApiLogsResource,
)
from meetbot_sdk._version import __version__

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from typing import Self
    else:
        from typing_extensions import Self

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "AsyncMeetBot",
    "MeetBot",
]

DEFAULT_BASE_URL = "https://api.meetbot.dev/v1"
"""Where the API lives unless ``base_url`` or ``MEETBOT_BASE_URL`` says otherwise."""

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
"""5 s to connect, 30 s for each read, write and wait for a pooled connection."""

DEFAULT_MAX_RETRIES = 2
"""How many times a client may retry a failed request (stored and validated; retrying itself
lands with the retry policy, see the changelog)."""

API_KEY_ENV = "MEETBOT_API_KEY"
BASE_URL_ENV = "MEETBOT_BASE_URL"

USER_AGENT = (
    f"meetbot-sdk-python/{__version__} httpx/{httpx.__version__} python/{platform.python_version()}"
)

T = TypeVar("T")
_HttpT = TypeVar("_HttpT", httpx.Client, httpx.AsyncClient)


@attrs.frozen
class _Config:
    """What a client is configured with; immutable, so copies can share it safely."""

    api_key: str = attrs.field(repr=False)
    base_url: str
    timeout: httpx.Timeout
    max_retries: int


def _resolve_api_key(api_key: str | None) -> str:
    if api_key is None:
        api_key = os.environ.get(API_KEY_ENV) or None
    if api_key is None:
        raise MeetBotError(
            f"No API key: pass api_key=... to the client or set the {API_KEY_ENV} "
            "environment variable."
        )
    if not isinstance(api_key, str):
        raise TypeError(f"api_key must be a str, got {type(api_key).__name__}")
    if not api_key or not api_key.isprintable() or any(c.isspace() for c in api_key):
        # The key itself is never echoed, not even when it is malformed.
        raise ValueError("api_key must be a non-empty string without spaces or control characters")
    return api_key


def _resolve_base_url(base_url: str | httpx.URL | None) -> str:
    if base_url is None:
        base_url = os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    if not isinstance(base_url, (str, httpx.URL)):
        raise TypeError(f"base_url must be a str or httpx.URL, got {type(base_url).__name__}")
    try:
        url = httpx.URL(str(base_url))
    except httpx.InvalidURL as exc:
        raise ValueError(f"base_url is not a valid URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"base_url must be an absolute http(s) URL, got {str(base_url)!r}")
    if url.userinfo:
        raise ValueError("base_url must not contain credentials; pass api_key instead")
    if url.query or url.fragment:
        raise ValueError(f"base_url must not have a query or fragment, got {str(url)!r}")
    if url.scheme == "http" and not _is_loopback(url.host):
        raise ValueError(
            f"refusing plain http:// base_url for host {url.host!r}: the bearer token would "
            "travel in clear text. Use https://, or http:// only for a loopback host "
            "(127.0.0.0/8, ::1, localhost)."
        )
    return str(url).rstrip("/")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _resolve_timeout(timeout: float | httpx.Timeout) -> httpx.Timeout:
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(
            f"timeout must be seconds as a float or an httpx.Timeout, got {type(timeout).__name__}"
        )
    if not timeout > 0 or timeout == float("inf"):
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    return httpx.Timeout(float(timeout))


def _make_config(
    api_key: str | None,
    base_url: str | httpx.URL | None,
    timeout: float | httpx.Timeout,
    max_retries: int,
) -> _Config:
    return _Config(
        api_key=_resolve_api_key(api_key),
        base_url=_resolve_base_url(base_url),
        timeout=_resolve_timeout(timeout),
        max_retries=_endpoints.check_int("max_retries", max_retries, minimum=0),
    )


class _BaseClient(Generic[_HttpT]):
    """Configuration, request building and response handling: everything but sending."""

    _http_class: ClassVar[type[httpx.Client | httpx.AsyncClient]]
    _resource_classes: ClassVar[dict[str, type]]
    _config: _Config
    _http: _HttpT
    _owns_http: bool

    def __init__(
        self,
        api_key: str | None,
        *,
        base_url: str | httpx.URL | None,
        timeout: float | httpx.Timeout,
        max_retries: int,
        http_client: _HttpT | None,
    ) -> None:
        config = _make_config(api_key, base_url, timeout, max_retries)
        if http_client is not None:
            if not isinstance(http_client, self._http_class):
                expected = f"httpx.{self._http_class.__qualname__}"
                raise TypeError(
                    f"http_client must be an {expected}, got {type(http_client).__name__}"
                )
            self._setup(config, http_client, owns_http=False)
        else:
            http = self._http_class(timeout=config.timeout, follow_redirects=False)
            self._setup(config, cast("_HttpT", http), owns_http=True)

    def _setup(self, config: _Config, http: _HttpT, *, owns_http: bool) -> None:
        self._config = config
        self._http = http
        self._owns_http = owns_http
        self._headers = {
            "Authorization": f"Bearer {config.api_key}",
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }
        for name, resource_class in self._resource_classes.items():
            setattr(self, name, resource_class(self))

    @property
    def base_url(self) -> str:
        """The API's base URL, without a trailing slash."""
        return self._config.base_url

    @property
    def timeout(self) -> httpx.Timeout:
        """The timeout applied to every request."""
        return self._config.timeout

    @property
    def max_retries(self) -> int:
        """How many times a failed request may be retried."""
        return self._config.max_retries

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
    ) -> Self:
        """Return a copy of the client with some options changed.

        The copy shares the connection pool (and the credential) of this client, so it is
        cheap: make one per call site that needs a different timeout. Closing the copy leaves
        the pool open; closing the client that created the pool closes it for every copy.

        Args:
            timeout: Seconds, or an :class:`httpx.Timeout`; ``None`` keeps the current one.
            max_retries: ``None`` keeps the current value.
        """
        changes: dict[str, Any] = {}
        if timeout is not None:
            changes["timeout"] = _resolve_timeout(timeout)
        if max_retries is not None:
            changes["max_retries"] = _endpoints.check_int("max_retries", max_retries, minimum=0)
        clone = type(self).__new__(type(self))
        clone._setup(attrs.evolve(self._config, **changes), self._http, owns_http=False)
        return clone

    def _build_request(self, call: _endpoints.APICall[Any]) -> httpx.Request:
        return self._http.build_request(
            call.method,
            self._config.base_url + call.path,
            params=call.params,
            headers=self._headers,
            timeout=self._config.timeout,
        )

    def _process_response(self, call: _endpoints.APICall[T], response: httpx.Response) -> T:
        if not response.is_success:
            raise status_error(response, secret=self._config.api_key)
        try:
            body = json.loads(response.content)
        except ValueError:  # JSONDecodeError and UnicodeDecodeError alike
            raise APIResponseValidationError(
                f"{response.status_code} response to {call.method} {call.path} is not valid JSON",
                response=response,
                body=None,
            ) from None
        try:
            return structure(body, call.model)
        except DecodeError as exc:
            raise APIResponseValidationError(
                f"response does not fit {call.model.__name__}: {exc}",
                response=response,
                body=body,
                path=exc.path,
            ) from None

    @staticmethod
    def _connection_error(exc: httpx.RequestError, request: httpx.Request) -> APIConnectionError:
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(f"Request timed out ({type(exc).__name__})", request=request)
        detail = str(exc) or type(exc).__name__
        return APIConnectionError(f"Connection error: {detail}", request=request)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self._config.base_url!r}, "
            f"max_retries={self._config.max_retries})"
        )


class MeetBot(_BaseClient[httpx.Client]):
    """The synchronous client. Safe to share between threads.

    Args:
        api_key: The bearer credential (an API key or a user access token); defaults to the
            ``MEETBOT_API_KEY`` environment variable.
        base_url: Defaults to ``MEETBOT_BASE_URL``, then ``https://api.meetbot.dev/v1``.
            ``http://`` is accepted for loopback hosts only.
        timeout: Seconds, or an :class:`httpx.Timeout` (default :data:`DEFAULT_TIMEOUT`).
        max_retries: How often a failed request may be retried (default 2).
        http_client: An :class:`httpx.Client` to send with (proxies, mTLS, custom transports).
            The SDK never closes a client it did not create.

    Raises:
        MeetBotError: No API key was given and ``MEETBOT_API_KEY`` is not set.
        ValueError: An argument is out of range, or ``base_url`` is plain http to a
            non-loopback host.

    Example:
        >>> with MeetBot() as client:  # doctest: +SKIP
        ...     print(client.analytics.get(period="7d").api_calls.total)
    """

    analytics: AnalyticsResource
    """Account analytics, see :meth:`AnalyticsResource.get`."""
    api_logs: ApiLogsResource
    """Request logs, see :meth:`ApiLogsResource.get_page`."""
    api_keys: ApiKeysResource
    """Per-key usage, see :meth:`ApiKeysResource.get_usage`."""

    _http_class = httpx.Client
    _resource_classes: ClassVar[dict[str, type]] = {
        "analytics": AnalyticsResource,
        "api_logs": ApiLogsResource,
        "api_keys": ApiKeysResource,
    }

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | httpx.URL | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(
            api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
        )

    def _request(self, call: _endpoints.APICall[T]) -> T:
        request = self._build_request(call)
        try:
            # auth=None: an injected client's own auth must not replace our bearer token;
            # no redirects, so the token never travels to another host.
            response = self._http.send(request, auth=None, follow_redirects=False)
        except httpx.RequestError as exc:
            raise self._connection_error(exc, request) from exc
        return self._process_response(call, response)

    def close(self) -> None:
        """Close the connection pool, unless it was passed in or belongs to another client."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> MeetBot:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncMeetBot(_BaseClient[httpx.AsyncClient]):
    """The asyncio client: the same methods as :class:`MeetBot`, awaited.

    One client is meant to be shared by every task of a service. Arguments are those of
    :class:`MeetBot`, except that ``http_client`` is an :class:`httpx.AsyncClient`.

    Example:
        >>> async with AsyncMeetBot() as client:  # doctest: +SKIP
        ...     analytics = await client.analytics.get(period="7d")
    """

    analytics: AsyncAnalyticsResource
    """Account analytics, see :meth:`AsyncAnalyticsResource.get`."""
    api_logs: AsyncApiLogsResource
    """Request logs, see :meth:`AsyncApiLogsResource.get_page`."""
    api_keys: AsyncApiKeysResource
    """Per-key usage, see :meth:`AsyncApiKeysResource.get_usage`."""

    _http_class = httpx.AsyncClient
    _resource_classes: ClassVar[dict[str, type]] = {
        "analytics": AsyncAnalyticsResource,
        "api_logs": AsyncApiLogsResource,
        "api_keys": AsyncApiKeysResource,
    }

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | httpx.URL | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(
            api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
        )

    async def _request(self, call: _endpoints.APICall[T]) -> T:
        request = self._build_request(call)
        try:
            response = await self._http.send(request, auth=None, follow_redirects=False)
        except httpx.RequestError as exc:
            raise self._connection_error(exc, request) from exc
        return self._process_response(call, response)

    async def close(self) -> None:
        """Close the connection pool, unless it was passed in or belongs to another client."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncMeetBot:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
