"""Compact ``repr()`` for the models: short enough to read in a terminal, whatever the payload.

attrs would print every element of every list, so a 100-log page came to some 30,000
characters and a 90-day :class:`~meetbot_sdk.Analytics` to 10,000. Here a list longer than
:data:`SHOWN_ITEMS` is summarised as its length, item type and the range of its telling
fields (ids, dates, counts); shorter lists, dicts and single models show every value.
Datetimes print as ISO 8601 text (``'2026-01-15T12:00:00Z'``) rather than the constructor
call. The models' equality, hashing and ``to_dict()`` do not depend on any of this.

Nothing here runs when a model is built: the ``repr`` is computed when asked for.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

import attrs

__all__ = ["SHOWN_ITEMS", "compact_repr", "format_value", "iso", "summarise_items"]

SHOWN_ITEMS = 5
"""Lists up to this long are shown item by item; longer ones are summarised."""

# Per item type: the fields whose range tells what a long list holds, and whether their sum
# says more than their range (a daily count's total).
_RANGE_FIELDS: dict[str, tuple[str, ...]] = {
    "ApiLog": ("id", "created_at"),
    "RecentRequest": ("created_at",),
    "DailyCount": ("date",),
}
_SUMMED_FIELDS: dict[str, tuple[str, ...]] = {"DailyCount": ("count",)}


def compact_repr(model: Any) -> str:
    """``ClassName(field=value, ...)`` with long lists summarised."""
    shown = ", ".join(
        f"{field.name}={format_value(getattr(model, field.name))}"
        for field in attrs.fields(type(model))
    )
    return f"{type(model).__name__}({shown})"


def format_value(value: object) -> str:
    """One value as the compact ``repr`` shows it."""
    if isinstance(value, datetime.datetime):
        shown = repr(iso(value))
    elif isinstance(value, datetime.date):
        shown = repr(value.isoformat())
    elif attrs.has(type(value)):
        shown = compact_repr(value)
    elif isinstance(value, list):
        if len(value) > SHOWN_ITEMS:
            shown = f"[{summarise_items(value)}]"
        else:
            shown = "[" + ", ".join(format_value(item) for item in value) + "]"
    elif isinstance(value, dict):
        items = (f"{key!r}: {format_value(item)}" for key, item in value.items())
        shown = "{" + ", ".join(items) + "}"
    else:
        shown = repr(value)
    return shown


def summarise_items(items: Sequence[object]) -> str:
    """``<100 ApiLog, id 2000..1901, created_at '...'..'...'>``: count, type and ranges.

    Ranges run from the first item to the last, in the list's order (logs come newest
    first); sums are over every item. ``items`` is not empty.
    """
    first, last = items[0], items[-1]
    name = type(first).__name__
    parts = [f"{len(items)} {name}"]
    for field in _RANGE_FIELDS.get(name, ()):
        low, high = format_value(getattr(first, field)), format_value(getattr(last, field))
        parts.append(f"{field} {low}..{high}")
    parts.extend(
        f"{field} sum {sum(getattr(item, field) for item in items)}"
        for field in _SUMMED_FIELDS.get(name, ())
    )
    return "<" + ", ".join(parts) + ">"


def iso(moment: datetime.datetime) -> str:
    """An aware datetime in UTC as ISO 8601 with ``Z``; fractions of a second only if any."""
    text = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None).isoformat()
    return text + "Z"
