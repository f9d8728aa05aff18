"""The pagers ``client.api_logs.list()`` returns: a :class:`~meetbot_sdk._walk._pagination.Walk`
driven by page fetches, one at a time or with read-ahead.

Every page is fetched through the client's ``_request``, so it is retried, throttled and
logged like any call. Read-ahead runs on a small thread pool under :class:`ApiLogPager` and
on tasks under :class:`AsyncApiLogPager`; either way pages are *taken* in order, so the
logs come out as from a sequential walk. A pager walks once: iterating it again continues
where the last loop stopped, after closing that loop's read-ahead.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncGenerator, Callable, Generator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from meetbot_sdk import _endpoints
from meetbot_sdk._models import ApiLog, ApiLogPage
from meetbot_sdk._notebook import _html
from meetbot_sdk._notebook._frames import FrameSlot, Library
from meetbot_sdk._utils._logs import logger
from meetbot_sdk._walk._checkpoint import (
    WalkCheckpoint,
    account_fingerprint,
    check_resume,
    checkpoint_of,
    resumed_walk,
    walk_query,
)
from meetbot_sdk._walk._pagination import LogKey, Walk, check_walk_arguments
from meetbot_sdk._walk._read_ahead import TaskReadAhead, ThreadReadAhead

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas
    import polars
    import pyarrow

    from meetbot_sdk._notebook._frames import FrameBuilding
    from meetbot_sdk._sender import AsyncSender, Sender

__all__ = ["ApiLogPager", "AsyncApiLogPager"]

_ClientT = TypeVar("_ClientT", "Sender", "AsyncSender")


class _PagerBase(Generic[_ClientT]):
    """Arguments, position and ``repr``: everything of a pager that does no I/O."""

    def __init__(
        self,
        client: _ClientT,
        *,
        page_size: int,
        start_page: int,
        max_items: int | None,
        concurrency: int,
        filters: Mapping[str, object],
        resume_from: WalkCheckpoint | None = None,
    ) -> None:
        check_walk_arguments(page_size, start_page, max_items, concurrency)
        self._client: _ClientT = client
        # Builds (and so checks) the query once; each page only changes its number.
        self._call = _endpoints.api_logs_get_page(start_page, page_size, filters)
        self._filters = _endpoints.log_query(filters)
        self._from_head = start_page == 1
        self._concurrency = concurrency
        config = client._config
        self._origin = {
            "base_url": config.base_url,
            "account": account_fingerprint(config.api_key),
        }
        if resume_from is None:
            self._watermark: LogKey | None = None
            self._walk = Walk(page_size, start_page, max_items)
        else:
            check_resume(resume_from, self._filters, start_page, **self._origin)
            self._watermark = resume_from.watermark
            self._walk = resumed_walk(resume_from, page_size, max_items)
            query = walk_query(self._filters, self._watermark)
            self._call = attrs.evolve(self._call, params={**self._call.params, **query})

    def checkpoint(self) -> WalkCheckpoint:
        """Where the walk stands, to continue it later in any process.

        Valid at any moment, between any two logs: ``client.api_logs.list(resume_from=...)``
        with the same filters yields exactly the logs this walk has not yielded yet, or, once
        it has finished, exactly the logs that arrived since it began. See :doc:`pagination`.

        Raises:
            ValueError: The walk started at a ``start_page`` other than 1, so it cannot tell
                what lies before it.

        Example:
            >>> state = client.api_logs.list().checkpoint().to_json()  # doctest: +SKIP
        """
        if not self._from_head:
            raise ValueError(
                "checkpoint() needs a walk from the head: this one started at a start_page"
                " other than 1; walk from page 1, or resume_from a checkpoint"
            )
        return checkpoint_of(self._walk, self._filters, self._watermark, **self._origin)

    def _page_call(self, number: int) -> _endpoints.APICall[ApiLogPage]:
        return attrs.evolve(self._call, params={**self._call.params, "page": str(number)})

    def _take(self, page: ApiLogPage, *, fetched_ahead: bool) -> bool:
        """Hand the walk its next page, and log what it made of it."""
        walk = self._walk
        number, previous_total = walk.fetch_page, walk.total
        if not walk.take(page, fetched_ahead=fetched_ahead):
            logger.debug(
                "Page %d was answered before page %d (total %d < %s): fetching it again",
                number,
                number - 1,
                page.total,
                previous_total,
            )
            return False
        if walk.repeated == len(page.logs) > 0:
            logger.info(
                "Page %d held only logs already yielded: more than a page of logs arrived"
                " since page %d, and the walk makes no progress while that lasts",
                number,
                number - 1,
            )
        elif walk.repeated:
            logger.debug(
                "Page %d began with %d logs already yielded (they arrived since page %d)",
                number,
                walk.repeated,
                number - 1,
            )
        return True

    @property
    def next_page(self) -> int:
        """The page a new walk should start at (``start_page``) to continue this one.

        Nothing is lost from there. If the walk stopped in the middle of a page, it is
        that page, and the new walk yields its first logs again; see :doc:`pagination`.
        """
        return self._walk.next_page

    @property
    def items_yielded(self) -> int:
        """How many logs the pager has handed out (in pages too)."""
        return self._walk.items_yielded

    @property
    def total(self) -> int | None:
        """The ``total`` of the last page fetched: the logs matching the filters then.

        ``None`` until the first page arrives.
        """
        return self._walk.total

    @property
    def done(self) -> bool:
        """Whether the walk has reached its end (or ``max_items``): iterating yields nothing."""
        return self._walk.done

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(next_page={self.next_page},"
            f" items_yielded={self.items_yielded}, total={self.total}, done={self.done})"
        )

    # --- DataFrames and notebooks (meetbot_sdk._notebook._frames, meetbot_sdk._notebook._html) ---

    def _repr_html_(self) -> str:
        return _html.pager_html(self)

    _frame_slot: FrameSlot | None = None  # made by the first to_pandas()/to_polars()/to_arrow()

    def _building(self, library: Library, progress: bool) -> FrameBuilding:
        if self._frame_slot is None:
            self._frame_slot = FrameSlot()
        feature = f"{type(self).__name__}.to_{library}()"
        return self._frame_slot.building(
            self._walk, library, progress, feature=feature, model=ApiLog
        )


class ApiLogPager(_PagerBase["Sender"]):
    """Every request log matching the filters, newest first, fetched page by page.

    Returned by :meth:`ApiLogsResource.list`; iterate it for :class:`ApiLog` items or call
    :meth:`pages` for whole pages. No request is sent until then.

    Example:
        >>> for log in client.api_logs.list(status_code=500):  # doctest: +SKIP
        ...     print(log.created_at, log.path)
    """

    __module__ = "meetbot_sdk"  # its public home, which loads it lazily

    # The loop now running over the walk (weakly: leaving it must let it be collected).
    _loop: weakref.ref[Generator[Any, None, None]] | None = None
    _read_ahead: ThreadReadAhead | None = None

    def __iter__(self) -> Generator[ApiLog, None, None]:
        return self._run(self._walk.pop)

    def pages(self) -> Generator[ApiLogPage, None, None]:
        """Iterate over whole pages instead of logs, with the same rules.

        Each page holds only logs not yielded before, so a page that repeats nothing is
        the server's page unchanged and one that does is shorter; pages left with no log
        are skipped.
        """
        return self._run(self._walk.pop_page)

    def close(self) -> None:
        """Stop the loop over this pager and its read-ahead now.

        Queued page requests are dropped, retries and rate-limit waits abandoned; a request
        already on the wire is let finish (within the client's timeout) and its answer
        dropped. Iterating again continues the walk. Leaving a ``for`` loop or a ``with``
        block does the same.
        """
        loop = self._loop() if self._loop is not None else None
        if loop is not None:
            loop.close()

    def __enter__(self) -> ApiLogPager:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _run(self, pop: Callable[[], Any]) -> Generator[Any, None, None]:
        previous = self._loop() if self._loop is not None else None
        loop = self._loop_over(pop, previous)
        self._loop = weakref.ref(loop)
        return loop

    def _loop_over(
        self, pop: Callable[[], Any], previous: Generator[Any, None, None] | None
    ) -> Generator[Any, None, None]:
        if previous is not None:
            _close_previous(previous.close)
        walk = self._walk
        try:
            while True:
                item = pop()
                if item is not None:
                    yield item
                elif walk.finished:
                    return
                else:
                    self._advance()
        finally:
            if self._read_ahead is not None:
                self._read_ahead.close()
                self._read_ahead = None

    def _advance(self) -> None:
        walk = self._walk
        if self._concurrency == 1:
            self._take(self._client._request(self._page_call(walk.fetch_page)), fetched_ahead=False)
            return
        if self._read_ahead is None:
            self._read_ahead = ThreadReadAhead(self._client, self._page_call, self._concurrency)
        page, fetched_ahead = self._read_ahead.take(walk)
        if not self._take(page, fetched_ahead=fetched_ahead):
            page = self._client._request(self._page_call(walk.fetch_page))
            self._take(page, fetched_ahead=False)
        self._read_ahead.schedule(walk)

    # --- DataFrames (meetbot_sdk._notebook._frames) ---

    def _build(self, library: Library, progress: bool) -> Any:
        """Walk on, page by page, into a frame or table of ``library``."""
        with self._building(library, progress) as builder:
            for page in self.pages():
                builder.add_page(page)
            return builder.frame()

    def to_pandas(self, *, progress: bool = False) -> pandas.DataFrame:
        """Walk on to the end (or ``max_items``) and return the logs as a pandas frame.

        One row per log, columns the :class:`ApiLog` attributes in order: ``created_at``
        timezone-aware UTC, ``api_key_id`` a nullable ``Int64``, text columns the
        ``string`` dtype with missing values as ``<NA>``. The frame is built page by page:
        only one page of :class:`ApiLog` objects is held at a time. A pager that was
        iterated before gives the logs it has not yielded yet. Needs the ``pandas`` extra.

        If the walk fails part-way (an error the retries did not cure, an interrupt),
        calling ``to_pandas()`` again goes on from there and returns the whole frame, each
        log once. (Iterating the pager in between drops the unfinished frame.)

        Args:
            progress: Show a progress bar (a widget in Jupyter, a bar on stderr in a
                terminal, nothing when stderr is not a terminal).

        Raises:
            ImportError: pandas is missing; the message is the install line.
            TypeError: ``progress`` is not a bool.
        """
        frame: pandas.DataFrame = self._build("pandas", progress)
        return frame

    def to_polars(self, *, progress: bool = False) -> polars.DataFrame:
        """As :meth:`to_pandas`, as a polars frame. Needs the ``polars`` extra."""
        frame: polars.DataFrame = self._build("polars", progress)
        return frame

    def to_arrow(self, *, progress: bool = False) -> pyarrow.Table:
        """As :meth:`to_pandas`, as a :class:`pyarrow.Table` (the schema of
        :meth:`ApiLogPage.to_arrow`), built page by page. Needs the ``arrow`` extra."""
        table: pyarrow.Table = self._build("arrow", progress)
        return table


class AsyncApiLogPager(_PagerBase["AsyncSender"]):
    """Every request log matching the filters, newest first, fetched page by page.

    Returned by :meth:`AsyncApiLogsResource.list`; iterate it with ``async for`` (no
    ``await`` first) for :class:`ApiLog` items or call :meth:`pages` for whole pages. No
    request is sent until then.

    Example:
        >>> async for log in client.api_logs.list(status_code=500):  # doctest: +SKIP
        ...     print(log.created_at, log.path)
    """

    __module__ = "meetbot_sdk"  # its public home, which loads it lazily

    # The loop now running over the walk (weakly: leaving it must let it be collected).
    _loop: weakref.ref[AsyncGenerator[Any, None]] | None = None
    _read_ahead: TaskReadAhead | None = None

    def __aiter__(self) -> AsyncGenerator[ApiLog, None]:
        return self._run(self._walk.pop)

    def pages(self) -> AsyncGenerator[ApiLogPage, None]:
        """Iterate over whole pages instead of logs, with the same rules.

        Each page holds only logs not yielded before, so a page that repeats nothing is
        the server's page unchanged and one that does is shorter; pages left with no log
        are skipped.
        """
        return self._run(self._walk.pop_page)

    async def close(self) -> None:
        """Stop the loop over this pager and its read-ahead now.

        In-flight page requests are cancelled. Iterating again continues the walk. Leaving
        an ``async with`` block does the same; leaving an ``async for`` loop does it too,
        but only once asyncio finalizes the loop's generator, a moment later.
        """
        loop = self._loop() if self._loop is not None else None
        if loop is not None:
            await loop.aclose()
        elif self._read_ahead is not None:  # the loop was left and collected, not yet closed
            read_ahead, self._read_ahead = self._read_ahead, None
            await read_ahead.close()

    async def aclose(self) -> None:
        """The same as :meth:`close`, by the name :func:`contextlib.aclosing` calls."""
        await self.close()

    async def __aenter__(self) -> AsyncApiLogPager:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _run(self, pop: Callable[[], Any]) -> AsyncGenerator[Any, None]:
        previous = self._loop() if self._loop is not None else None
        loop = self._loop_over(pop, previous)
        self._loop = weakref.ref(loop)
        return loop

    async def _loop_over(
        self, pop: Callable[[], Any], previous: AsyncGenerator[Any, None] | None
    ) -> AsyncGenerator[Any, None]:
        if previous is not None:
            await _close_previous_async(previous)
        walk = self._walk
        try:
            while True:
                item = pop()
                if item is not None:
                    yield item
                elif walk.finished:
                    return
                else:
                    await self._advance()
        finally:
            if self._read_ahead is not None:
                await self._read_ahead.close()
                self._read_ahead = None

    async def _advance(self) -> None:
        walk = self._walk
        if self._concurrency == 1:
            page = await self._client._request(self._page_call(walk.fetch_page))
            self._take(page, fetched_ahead=False)
            return
        if self._read_ahead is None:
            self._read_ahead = TaskReadAhead(self._client, self._page_call, self._concurrency)
        page, fetched_ahead = await self._read_ahead.take(walk)
        if not self._take(page, fetched_ahead=fetched_ahead):
            page = await self._client._request(self._page_call(walk.fetch_page))
            self._take(page, fetched_ahead=False)
        self._read_ahead.schedule(walk)

    # --- DataFrames (meetbot_sdk._notebook._frames) ---

    async def _build(self, library: Library, progress: bool) -> Any:
        """Walk on, page by page, into a frame or table of ``library``."""
        with self._building(library, progress) as builder:
            async for page in self.pages():
                builder.add_page(page)
            return builder.frame()

    async def to_pandas(self, *, progress: bool = False) -> pandas.DataFrame:
        """As :meth:`ApiLogPager.to_pandas`, awaited: ``frame = await pager.to_pandas()``."""
        frame: pandas.DataFrame = await self._build("pandas", progress)
        return frame

    async def to_polars(self, *, progress: bool = False) -> polars.DataFrame:
        """As :meth:`ApiLogPager.to_polars`, awaited: ``frame = await pager.to_polars()``."""
        frame: polars.DataFrame = await self._build("polars", progress)
        return frame

    async def to_arrow(self, *, progress: bool = False) -> pyarrow.Table:
        """As :meth:`ApiLogPager.to_arrow`, awaited: ``table = await pager.to_arrow()``."""
        table: pyarrow.Table = await self._build("arrow", progress)
        return table


_IN_USE = (
    "this pager is being iterated elsewhere (another thread or task); a pager is one walk,"
    " so make one per consumer with client.api_logs.list()"
)


def _close_previous(close: Callable[[], None]) -> None:
    try:
        close()
    except ValueError:  # "generator already executing"
        raise RuntimeError(_IN_USE) from None


async def _close_previous_async(previous: AsyncGenerator[Any, None]) -> None:
    try:
        await previous.aclose()
    except RuntimeError:  # "asynchronous generator is already running"
        raise RuntimeError(_IN_USE) from None
