"""The clients. ``_BaseClient`` holds everything that does no I/O (configuration, request
building, response decoding, error mapping); :class:`MeetBot` and :class:`AsyncMeetBot` only
send.
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
import logging
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar, cast, overload

import attrs
import httpx

from meetbot_sdk import _endpoints
from meetbot_sdk._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    MeetBotError,
    RateLimitError,
    status_error,
)
from meetbot_sdk._logs import logger, setup_from_env
from meetbot_sdk._resources import (
    AnalyticsResource,
    ApiKeysResource,
    ApiLogsResource,
    AsyncAnalyticsResource,
    AsyncApiKeysResource,
    AsyncApiLogsResource,
)
from meetbot_sdk._response import RawResponse, decode
from meetbot_sdk._retry import (
    DEFAULT_MAX_RETRY_WAIT,
    RETRYABLE_STATUSES,
    RetryableError,
    async_retrying,
    rate_headers,
    retrying,
    server_wait,
)
from meetbot_sdk._throttle import Admit, RateLimit, Refuse, Throttle, Wait
from meetbot_sdk._version import __version__

if TYPE_CHECKING:
    import tenacity

    if sys.version_info >= (3, 11):
        from typing import Self
    else:
        from typing_extensions import Self

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MAX_RETRY_WAIT",
    "DEFAULT_TIMEOUT",
    "AsyncMeetBot",
    "MeetBot",
]

DEFAULT_BASE_URL = "https://api.meetbot.dev/v1"
"""Where the API lives unless ``base_url`` or ``MEETBOT_BASE_URL`` says otherwise."""

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
"""5 s to connect, 30 s for each read, write and wait for a pooled connection."""

DEFAULT_MAX_RETRIES = 2
"""How many times a client retries a failed request (connection errors, timeouts, 408, 409,
429, 500, 502, 503, 504), so a call makes at most three attempts."""

API_KEY_ENV = "MEETBOT_API_KEY"
BASE_URL_ENV = "MEETBOT_BASE_URL"

USER_AGENT = (
    f"meetbot-sdk-python/{__version__} httpx/{httpx.__version__} python/{platform.python_version()}"
)

T = TypeVar("T")

setup_from_env()
_HttpT = TypeVar("_HttpT", httpx.Client, httpx.AsyncClient)


@attrs.frozen
class _Config:
    """What a client is configured with; immutable, so copies can share it safely."""

    api_key: str = attrs.field(repr=False)
    base_url: str
    timeout: httpx.Timeout
    max_retries: int
    max_retry_wait: float
    throttle: bool


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


def _resolve_max_retry_wait(seconds: float) -> float:
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"max_retry_wait must be seconds as a float, got {type(seconds).__name__}")
    if not seconds >= 0 or math.isinf(seconds):
        raise ValueError(f"max_retry_wait must be a finite number of seconds >= 0, got {seconds!r}")
    return float(seconds)


def _resolve_throttle(throttle: bool) -> bool:
    if not isinstance(throttle, bool):
        raise TypeError(f"throttle must be True or False, got {type(throttle).__name__}")
    return throttle


def _make_config(
    api_key: str | None,
    *,
    base_url: str | httpx.URL | None,
    timeout: float | httpx.Timeout,
    max_retries: int,
    max_retry_wait: float,
    throttle: bool,
) -> _Config:
    return _Config(
        api_key=_resolve_api_key(api_key),
        base_url=_resolve_base_url(base_url),
        timeout=_resolve_timeout(timeout),
        max_retries=_endpoints.check_int("max_retries", max_retries, minimum=0),
        max_retry_wait=_resolve_max_retry_wait(max_retry_wait),
        throttle=_resolve_throttle(throttle),
    )


class _BaseClient(Generic[_HttpT]):
    """Configuration, request building and response handling: everything but sending."""

    _http_class: ClassVar[type[httpx.Client | httpx.AsyncClient]]
    _resource_classes: ClassVar[dict[str, type]]
    _config: _Config
    _http: _HttpT
    _owns_http: bool
    _throttle: Throttle
    # How to wait between attempts; a test may swap it for a recorder.
    _sleep: Callable[[float], Any]

    def __init__(
        self,
        api_key: str | None,
        *,
        base_url: str | httpx.URL | None,
        timeout: float | httpx.Timeout,
        max_retries: int,
        max_retry_wait: float,
        throttle: bool,
        http_client: _HttpT | None,
    ) -> None:
        config = _make_config(
            api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
            throttle=throttle,
        )
        if http_client is not None:
            if not isinstance(http_client, self._http_class):
                expected = f"httpx.{self._http_class.__qualname__}"
                raise TypeError(
                    f"http_client must be an {expected}, got {type(http_client).__name__}"
                )
            http, owns_http = http_client, False
        else:
            http = cast("_HttpT", self._http_class(timeout=config.timeout, follow_redirects=False))
            owns_http = True
        self._setup(config, http, owns_http=owns_http, throttle=Throttle())

    def _setup(self, config: _Config, http: _HttpT, *, owns_http: bool, throttle: Throttle) -> None:
        self._config = config
        self._http = http
        self._owns_http = owns_http
        self._throttle = throttle
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
        """The timeout applied to every attempt."""
        return self._config.timeout

    @property
    def max_retries(self) -> int:
        """How many times a failed request may be retried."""
        return self._config.max_retries

    @property
    def max_retry_wait(self) -> float:
        """The longest wait (seconds) the client sleeps for; a longer one raises at once."""
        return self._config.max_retry_wait

    @property
    def throttle(self) -> bool:
        """Whether requests wait for a spent rate-limit budget to reset before being sent."""
        return self._config.throttle

    @property
    def rate_limit(self) -> RateLimit | None:
        """The rate-limit budget the last response stated, or ``None`` when none is known.

        Shared with every ``with_options`` copy. A response without rate-limit headers sets
        it back to ``None`` (no known limit); a 5xx without them leaves it as it was.
        """
        return self._throttle.last_seen

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        max_retry_wait: float | None = None,
        throttle: bool | None = None,
    ) -> Self:
        """Return a copy of the client with some options changed.

        The copy shares the connection pool, the credential and the rate-limit budget of
        this client, so it is cheap: make one per call site that needs a different timeout.
        Closing the copy leaves the pool open; closing the client that created the pool
        closes it for every copy.

        Args:
            timeout: Seconds, or an :class:`httpx.Timeout`; ``None`` keeps the current one.
            max_retries: ``None`` keeps the current value.
            max_retry_wait: ``None`` keeps the current value.
            throttle: ``None`` keeps the current value.
        """
        changes: dict[str, Any] = {}
        if timeout is not None:
            changes["timeout"] = _resolve_timeout(timeout)
        if max_retries is not None:
            changes["max_retries"] = _endpoints.check_int("max_retries", max_retries, minimum=0)
        if max_retry_wait is not None:
            changes["max_retry_wait"] = _resolve_max_retry_wait(max_retry_wait)
        if throttle is not None:
            changes["throttle"] = _resolve_throttle(throttle)
        clone = type(self).__new__(type(self))
        clone._setup(
            attrs.evolve(self._config, **changes),
            self._http,
            owns_http=False,
            throttle=self._throttle,
        )
        if "_sleep" in vars(self):
            clone._sleep = self._sleep
        return clone

    def _build_request(self, call: _endpoints.APICall[Any]) -> httpx.Request:
        return self._http.build_request(
            call.method,
            self._config.base_url + call.path,
            params=call.params,
            headers=self._headers,
            timeout=self._config.timeout,
        )

    # --- one attempt, apart from the sending ----------------------------------------------

    def _refused(self, decision: Refuse, request: httpx.Request) -> APIStatusError:
        """The error for a request the throttle will not send: the server's own refusal."""
        error = status_error(decision.response, secret=self._config.api_key)
        if isinstance(error, RateLimitError):
            error.retry_after = decision.seconds
        logger.info(
            "Not sending %s: the server asked to wait %.1f s more, over max_retry_wait=%g s",
            _target(request),
            decision.seconds,
            self._config.max_retry_wait,
        )
        return error

    def _log_wait(self, decision: Wait, *, request: httpx.Request) -> None:
        if math.isinf(decision.seconds):
            logger.debug("Holding %s: %s", _target(request), decision.reason)
        else:
            logger.info(
                "Waiting %.2f s before %s: %s", decision.seconds, _target(request), decision.reason
            )

    def _connection_failed(
        self, exc: httpx.RequestError, request: httpx.Request, started: float, attempt: int
    ) -> RetryableError:
        """A failed send becomes the user's error, always worth a retry."""
        error: APIConnectionError
        if isinstance(exc, httpx.TimeoutException):
            error = APITimeoutError(f"Request timed out ({type(exc).__name__})", request=request)
        else:
            detail = str(exc) or type(exc).__name__
            error = APIConnectionError(f"Connection error: {detail}", request=request)
        error.__cause__ = exc
        reason = type(exc).__name__
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s -> %s after %.1f ms (attempt %d)",
                _target(request),
                reason,
                (time.monotonic() - started) * 1000,
                attempt,
            )
        return RetryableError(error, wait=None, target=_target(request), reason=reason)

    def _answered(self, response: httpx.Response, started: float, attempt: int) -> httpx.Response:
        """Pass a 2xx response on; raise a retry signal or the final error otherwise."""
        request = response.request
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s -> %d in %.1f ms (attempt %d)",
                _target(request),
                response.status_code,
                (time.monotonic() - started) * 1000,
                attempt,
            )
        if response.is_success:
            return response
        error = status_error(response, secret=self._config.api_key)
        if response.status_code not in RETRYABLE_STATUSES:
            raise error
        wait = server_wait(response.status_code, rate_headers(response.headers))
        if wait is not None and wait > self._config.max_retry_wait:
            logger.info(
                "Not retrying %s: the server asks to wait %.1f s, over max_retry_wait=%g s",
                _target(request),
                wait,
                self._config.max_retry_wait,
            )
            raise error
        reason = f"{response.status_code} {response.reason_phrase}".rstrip()
        raise RetryableError(error, wait=wait, target=_target(request), reason=reason)

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        if not logger.isEnabledFor(logging.INFO):
            return
        outcome, action = state.outcome, state.next_action
        signal = outcome.exception() if outcome is not None else None
        if not isinstance(signal, RetryableError) or action is None:  # pragma: no cover
            return
        given = " (the wait the server asked for)" if signal.wait is not None else ""
        logger.info(
            "Retrying %s in %.2f s%s, retry %d of %d: %s",
            signal.target,
            action.sleep,
            given,
            state.attempt_number,
            self._config.max_retries,
            signal.reason,
        )

    def _result(
        self,
        call: _endpoints.APICall[T],
        response: httpx.Response,
        *,
        attempts: int,
        started: float,
        raw: bool,
    ) -> T | RawResponse[T]:
        if raw:
            elapsed = datetime.timedelta(seconds=time.monotonic() - started)
            return RawResponse(call, response, retries_taken=attempts - 1, elapsed=elapsed)
        return decode(call, response)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self._config.base_url!r}, "
            f"max_retries={self._config.max_retries})"
        )


async def _async_sleep(seconds: float) -> None:
    import asyncio  # loaded already: an event loop is running (see _retry)

    await asyncio.sleep(seconds)


def _target(request: httpx.Request) -> str:
    return f"{request.method} {request.url.raw_path.decode('ascii')}"


class MeetBot(_BaseClient[httpx.Client]):
    """The synchronous client. Safe to share between threads.

    Args:
        api_key: The bearer credential (an API key or a user access token); defaults to the
            ``MEETBOT_API_KEY`` environment variable.
        base_url: Defaults to ``MEETBOT_BASE_URL``, then ``https://api.meetbot.dev/v1``.
            ``http://`` is accepted for loopback hosts only.
        timeout: Seconds, or an :class:`httpx.Timeout` (default :data:`DEFAULT_TIMEOUT`).
        max_retries: How often a failed request may be retried (default 2): connection
            errors, timeouts, 408, 409, 429, 500, 502, 503 and 504, with exponential backoff
            or the wait the server names. See :doc:`retries`.
        max_retry_wait: The longest wait in seconds the client sleeps for (default 60), be
            it a server-given ``Retry-After`` or a rate-limit reset; a longer one raises
            :class:`RateLimitError` at once, with ``retry_after`` set.
        throttle: Keep within the rate-limit budget the server announces: when it is spent,
            the next request waits for the reset instead of provoking a 429 (default on).
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
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
        throttle: bool = True,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(
            api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
            throttle=throttle,
            http_client=http_client,
        )

    _sleep = staticmethod(time.sleep)

    @overload
    def _request(self, call: _endpoints.APICall[T], *, raw: Literal[False] = ...) -> T: ...
    @overload
    def _request(self, call: _endpoints.APICall[T], *, raw: bool) -> T | RawResponse[T]: ...
    def _request(self, call: _endpoints.APICall[T], *, raw: bool = False) -> T | RawResponse[T]:
        request = self._build_request(call)
        started = time.monotonic()
        try:
            response, attempts = self._attempt(request, 1), 1
        except RetryableError as failure:
            response, attempts = self._retry(request, failure)
        return self._result(call, response, attempts=attempts, started=started, raw=raw)

    def _retry(self, request: httpx.Request, failure: RetryableError) -> tuple[httpx.Response, int]:
        # tenacity drives the retries. Its first attempt replays the failure we already have,
        # so a call that succeeds at once never pays for the retry machinery.
        driver = retrying(self._config.max_retries, sleep=self._sleep, before_sleep=self._log_retry)
        for attempt in driver:
            with attempt:
                number = attempt.retry_state.attempt_number
                if number == 1:
                    raise failure
                response = self._attempt(request, number)
        return response, number

    def _attempt(self, request: httpx.Request, number: int) -> httpx.Response:
        admit = self._admit(request)
        response = None
        started = time.monotonic()
        try:
            # auth=None: an injected client's own auth must not replace our bearer token;
            # no redirects, so the token never travels to another host.
            response = self._http.send(request, auth=None, follow_redirects=False)
        except httpx.RequestError as exc:
            raise self._connection_failed(exc, request, started, number) from None
        finally:
            self._throttle.release(admit, response)
        return self._answered(response, started, number)

    def _admit(self, request: httpx.Request) -> Admit | None:
        if not self._config.throttle:
            return None
        decision = self._throttle.acquire(
            self._config.max_retry_wait, functools.partial(self._log_wait, request=request)
        )
        if isinstance(decision, Refuse):
            raise self._refused(decision, request)
        return decision

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
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
        throttle: bool = True,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(
            api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
            throttle=throttle,
            http_client=http_client,
        )

    _sleep = staticmethod(_async_sleep)

    @overload
    async def _request(self, call: _endpoints.APICall[T], *, raw: Literal[False] = ...) -> T: ...
    @overload
    async def _request(self, call: _endpoints.APICall[T], *, raw: bool) -> T | RawResponse[T]: ...
    async def _request(
        self, call: _endpoints.APICall[T], *, raw: bool = False
    ) -> T | RawResponse[T]:
        request = self._build_request(call)
        started = time.monotonic()
        try:
            response, attempts = await self._attempt(request, 1), 1
        except RetryableError as failure:
            response, attempts = await self._retry(request, failure)
        return self._result(call, response, attempts=attempts, started=started, raw=raw)

    async def _retry(
        self, request: httpx.Request, failure: RetryableError
    ) -> tuple[httpx.Response, int]:
        driver = async_retrying(
            self._config.max_retries, sleep=self._sleep, before_sleep=self._log_retry
        )
        async for attempt in driver:
            with attempt:
                number = attempt.retry_state.attempt_number
                if number == 1:
                    raise failure
                response = await self._attempt(request, number)
        return response, number

    async def _attempt(self, request: httpx.Request, number: int) -> httpx.Response:
        admit = await self._admit(request)
        response = None
        started = time.monotonic()
        try:
            response = await self._http.send(request, auth=None, follow_redirects=False)
        except httpx.RequestError as exc:
            raise self._connection_failed(exc, request, started, number) from None
        finally:
            self._throttle.release(admit, response)
        return self._answered(response, started, number)

    async def _admit(self, request: httpx.Request) -> Admit | None:
        if not self._config.throttle:
            return None
        decision = await self._throttle.acquire_async(
            self._config.max_retry_wait, functools.partial(self._log_wait, request=request)
        )
        if isinstance(decision, Refuse):
            raise self._refused(decision, request)
        return decision

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
