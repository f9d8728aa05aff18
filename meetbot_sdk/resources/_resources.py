"""The resources hung on a client: ``client.analytics``, ``client.api_logs``, ``client.api_keys``.

Each method is one line: describe the call (:mod:`meetbot_sdk._endpoints`, shared by both
twins), send it, return the model. The async twins have the same names and signatures.

``resource.with_raw_response`` holds the same methods returning a :class:`RawResponse`: they
are the methods of a resource built in raw mode, whose ``_send`` asks the client for the raw
response; the typing of that swap is stated once, in :func:`_raw` and :func:`_raw_async`.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

from meetbot_sdk import _endpoints
from meetbot_sdk._constants import DEFAULT_LIST_PAGE_SIZE, DEFAULT_PAGE_SIZE
from meetbot_sdk._decoding._response import RawResponse
from meetbot_sdk._endpoints import ApiLogFilters, Period
from meetbot_sdk._models import Analytics, ApiKeyUsage, ApiLogPage

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:
        from typing_extensions import Unpack

    from meetbot_sdk._sender import AsyncSender, Sender
    from meetbot_sdk._walk._checkpoint import WalkCheckpoint
    from meetbot_sdk._walk._pagers import ApiLogPager, AsyncApiLogPager

__all__ = [
    "AnalyticsResource",
    "AnalyticsResourceWithRawResponse",
    "ApiKeysResource",
    "ApiKeysResourceWithRawResponse",
    "ApiLogsResource",
    "ApiLogsResourceWithRawResponse",
    "AsyncAnalyticsResource",
    "AsyncAnalyticsResourceWithRawResponse",
    "AsyncApiKeysResource",
    "AsyncApiKeysResourceWithRawResponse",
    "AsyncApiLogsResource",
    "AsyncApiLogsResourceWithRawResponse",
]

_F = TypeVar("_F", bound=Callable[..., Any])
_P = ParamSpec("_P")
_T = TypeVar("_T")


def _same_doc(sync_method: Callable[..., Any]) -> Callable[[_F], _F]:
    """Give an async twin the docstring of its sync method, so the prose exists once."""

    def decorate(method: _F) -> _F:
        method.__doc__ = sync_method.__doc__
        return method

    return decorate


def _raw(method: Callable[_P, _T]) -> Callable[_P, RawResponse[_T]]:
    """The method of a raw-mode resource, typed as what it returns in raw mode."""
    return cast("Callable[_P, RawResponse[_T]]", method)


def _raw_async(method: Callable[_P, Awaitable[_T]]) -> Callable[_P, Awaitable[RawResponse[_T]]]:
    """The async method of a raw-mode resource, typed as what it returns in raw mode."""
    return cast("Callable[_P, Awaitable[RawResponse[_T]]]", method)


class _SyncResource:
    def __init__(self, client: Sender, *, raw: bool = False) -> None:
        self._client = client
        self._raw_mode = raw

    def _send(self, call: _endpoints.APICall[_T]) -> _T:
        # In raw mode this returns a RawResponse; only _raw() lets that be seen.
        return cast("_T", self._client._request(call, raw=self._raw_mode))


class _AsyncResource:
    def __init__(self, client: AsyncSender, *, raw: bool = False) -> None:
        self._client = client
        self._raw_mode = raw

    async def _send(self, call: _endpoints.APICall[_T]) -> _T:
        return cast("_T", await self._client._request(call, raw=self._raw_mode))


class AnalyticsResource(_SyncResource):
    """``client.analytics``: usage analytics of the account."""

    @functools.cached_property
    def with_raw_response(self) -> AnalyticsResourceWithRawResponse:
        """The same methods, returning a :class:`~meetbot_sdk.RawResponse` (headers, retries)."""
        return AnalyticsResourceWithRawResponse(self._client)

    def get(self, period: Period = "30d") -> Analytics:
        """Fetch the account's analytics over a period.

        Args:
            period: ``"7d"``, ``"30d"`` or ``"90d"``: how far back the daily series reach.

        Returns:
            API calls, bots, recordings, transcriptions and webhook deliveries.

        Raises:
            ValueError: ``period`` is not one of the three allowed values.
            APIStatusError: The API refused the request (a subclass per status).

        Example:
            >>> client.analytics.get(period="7d").bots.platform_breakdown  # doctest: +SKIP
            {'google': 15, 'zoom': 8, 'teams': 2}
        """
        return self._send(_endpoints.analytics_get(period))


class AsyncAnalyticsResource(_AsyncResource):
    """``client.analytics`` of :class:`~meetbot_sdk.AsyncMeetBot`."""

    @functools.cached_property
    def with_raw_response(self) -> AsyncAnalyticsResourceWithRawResponse:
        """The same methods, returning a :class:`~meetbot_sdk.RawResponse` (headers, retries)."""
        return AsyncAnalyticsResourceWithRawResponse(self._client)

    @_same_doc(AnalyticsResource.get)
    async def get(self, period: Period = "30d") -> Analytics:
        return await self._send(_endpoints.analytics_get(period))


class ApiLogsResource(_SyncResource):
    """``client.api_logs``: the account's request logs, newest first."""

    @functools.cached_property
    def with_raw_response(self) -> ApiLogsResourceWithRawResponse:
        """The same methods, returning a :class:`~meetbot_sdk.RawResponse` (headers, retries)."""
        return ApiLogsResourceWithRawResponse(self._client)

    def get_page(
        self, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE, **filters: Unpack[ApiLogFilters]
    ) -> ApiLogPage:
        """Fetch one page of request logs, newest first.

        Args:
            page: The page number, from 1.
            page_size: Logs per page, 1 to 100.
            **filters: Any of ``method`` (``"GET"``, …), ``status_code`` (an int),
                ``path`` (substring match), ``api_key_id`` (an int), ``start_date`` and
                ``end_date`` (a ``date``, a ``datetime`` or an ISO 8601 string; aware
                datetimes are sent in UTC, naive ones are taken as UTC). ``None`` means no
                filter.

        Returns:
            The logs of that page with ``total``, the number of logs matching the filters.

        Raises:
            TypeError: An argument has the wrong type, or a filter name is unknown.
            ValueError: An argument is out of range (``page < 1``, ``page_size`` outside
                1..100, ``start_date`` after ``end_date``, ...).
            APIStatusError: The API refused the request (a subclass per status).

        Example:
            >>> page = client.api_logs.get_page(page_size=50, status_code=500)  # doctest: +SKIP
            >>> [log.path for log in page.logs]  # doctest: +SKIP
        """
        call = _endpoints.api_logs_get_page(page, page_size, filters)
        return self._send(call)

    def list(
        self,
        *,
        page_size: int = DEFAULT_LIST_PAGE_SIZE,
        start_page: int = 1,
        max_items: int | None = None,
        concurrency: int = 1,
        resume_from: WalkCheckpoint | None = None,
        **filters: Unpack[ApiLogFilters],
    ) -> ApiLogPager:
        """Every request log matching the filters, newest first, fetching pages as needed.

        Nothing is sent until the result is iterated; then one page is fetched at a time,
        when the loop needs it, each retried and throttled like any call. The walk stops
        at the last page without asking for one more, and yields every log that existed
        when it started exactly once, even while new logs arrive (see :doc:`pagination`).

        Args:
            page_size: Logs per request, 1 to 100.
            start_page: The page to start at, from 1; pass a pager's
                :attr:`~ApiLogPager.next_page` to resume an interrupted walk.
            max_items: Stop after this many logs (0 sends nothing); ``None`` for all.
            concurrency: How many page requests to keep in flight (1 to 16). Above 1, pages
                are fetched ahead of the loop on a small thread pool (tasks under
                :class:`~meetbot_sdk.AsyncMeetBot`), in the same order, within the rate limit.
            resume_from: A :class:`~meetbot_sdk.WalkCheckpoint` from
                :meth:`ApiLogPager.checkpoint`, perhaps of another process: yield exactly the
                logs that walk had not yielded, or, if it had finished, those that arrived
                since it began. The filters must be the same as that walk's.
            **filters: As for :meth:`get_page`; sent with every page.

        Returns:
            A pager: iterate it for logs, or call ``.pages()`` for whole pages. It tells
            where the walk is (``next_page``, ``items_yielded``, ``total``, ``done``).

        Raises:
            TypeError: An argument has the wrong type, or a filter name is unknown.
            ValueError: An argument is out of range (``page_size`` outside 1..100,
                ``start_page < 1``, ``max_items < 0``, ``concurrency`` outside 1..16,
                ``resume_from`` with other filters or with ``start_page``, ...); raised
                here, before anything is sent.

        Example:
            >>> for log in client.api_logs.list(status_code=500, max_items=1000):  # doctest: +SKIP
            ...     print(log.created_at, log.method, log.path)
        """
        # import time: the walk loads with the first list()
        from meetbot_sdk._walk._pagers import ApiLogPager

        return ApiLogPager(
            self._client,
            page_size=page_size,
            start_page=start_page,
            max_items=max_items,
            concurrency=concurrency,
            filters=filters,
            resume_from=resume_from,
        )


class AsyncApiLogsResource(_AsyncResource):
    """``client.api_logs`` of :class:`~meetbot_sdk.AsyncMeetBot`."""

    @functools.cached_property
    def with_raw_response(self) -> AsyncApiLogsResourceWithRawResponse:
        """The same methods, returning a :class:`~meetbot_sdk.RawResponse` (headers, retries)."""
        return AsyncApiLogsResourceWithRawResponse(self._client)

    @_same_doc(ApiLogsResource.get_page)
    async def get_page(
        self, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE, **filters: Unpack[ApiLogFilters]
    ) -> ApiLogPage:
        call = _endpoints.api_logs_get_page(page, page_size, filters)
        return await self._send(call)

    @_same_doc(ApiLogsResource.list)
    def list(
        self,
        *,
        page_size: int = DEFAULT_LIST_PAGE_SIZE,
        start_page: int = 1,
        max_items: int | None = None,
        concurrency: int = 1,
        resume_from: WalkCheckpoint | None = None,
        **filters: Unpack[ApiLogFilters],
    ) -> AsyncApiLogPager:
        # import time: the walk loads with the first list()
        from meetbot_sdk._walk._pagers import AsyncApiLogPager

        return AsyncApiLogPager(
            self._client,
            page_size=page_size,
            start_page=start_page,
            max_items=max_items,
            concurrency=concurrency,
            filters=filters,
            resume_from=resume_from,
        )


class ApiKeysResource(_SyncResource):
    """``client.api_keys``: usage per API key."""

    @functools.cached_property
    def with_raw_response(self) -> ApiKeysResourceWithRawResponse:
        """The same methods, returning a :class:`~meetbot_sdk.RawResponse` (headers, retries)."""
        return ApiKeysResourceWithRawResponse(self._client)

    def get_usage(self, key_id: int) -> ApiKeyUsage:
        """Fetch the usage of one API key.

        Args:
            key_id: The key's id: a positive ``int`` (strings are refused, so that no path
                can be smuggled into the URL).

        Returns:
            Request counts and the key's most recent requests.

        Raises:
            TypeError: ``key_id`` is not an int (``bool`` included).
            ValueError: ``key_id`` is not positive.
            NotFoundError: The account has no key with that id.
            APIStatusError: The API refused the request otherwise (a subclass per status).
        """
        return self._send(_endpoints.api_keys_get_usage(key_id))


class AsyncApiKeysResource(_AsyncResource):
    """``client.api_keys`` of :class:`~meetbot_sdk.AsyncMeetBot`."""

    @functools.cached_property
    def with_raw_response(self) -> AsyncApiKeysResourceWithRawResponse:
        """The same methods, returning a :class:`~meetbot_sdk.RawResponse` (headers, retries)."""
        return AsyncApiKeysResourceWithRawResponse(self._client)

    @_same_doc(ApiKeysResource.get_usage)
    async def get_usage(self, key_id: int) -> ApiKeyUsage:
        return await self._send(_endpoints.api_keys_get_usage(key_id))


class AnalyticsResourceWithRawResponse:
    """``client.analytics.with_raw_response``: :meth:`AnalyticsResource.get` returning a
    :class:`~meetbot_sdk.RawResponse` instead of the model."""

    def __init__(self, client: Sender) -> None:
        self.get = _raw(AnalyticsResource(client, raw=True).get)


class AsyncAnalyticsResourceWithRawResponse:
    """``client.analytics.with_raw_response``: :meth:`AsyncAnalyticsResource.get` returning a
    :class:`~meetbot_sdk.RawResponse` instead of the model."""

    def __init__(self, client: AsyncSender) -> None:
        self.get = _raw_async(AsyncAnalyticsResource(client, raw=True).get)


class ApiLogsResourceWithRawResponse:
    """``client.api_logs.with_raw_response``: :meth:`ApiLogsResource.get_page` returning a
    :class:`~meetbot_sdk.RawResponse` instead of the model."""

    def __init__(self, client: Sender) -> None:
        self.get_page = _raw(ApiLogsResource(client, raw=True).get_page)


class AsyncApiLogsResourceWithRawResponse:
    """``client.api_logs.with_raw_response``: :meth:`AsyncApiLogsResource.get_page` returning a
    :class:`~meetbot_sdk.RawResponse` instead of the model."""

    def __init__(self, client: AsyncSender) -> None:
        self.get_page = _raw_async(AsyncApiLogsResource(client, raw=True).get_page)


class ApiKeysResourceWithRawResponse:
    """``client.api_keys.with_raw_response``: :meth:`ApiKeysResource.get_usage` returning a
    :class:`~meetbot_sdk.RawResponse` instead of the model."""

    def __init__(self, client: Sender) -> None:
        self.get_usage = _raw(ApiKeysResource(client, raw=True).get_usage)


class AsyncApiKeysResourceWithRawResponse:
    """``client.api_keys.with_raw_response``: :meth:`AsyncApiKeysResource.get_usage` returning a
    :class:`~meetbot_sdk.RawResponse` instead of the model."""

    def __init__(self, client: AsyncSender) -> None:
        self.get_usage = _raw_async(AsyncApiKeysResource(client, raw=True).get_usage)
