"""The clients: :class:`MeetBot` and :class:`AsyncMeetBot` send each attempt and wait
between them; everything else they inherit from :class:`~meetbot_sdk._base_client.BaseClient`.
"""

from __future__ import annotations

import functools
import time
from types import TracebackType
from typing import TYPE_CHECKING, ClassVar, Literal, overload

from meetbot_sdk import _endpoints
from meetbot_sdk._base_client import BaseClient, T
from meetbot_sdk._constants import (
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_WAIT,
    DEFAULT_TIMEOUT,
)
from meetbot_sdk._decoding._response import RawResponse
from meetbot_sdk._exceptions import Secret
from meetbot_sdk._ratelimit._budgets import SharedBudget
from meetbot_sdk._ratelimit._throttle import Abandoned, Admit
from meetbot_sdk._retry import RetryableError, async_retrying, retrying
from meetbot_sdk._transport._bounds import (
    BodyTooLarge,
    DeadlinePassed,
    read_body,
    read_body_async,
    within,
)
from meetbot_sdk._utils._clock import CLOCK
from meetbot_sdk.resources._resources import (
    AnalyticsResource,
    ApiKeysResource,
    ApiLogsResource,
    AsyncAnalyticsResource,
    AsyncApiKeysResource,
    AsyncApiLogsResource,
)

if TYPE_CHECKING:
    import httpx
    import httpx2

__all__ = ["AsyncMeetBot", "MeetBot"]


class MeetBot(BaseClient["httpx.Client"]):
    """The synchronous client. Safe to share between threads.

    Args:
        api_key: The bearer credential (an API key or a user access token); defaults to the
            ``MEETBOT_API_KEY`` environment variable.
        base_url: Defaults to ``MEETBOT_BASE_URL``, then ``https://api.meetbot.dev/v1``.
            ``http://`` is accepted for loopback hosts only.
        timeout: Seconds, or an :class:`httpx.Timeout` (default :data:`DEFAULT_TIMEOUT`).
            Each part bounds one operation (a read, say); each attempt as a whole also ends
            within the sum of the four parts, however slowly the server sends (see
            :ref:`attempt-deadline`).
        max_retries: How often a failed request may be retried (default 2): connection
            errors, timeouts, 408, 409, 429, 500, 502, 503 and 504, with exponential backoff
            or the wait the server names. See :doc:`retries`.
        max_retry_wait: The longest wait in seconds the client sleeps for (default 60), be
            it a server-given ``Retry-After`` or a rate-limit reset; a longer one raises
            :class:`RateLimitError` at once, with ``retry_after`` set.
        throttle: Keep within the rate-limit budget the server announces: when it is spent,
            the next request waits for the reset instead of provoking a 429 (default on).
            ``True`` counts this client and its copies; a :class:`FileBudget` or a
            :class:`RedisBudget` shares one budget with every process naming the same file or
            Redis (see :doc:`fleets`); ``False`` switches it off.
        http_client: An :class:`httpx.Client` to send with (proxies, mTLS, custom transports).
            The SDK never closes a client it did not create. An ``httpx2.Client`` works too,
            and then httpx2 is used throughout; a client whose transport, mounts or timeout
            belong to the other library is refused.
        http_library: ``"httpx"`` (the default) or ``"httpx2"``: the HTTP library of the
            pool the client creates; defaults to the ``MEETBOT_HTTP_LIBRARY`` environment
            variable, then httpx. Never chosen by what else is installed. See
            :ref:`http-library`.
        max_response_bytes: The largest response body read, as received and once
            decompressed (default :data:`DEFAULT_MAX_RESPONSE_BYTES`, 16 MiB); a larger one
            raises :class:`APIResponseValidationError` without being read whole.

    Raises:
        MeetBotError: No API key was given and ``MEETBOT_API_KEY`` is not set.
        ValueError: An argument is out of range, ``base_url`` is plain http to a
            non-loopback host, ``http_library`` names no library or contradicts
            ``http_client``, or ``http_client`` mixes the two libraries.
        ImportError: ``http_library="httpx2"`` was asked for and httpx2 is missing or broken.

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

    _asynchronous = False
    _resource_classes: ClassVar[dict[str, type]] = {
        "analytics": AnalyticsResource,
        "api_logs": ApiLogsResource,
        "api_keys": ApiKeysResource,
    }

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | httpx.URL | httpx2.URL | None = None,
        timeout: float | httpx.Timeout | httpx2.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
        throttle: bool | SharedBudget = True,
        http_client: httpx.Client | httpx2.Client | None = None,
        http_library: Literal["httpx", "httpx2"] | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        credential = None if api_key is None else Secret(api_key)
        del api_key  # no frame's locals hold the key in plain text, should a check fail
        super().__init__(
            credential,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
            throttle=throttle,
            http_client=http_client,
            http_library=http_library,
            max_response_bytes=max_response_bytes,
        )

    def _sleep(self, seconds: float) -> None:
        """Wait between attempts; a copy made with a ``stop`` gives up once it is set."""
        if CLOCK.sleep(seconds, self._stop):
            raise Abandoned

    @overload
    def _request(self, call: _endpoints.APICall[T], *, raw: Literal[False] = ...) -> T: ...
    @overload
    def _request(self, call: _endpoints.APICall[T], *, raw: bool) -> T | RawResponse[T]: ...
    def _request(self, call: _endpoints.APICall[T], *, raw: bool = False) -> T | RawResponse[T]:
        request = self._build_request(call)
        started = CLOCK.monotonic()
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
        self._check_open()
        admit = self._admit(request)
        response = None
        started = CLOCK.monotonic()
        deadline = None if self._deadline is None else time.monotonic() + self._deadline
        try:
            # auth=None: an injected client's own auth must not replace our bearer token;
            # no redirects, so the token never travels to another host.
            response = self._http.send(request, auth=None, follow_redirects=False, stream=True)
            response = read_body(response, self._config.max_response_bytes, deadline, self._backend)
        except self._backend.RequestError as exc:
            raise self._connection_failed(exc, request, started, number) from None
        except self._backend.InvalidURL as exc:
            raise self._bad_redirect(exc, request) from None
        except DeadlinePassed:
            raise self._deadline_passed(request, started, number) from None
        except BodyTooLarge as exc:
            response = exc.response
            raise self._too_large(exc, response) from None
        finally:
            self._throttle.release(admit, response)
        return self._answered(response, started, number)

    def _admit(self, request: httpx.Request) -> Admit | None:
        if not self._config.throttle:
            return None
        decision = self._throttle.acquire(
            self._config.max_retry_wait,
            functools.partial(self._log_wait, request=request),
            self._stop,
            lease_seconds=self._lease_seconds,
        )
        return self._admitted(decision, request)

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


class AsyncMeetBot(BaseClient["httpx.AsyncClient"]):
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

    _asynchronous = True
    _resource_classes: ClassVar[dict[str, type]] = {
        "analytics": AsyncAnalyticsResource,
        "api_logs": AsyncApiLogsResource,
        "api_keys": AsyncApiKeysResource,
    }

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | httpx.URL | httpx2.URL | None = None,
        timeout: float | httpx.Timeout | httpx2.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
        throttle: bool | SharedBudget = True,
        http_client: httpx.AsyncClient | httpx2.AsyncClient | None = None,
        http_library: Literal["httpx", "httpx2"] | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        credential = None if api_key is None else Secret(api_key)
        del api_key  # no frame's locals hold the key in plain text, should a check fail
        super().__init__(
            credential,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
            throttle=throttle,
            http_client=http_client,
            http_library=http_library,
            max_response_bytes=max_response_bytes,
        )

    _sleep = staticmethod(CLOCK.async_sleep)

    @overload
    async def _request(self, call: _endpoints.APICall[T], *, raw: Literal[False] = ...) -> T: ...
    @overload
    async def _request(self, call: _endpoints.APICall[T], *, raw: bool) -> T | RawResponse[T]: ...
    async def _request(
        self, call: _endpoints.APICall[T], *, raw: bool = False
    ) -> T | RawResponse[T]:
        request = self._build_request(call)
        started = CLOCK.monotonic()
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
        self._check_open()
        admit = await self._admit(request)
        response = None
        started = CLOCK.monotonic()
        try:
            response = await within(self._deadline, self._send_async(request))
        except self._backend.RequestError as exc:
            raise self._connection_failed(exc, request, started, number) from None
        except self._backend.InvalidURL as exc:
            raise self._bad_redirect(exc, request) from None
        except DeadlinePassed:
            raise self._deadline_passed(request, started, number) from None
        except BodyTooLarge as exc:
            response = exc.response
            raise self._too_large(exc, response) from None
        finally:
            await self._throttle.release_async(admit, response)
        return self._answered(response, started, number)

    async def _send_async(self, request: httpx.Request) -> httpx.Response:
        response = await self._http.send(request, auth=None, follow_redirects=False, stream=True)
        return await read_body_async(response, self._config.max_response_bytes, self._backend)

    async def _admit(self, request: httpx.Request) -> Admit | None:
        if not self._config.throttle:
            return None
        decision = await self._throttle.acquire_async(
            self._config.max_retry_wait,
            functools.partial(self._log_wait, request=request),
            lease_seconds=self._lease_seconds,
        )
        return self._admitted(decision, request)

    async def close(self) -> None:
        """Close the connection pool, unless it was passed in or belongs to another client."""
        if self._owns_http:
            if self._in_flight:
                # Read-ahead of a walk left but not yet closed (asyncio closes an abandoned
                # async generator a moment later): stop it before the pool goes.
                import asyncio  # import time: needed only while read-ahead is in flight

                fetches = list(self._in_flight)
                for fetch in fetches:
                    fetch.cancel()
                await asyncio.gather(*fetches, return_exceptions=True)
            await self._http.aclose()

    async def aclose(self) -> None:
        """The same as :meth:`close`, by the name :func:`contextlib.aclosing` calls."""
        await self.close()

    async def __aenter__(self) -> AsyncMeetBot:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
