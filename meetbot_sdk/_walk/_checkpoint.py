"""WalkCheckpoint: where a walk over request logs stands, saved to continue it in any process.

The logs are listed newest first by ``(created_at, id)``, and new logs only ever arrive at the
head, above every log there is. So a walk that starts at the head and goes down covers one
band of that order, and a chain of walks covers a few bands, which three keys describe:

- ``watermark``: every matching log at or below it has been yielded, by walks that finished;
- ``top``: the newest log of the walk in progress, which walks down from there;
- ``cursor``: the oldest log the walk in progress has yielded.

The walk in progress has yielded the band ``[cursor, top]``; left to yield is the band
between ``watermark`` and ``cursor`` (between ``watermark`` and ``top``, ``top`` included,
while nothing is yielded yet). A walk resumed from the checkpoint yields exactly that band,
then sets ``watermark = top``: the checkpoint is *finished*. A walk resumed from a finished
checkpoint starts at the head and stops at the watermark: it yields exactly the logs that
arrived since the last walk began, and so on. Each log lies in exactly one band, whichever
walk is interrupted where.

How a resumed walk finds its band quickly, relying only on what the API states:

- **Down to the cursor, by offset.** ``offset`` counts the logs before the page holding the
  next log to yield, when that page was fetched. Logs only arrive at the head, so that log is
  at ``offset`` or later now: the resumed walk starts at the page holding ``offset`` and
  skips, by the walk's cursor, what it repeats.
- **Down to the watermark, with a margin.** ``start_date`` is documented only as "ISO date:
  only logs after it", with no time zone, granularity or inclusiveness promised. A walk with
  a watermark sends ``start_date`` two days before the watermark's UTC date (unless the
  user's own ``start_date`` is later): whatever the server makes of that date, even the end
  of that day in any time zone (at most 14 hours off UTC), every log above the watermark is
  after it. The walk itself stops at the first log at or below the watermark, so the date
  only spares the server counting older logs and read-ahead fetching pages past the end.

Deleting logs that a walk has already passed breaks this, as it breaks the walk itself (see
:doc:`pagination`). One such case is caught: a resumed walk whose first page lies past the
end of the list (it shrank below ``offset``) goes back to page 1 and skips, by its cursor,
what it had yielded, instead of ending there with the rest of its band unread.

A checkpoint belongs to one API and one account: it records the base URL and a fingerprint
of the API key (16 hex digits of a SHA-256, from which the key cannot be recovered), and a
client with another refuses it. Checkpoints written before they carried these are accepted
by any client; the walk resumed from one writes them into its own checkpoints.

Reading one back trusts nothing: the text is bounded in size
(:data:`MAX_CHECKPOINT_BYTES`) and nesting before it is parsed, every time and id must lie
in range, and each refusal is a ``ValueError`` quoting at most a short excerpt.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

import attrs

from meetbot_sdk._constants import MAX_JSON_DEPTH
from meetbot_sdk._decoding._converter import format_timestamp, parse_timestamp
from meetbot_sdk._utils._stored_json import excerpt, load_stored_json
from meetbot_sdk._walk._pagination import LogKey, Walk

__all__ = [
    "MAX_CHECKPOINT_BYTES",
    "WalkCheckpoint",
    "account_fingerprint",
    "check_resume",
    "checkpoint_of",
    "resumed_walk",
    "walk_query",
]

_FORMAT = "meetbot_sdk.WalkCheckpoint"
_VERSION = 1
_DATE_MARGIN = datetime.timedelta(days=2)
MAX_CHECKPOINT_BYTES = 64 * 1024
"""The largest checkpoint text :meth:`WalkCheckpoint.from_json` reads (one is a few hundred
bytes, its filters included)."""
_EARLIEST = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_LATEST = datetime.datetime(9999, 1, 1, tzinfo=datetime.timezone.utc)
_MAX_INT = 2**63 - 1  # ids and offsets are 64-bit on the wire
_MAX_BASE_URL = 2048
_FINGERPRINT = re.compile(r"[0-9a-f]{16}")


@attrs.frozen
class WalkCheckpoint:
    """Where a walk over request logs stands: pass it to ``list(resume_from=...)``.

    Get one from :meth:`ApiLogPager.checkpoint` at any moment, save it with :meth:`to_json`,
    read it back with :meth:`from_json`. A walk resumed from it yields exactly the logs the
    earlier walk had not yielded yet (if it had not finished) or exactly the logs that arrived
    since it began (if it had): a chain of walks, each interrupted anywhere, yields every
    matching log once. See :doc:`pagination`.

    Attributes:
        filters: The walk's filters as sent to the API (``("status_code", "500")``, ...),
            sorted by name; a resumed walk must be given the same.
        watermark: ``(created_at, id)`` of the newest log of the last finished walk: every
            matching log at or below it has been yielded. ``None`` before any walk finished.
        top: ``(created_at, id)`` of the newest log of the walk in progress, or ``None``.
        cursor: ``(created_at, id)`` of the oldest log the walk in progress has yielded, or
            ``None``.
        offset: Logs before the page where the walk in progress goes on.
        finished: The walk reached the end: nothing is left of it to yield.
        base_url: The base URL of the API the walk ran against, or ``None`` (any: a
            checkpoint written by meetbot-sdk before it recorded one).
        account: A fingerprint of the API key the walk ran with (16 hex digits of a
            SHA-256, never the key), or ``None`` (any).
    """

    __module__ = "meetbot_sdk"  # its public home, which loads it lazily

    filters: tuple[tuple[str, str], ...]
    watermark: LogKey | None = None
    top: LogKey | None = None
    cursor: LogKey | None = None
    offset: int = 0
    finished: bool = False
    base_url: str | None = None
    account: str | None = None

    def to_json(self) -> str:
        """The checkpoint as one line of JSON text, for a file or a database column."""
        return json.dumps(
            {
                "format": _FORMAT,
                "version": _VERSION,
                "filters": dict(self.filters),
                "watermark": _key_to_json(self.watermark),
                "top": _key_to_json(self.top),
                "cursor": _key_to_json(self.cursor),
                "offset": self.offset,
                "finished": self.finished,
                "base_url": self.base_url,
                "account": self.account,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> WalkCheckpoint:
        """Read a checkpoint written by :meth:`to_json`.

        Raises:
            ValueError: The text is not a checkpoint of this format (larger than 64 KiB or
                nested deeper than 64 levels, not JSON, another document, another version, a
                field missing, out of place or out of range).

        Example:
            >>> from meetbot_sdk import WalkCheckpoint
            >>> text = WalkCheckpoint(filters=(("method", "GET"),), finished=True).to_json()
            >>> WalkCheckpoint.from_json(text).filters
            (('method', 'GET'),)
        """
        if not isinstance(text, (str, bytes)):
            raise ValueError(f"not a walk checkpoint: expected text, got {type(text).__name__}")
        try:
            document = load_stored_json(
                text, max_bytes=MAX_CHECKPOINT_BYTES, max_depth=MAX_JSON_DEPTH
            )
        except ValueError as exc:
            raise ValueError(f"not a walk checkpoint: the text is {exc}") from None
        if not isinstance(document, dict) or document.get("format") != _FORMAT:
            raise ValueError(
                f"not a walk checkpoint: expected a JSON object with format {_FORMAT!r}"
            )
        if document.get("version") != _VERSION:
            raise ValueError(
                f"walk checkpoint version {excerpt(document.get('version'))} is not supported"
                f" (this meetbot-sdk reads version {_VERSION})"
            )
        try:
            checkpoint = _from_document(document)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a valid walk checkpoint: {_reason(exc)}") from None
        return checkpoint


def _from_document(document: Mapping[str, Any]) -> WalkCheckpoint:
    filters = document["filters"]
    if not isinstance(filters, dict) or not all(
        isinstance(name, str) and isinstance(value, str) for name, value in filters.items()
    ):
        raise TypeError("'filters' must be an object of strings")
    offset, finished = document["offset"], document["finished"]
    if offset.__class__ is not int or not 0 <= offset <= _MAX_INT:
        raise ValueError(f"'offset' must be an int from 0 to 2**63 - 1, got {excerpt(offset)}")
    if not isinstance(finished, bool):
        raise TypeError(f"'finished' must be true or false, got {excerpt(finished)}")
    base_url, account = document.get("base_url"), document.get("account")
    if base_url is not None and (not isinstance(base_url, str) or len(base_url) > _MAX_BASE_URL):
        raise ValueError(f"'base_url' must be null or a URL, got {excerpt(base_url)}")
    if account is not None and not (isinstance(account, str) and _FINGERPRINT.fullmatch(account)):
        raise ValueError(f"'account' must be null or 16 hex digits, got {excerpt(account)}")
    watermark, top, cursor = (
        _key_from_json(name, document[name]) for name in ("watermark", "top", "cursor")
    )
    if finished and (top is not None or cursor is not None or offset):
        raise ValueError("a finished checkpoint has no 'top', 'cursor' or 'offset'")
    if top is None and (cursor is not None or offset):
        raise ValueError("'cursor' and 'offset' need a 'top'")
    if top is not None and cursor is not None and cursor > top:
        raise ValueError("'cursor' is above 'top'")
    lowest = cursor if cursor is not None else top
    if watermark is not None and lowest is not None and lowest <= watermark:
        raise ValueError("the walk in progress is not above 'watermark'")
    return WalkCheckpoint(
        filters=tuple(sorted(filters.items())),
        watermark=watermark,
        top=top,
        cursor=cursor,
        offset=offset,
        finished=finished,
        base_url=base_url,
        account=account,
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"the field {exc.args[0]!r} is missing"
    return str(exc)


def _key_to_json(key: LogKey | None) -> list[object] | None:
    return None if key is None else [format_timestamp(key[0]), key[1]]


def _key_from_json(name: str, value: object) -> LogKey | None:
    if value is None:
        return None
    if (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and len(value[0]) <= 64
        and value[1].__class__ is int
        and 0 <= value[1] <= _MAX_INT
    ):
        try:
            instant = parse_timestamp(value[0])
        except ValueError:
            pass
        else:
            if _EARLIEST <= instant < _LATEST:
                return (instant, value[1])
    raise ValueError(
        f"{name!r} must be null or [timestamp, id] (a time from 1970 to 9998, an id"
        f" from 0 to 2**63 - 1), got {excerpt(value)}"
    )


# --- what the pagers do with checkpoints -----------------------------------------------------


def account_fingerprint(api_key: str) -> str:
    """The fingerprint of an API key a checkpoint records: 16 hex digits of a SHA-256 (of
    its own, not the rate budget's), from which the key cannot be recovered."""
    return hashlib.sha256(f"{_FORMAT}\n{api_key}".encode()).hexdigest()[:16]


def check_resume(
    checkpoint: object,
    filters: Mapping[str, str],
    start_page: int,
    *,
    base_url: str,
    account: str,
) -> None:
    """Raise unless a walk with these filters and ``start_page``, of a client of this base
    URL and key fingerprint, can resume ``checkpoint``."""
    if not isinstance(checkpoint, WalkCheckpoint):
        raise TypeError(
            "resume_from must be a WalkCheckpoint (from pager.checkpoint() or"
            f" WalkCheckpoint.from_json()), got {type(checkpoint).__name__}"
        )
    if start_page != 1:
        raise ValueError(
            "start_page cannot be combined with resume_from: the checkpoint says where"
        )
    if checkpoint.base_url is not None and checkpoint.base_url != base_url:
        raise ValueError(
            f"resume_from holds a walk against {checkpoint.base_url!r}, and this client talks"
            f" to {base_url!r}: a checkpoint resumes only the walk of the API and account"
            " that wrote it"
        )
    if checkpoint.account is not None and checkpoint.account != account:
        raise ValueError(
            f"resume_from holds a walk of another API key (key fingerprint"
            f" {checkpoint.account}; this client's is {account}): a checkpoint resumes only"
            " the walk of the API and account that wrote it (for a new key of the same"
            " account, resume from attrs.evolve(checkpoint, account=None))"
        )
    saved = dict(checkpoint.filters)
    if saved != dict(filters):
        raise ValueError(
            "resume_from holds a walk with other filters: it had"
            f" {_describe(saved)}, this walk has {_describe(filters)}; pass the same filters"
        )


def _describe(filters: Mapping[str, str]) -> str:
    if not filters:
        return "no filters"
    return ", ".join(f"{name}={value!r}" for name, value in sorted(filters.items()))


def walk_query(filters: Mapping[str, str], watermark: LogKey | None) -> dict[str, str]:
    """The query of a walk with a watermark: the filters, ``start_date`` narrowed with a margin."""
    if watermark is None:
        return dict(filters)
    try:
        margin_date = watermark[0].astimezone(datetime.timezone.utc).date() - _DATE_MARGIN
    except OverflowError:  # a watermark made by hand near year 1: no date narrows it
        return dict(filters)
    margin_start = datetime.datetime.combine(margin_date, datetime.time(), datetime.timezone.utc)
    given = filters.get("start_date")
    if given is not None and _instant(given) >= margin_start:
        return dict(filters)
    return {**filters, "start_date": margin_date.isoformat()}


def _instant(text: str) -> datetime.datetime:
    """The instant of a ``start_date`` as the SDK sends it (a date or a UTC timestamp)."""
    if len(text) == 10:
        day = datetime.date.fromisoformat(text)
        return datetime.datetime.combine(day, datetime.time(), datetime.timezone.utc)
    return parse_timestamp(text)


def resumed_walk(checkpoint: WalkCheckpoint, page_size: int, max_items: int | None) -> Walk:
    """The walk that goes on from ``checkpoint``."""
    if checkpoint.finished or checkpoint.top is None:
        return Walk(page_size, 1, max_items, floor=checkpoint.watermark)
    top, cursor = checkpoint.top, checkpoint.cursor
    # Nothing yielded yet: accept ``top`` itself; ids are ints, so (t, id + 1) bounds it.
    ceiling = cursor if cursor is not None else (top[0], top[1] + 1)
    return Walk(
        page_size,
        checkpoint.offset // page_size + 1,
        max_items,
        ceiling=ceiling,
        floor=checkpoint.watermark,
        top=top,
        handed_out=cursor,
        rewind_past_end=checkpoint.offset > 0,
    )


def checkpoint_of(
    walk: Walk,
    filters: Mapping[str, str],
    watermark: LogKey | None,
    *,
    base_url: str,
    account: str,
) -> WalkCheckpoint:
    """Where ``walk`` (with these filters, above ``watermark``, of a client of this base URL
    and key fingerprint) stands now."""
    sorted_filters = tuple(sorted(filters.items()))
    if walk.done and walk.exhausted:
        newest = walk.top if walk.top is not None else watermark
        position = WalkCheckpoint(filters=sorted_filters, watermark=newest, finished=True)
    elif walk.top is None:
        position = WalkCheckpoint(filters=sorted_filters, watermark=watermark)
    else:
        position = WalkCheckpoint(
            filters=sorted_filters,
            watermark=watermark,
            top=walk.top,
            cursor=walk.oldest_handed_out,
            offset=(walk.next_page - 1) * walk.page_size,
        )
    return attrs.evolve(position, base_url=base_url, account=account)
