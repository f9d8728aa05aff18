"""Instants as integer microseconds since the Unix epoch (UTC), and their wire spellings.

The fake keeps every instant as an ``int`` so that sorting, bisecting and day arithmetic
stay cheap at hundreds of thousands of logs; this module converts at the edges.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

MICROS_PER_SECOND = 1_000_000
MICROS_PER_DAY = 86_400 * MICROS_PER_SECOND

# How a ``createdAt`` is spelled. Spec §2: usually ``Z``; fractional seconds and ``+00:00``
# also occur. Plain ints rather than an enum: they sit in hot loops and in packed sort keys.
SECONDS_Z = 0  # 2026-01-15T10:30:00Z
MICROS_Z = 1  # 2026-01-15T10:30:00.123456Z
MILLIS_Z = 2  # 2026-01-15T10:30:00.123Z
SECONDS_OFFSET = 3  # 2026-01-15T10:30:00+00:00
STYLE_COUNT = 4

# The finest unit each style can show; an instant is truncated to it so that the spelled
# text and the instant the fake filters and sorts by are one and the same.
STYLE_RESOLUTION_MICROS = (MICROS_PER_SECOND, 1, 1_000, MICROS_PER_SECOND)

_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_UNIX_EPOCH_DATE = date(1970, 1, 1)
_ONE_MICROSECOND = timedelta(microseconds=1)
_DATE_ONLY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MICROS_PER_MINUTE = 60 * MICROS_PER_SECOND
_MINUTES_PER_DAY = 1_440
_CLOCK_MINUTES = tuple(f"{hour:02d}:{minute:02d}:" for hour in range(24) for minute in range(60))
_TWO_DIGITS = tuple(f"{number:02d}" for number in range(60))


def to_micros(moment: datetime) -> int:
    """Return an aware datetime as microseconds since the Unix epoch."""
    return (moment - _UNIX_EPOCH) // _ONE_MICROSECOND


def day_start(day: int) -> int:
    """Return the first microsecond of a UTC day numbered from 1970-01-01."""
    return day * MICROS_PER_DAY


def day_label(day: int) -> str:
    """Return a UTC day numbered from 1970-01-01 as ``YYYY-MM-DD``."""
    return (_UNIX_EPOCH_DATE + timedelta(days=day)).isoformat()


def month_bounds(micros: int) -> tuple[int, int]:
    """Return the half-open range of microseconds of the UTC calendar month holding an instant."""
    day = _UNIX_EPOCH_DATE + timedelta(days=micros // MICROS_PER_DAY)
    first = day.replace(day=1)
    following = (
        first.replace(year=first.year + 1, month=1)
        if first.month == 12
        else first.replace(month=first.month + 1)
    )
    return (
        (first - _UNIX_EPOCH_DATE).days * MICROS_PER_DAY,
        (following - _UNIX_EPOCH_DATE).days * MICROS_PER_DAY,
    )


def spell_instants(instants: Sequence[int], styles: Sequence[int]) -> list[str]:
    """Spell instants as wire timestamps, each in its own style.

    Sorted instants are the fast case: the ``YYYY-MM-DDTHH:MM:`` prefix is reused while
    the minute stays the same, and the rest comes from lookup tables.

    Args:
        instants: Microseconds since the epoch, already truncated to each style's resolution.
        styles: One of the ``*_Z``/``*_OFFSET`` constants per instant.

    Returns:
        The ``createdAt`` strings, in the same order.
    """
    days: dict[int, str] = {}
    spelled: list[str] = []
    append = spelled.append
    current_minute = None
    prefix = ""
    for micros, style in zip(instants, styles, strict=True):
        minute, rest = divmod(micros, _MICROS_PER_MINUTE)
        if minute != current_minute:
            current_minute = minute
            day, minute_of_day = divmod(minute, _MINUTES_PER_DAY)
            date_part = days.get(day)
            if date_part is None:
                date_part = days[day] = day_label(day) + "T"
            prefix = date_part + _CLOCK_MINUTES[minute_of_day]
        second, fraction = divmod(rest, MICROS_PER_SECOND)
        clock = prefix + _TWO_DIGITS[second]
        if style == SECONDS_Z:
            append(clock + "Z")
        elif style == MICROS_Z:
            append(f"{clock}.{fraction:06d}Z")
        elif style == MILLIS_Z:
            append(f"{clock}.{fraction // 1_000:03d}Z")
        else:
            append(clock + "+00:00")
    return spelled


def parse_query_instant(text: str, *, end_of_day: bool) -> int:
    """Parse a ``start_date``/``end_date`` query value.

    Args:
        text: ``YYYY-MM-DD`` or an ISO 8601 datetime; a datetime without an offset is UTC.
        end_of_day: For a bare date, return its last microsecond instead of its first, so
            that an inclusive upper bound covers the whole UTC day.

    Returns:
        Microseconds since the epoch.

    Raises:
        ValueError: The text is neither a date nor a datetime.
    """
    if _DATE_ONLY.fullmatch(text):
        days = (date.fromisoformat(text) - _UNIX_EPOCH_DATE).days
        return day_start(days + 1) - 1 if end_of_day else day_start(days)
    if text.endswith(("Z", "z")):
        # Python 3.10's fromisoformat does not read a trailing Z.
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return to_micros(moment)
