"""The walk over request logs: which page to fetch next, which logs are new, when to stop.

Pure and shared by both pagers (:mod:`meetbot_sdk._walk._pagers`), which only fetch pages and hand
them to a :class:`Walk`.

How the walk yields every log exactly once although the API pages by offset: logs come
newest first (``createdAt`` descending, then ``id`` descending), and new logs arrive at the
head, pushing every older log towards later pages. So a page fetched after ``k`` arrivals
starts with up to ``k`` logs that ended the previous page. The walk keeps one *cursor*, the
sort key of the oldest log it has accepted, and accepts from each page only the logs that
sort strictly after it. Nothing else is remembered, so memory stays at a page.

That leaves no gap as long as each page is answered no earlier than the page before it: a
later answer can only have shifted more. Read-ahead breaks that order, so a page fetched
ahead is checked against its predecessor: ``total`` counts the arrivals, and a page whose
``total`` is below its predecessor's was answered earlier, possibly with a gap; it is
fetched again.

A walk can also continue one saved in a :class:`~meetbot_sdk.WalkCheckpoint`: it then starts
with a *ceiling* (accept only logs below it) and a *floor* (stop at the first log at or below
it); :mod:`meetbot_sdk._walk._checkpoint` explains the bookkeeping.
"""

from __future__ import annotations

import datetime
import math

import attrs

from meetbot_sdk._constants import MAX_CONCURRENCY, MAX_PAGE_SIZE
from meetbot_sdk._models import ApiLog, ApiLogPage
from meetbot_sdk._utils._checks import check_int

__all__ = ["MAX_CONCURRENCY", "LogKey", "Walk", "check_walk_arguments", "log_key"]


LogKey = tuple[datetime.datetime, int]
"""Where a log sorts: ``(created_at, id)``; the API lists logs by it, largest first."""
_Key = LogKey


def log_key(log: ApiLog) -> LogKey:
    """The sort key of a log."""
    return (log.created_at, log.id)


_key = log_key


def check_walk_arguments(
    page_size: object, start_page: object, max_items: object, concurrency: object
) -> None:
    """Raise ``TypeError``/``ValueError`` for arguments of ``list()`` a walk cannot take."""
    check_int("page_size", page_size, minimum=1, maximum=MAX_PAGE_SIZE)
    check_int("start_page", start_page, minimum=1)
    if max_items is not None:
        check_int("max_items", max_items, minimum=0)
    check_int("concurrency", concurrency, minimum=1, maximum=MAX_CONCURRENCY)


@attrs.define
class Walk:
    """Where a walk stands: the next page to take, the logs taken but not yet handed out.

    Pages are *taken* strictly in order (:meth:`take`); their new logs wait in a buffer
    until the consumer pops them, one by one (:meth:`pop`) or as a page (:meth:`pop_page`).

    Args:
        page_size: Logs requested per page.
        fetch_page: The first page to take.
        max_items: Stop after this many logs; ``None`` for no limit.
        ceiling: Accept only logs that sort below this key (a resumed walk's cursor).
        floor: Stop at the first log that sorts at or below this key (earlier walks have
            yielded everything from there down).
        top: The newest log of the walk, when it continues an earlier one; else it is the
            first log accepted.
        handed_out: The oldest log an earlier part of this walk handed out.
        rewind_past_end: A first page past the end of the list sends the walk back to page
            1 (a resumed walk, whose list has shrunk below its offset: its logs shifted
            towards the head, and the ceiling skips what it had yielded).
    """

    page_size: int
    fetch_page: int
    max_items: int | None
    ceiling: _Key | None = attrs.field(default=None, kw_only=True)
    floor: _Key | None = attrs.field(default=None, kw_only=True)
    top: _Key | None = attrs.field(default=None, kw_only=True)
    """The newest log the walk accepted (or continues from): its upper end."""
    handed_out: _Key | None = attrs.field(default=None, kw_only=True)
    rewind_past_end: bool = attrs.field(default=False, kw_only=True)
    exhausted: bool = attrs.field(default=False, init=False)
    """The walk reached the end of the list or the floor (not only ``max_items``)."""
    items_yielded: int = attrs.field(default=0, init=False)
    total: int | None = attrs.field(default=None, init=False)
    """The ``total`` of the last page taken."""
    finished: bool = attrs.field(default=False, init=False)
    """No page is left to take (the buffer may still hold logs)."""
    repeated: int = attrs.field(default=0, init=False)
    """How many logs the last page taken began with that were taken before."""
    _newest_total: int = attrs.field(default=0, init=False)
    _cursor: _Key | None = attrs.field(default=None, init=False)
    _accepted: int = attrs.field(default=0, init=False)
    # The page being handed out (its new logs only), its number, how many are handed out.
    _page: ApiLogPage = attrs.field(
        factory=lambda: ApiLogPage(logs=[], total=0, page=0, page_size=0), init=False
    )
    _page_number: int = attrs.field(default=0, init=False)
    _index: int = attrs.field(default=0, init=False)
    _cut: bool = attrs.field(default=False, init=False)  # max_items cut the last page taken

    def __attrs_post_init__(self) -> None:
        self._cursor = self.ceiling
        if self.max_items == 0:
            self.finished = True

    @property
    def oldest_handed_out(self) -> _Key | None:
        """The sort key of the oldest log handed out so far (by this walk or the one it
        continues), or ``None``."""
        if self._index:
            return _key(self._page.logs[self._index - 1])
        return self.handed_out

    @property
    def next_page(self) -> int:
        """The page to start a new walk at so that no log is lost.

        While logs of a page are still buffered, that page: a new walk starting there
        yields again the ones already handed out.
        """
        if self._index < len(self._page.logs) or self._cut:
            return self._page_number  # max_items may have left logs of it behind
        return self.fetch_page

    @property
    def done(self) -> bool:
        """Every log has been handed out."""
        return self.finished and self._index >= len(self._page.logs)

    def pages_to_request(self, concurrency: int) -> range:
        """The pages that should be in flight: the next one to take and up to
        ``concurrency - 1`` after it that are known to exist."""
        if self.finished:
            return range(0)
        first = self.fetch_page
        if self.total is None:
            return range(first, first + 1)  # the first answer tells how many pages there are
        last = math.ceil(self._newest_total / self.page_size)
        if self.max_items is not None:
            wanted = self.max_items - self._accepted
            last = min(last, first - 1 + math.ceil(wanted / self.page_size))
        last = min(max(last, first), first + concurrency - 1)
        return range(first, last + 1)

    def take(self, page: ApiLogPage, *, fetched_ahead: bool) -> bool:
        """Take the answer for :attr:`fetch_page`; ``False`` if it must be fetched again.

        Args:
            page: The answer.
            fetched_ahead: The request was sent before the previous page was taken, so the
                server may have answered it first.
        """
        if fetched_ahead and self.total is not None and page.total < self.total:
            return False
        if self._rewound(page):
            return True
        logs, cursor, skip = page.logs, self._cursor, 0
        if cursor is not None:
            # Newest first: the logs pushed over from the previous page lead the page.
            while skip < len(logs) and _key(logs[skip]) >= cursor:
                skip += 1
        new = logs[skip:] if skip else logs
        self.repeated = skip
        floor, below_floor = self.floor, False
        if floor is not None and new and _key(new[-1]) <= floor:
            keep = 0
            while keep < len(new) and _key(new[keep]) > floor:
                keep += 1
            new, below_floor = new[:keep], True
        room = None if self.max_items is None else self.max_items - self._accepted
        cut = room is not None and len(new) > room
        if cut:
            new = new[:room]
        if new:
            self._cursor = _key(new[-1])  # the oldest accepted
            if self.top is None:
                self.top = _key(new[0])
        if self._page.logs:  # handed out entirely: take() comes once the buffer is empty
            self.handed_out = _key(self._page.logs[-1])
        # A server that pages by fewer logs than asked says so in page_size; the page
        # arithmetic follows it, or a full page of its size would look short.
        if 0 < page.page_size < self.page_size:
            self.page_size = page.page_size
        self._accepted += len(new)
        self.total = page.total
        self._newest_total = max(self._newest_total, page.total)
        at_end = (
            below_floor
            or len(logs) < self.page_size
            or self.fetch_page * self.page_size >= page.total
        )
        self.exhausted, self._cut = at_end and not cut, cut
        self.finished = at_end or (self.max_items is not None and self._accepted >= self.max_items)
        if new is not logs:
            page = attrs.evolve(page, logs=new)
        self._page, self._page_number, self._index = page, self.fetch_page, 0
        self.fetch_page += 1
        return True

    def _rewound(self, page: ApiLogPage) -> bool:
        """Go back to page 1 if ``page`` is a resumed walk's first, past the end."""
        if not self.rewind_past_end:
            return False
        self.rewind_past_end = False  # only the first page can be past the end so
        if page.logs or self.fetch_page == 1:
            return False
        self.fetch_page, self.repeated = 1, 0
        return True

    def pop(self) -> ApiLog | None:
        """Hand out the next buffered log, or ``None`` when the buffer is empty."""
        index, logs = self._index, self._page.logs
        if index >= len(logs):
            return None
        self._index = index + 1
        self.items_yielded += 1
        return logs[index]

    def pop_page(self) -> ApiLogPage | None:
        """Hand out the rest of the buffered page, or ``None`` when nothing is buffered.

        The page carries only logs not handed out before; it is the server's page object
        itself when nothing was left out.
        """
        page, index = self._page, self._index
        count = len(page.logs)
        if index >= count:
            return None
        if index:
            page = attrs.evolve(page, logs=page.logs[index:])
        self._index = count
        self.items_yielded += count - index
        return page
