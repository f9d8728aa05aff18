"""How long the server asks us to wait. Pure functions of headers and the current time.

Issue 3 grows this module into the retry policy and the rate-limit throttle; for now it reads
the wait a 429 or 503 response asks for, which :class:`~meetbot_sdk.RateLimitError` exposes.
"""

from __future__ import annotations

import datetime
import email.utils
import math
import time
from collections.abc import Mapping

__all__ = ["retry_after_seconds"]


def retry_after_seconds(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """The wait in seconds that ``retry-after-ms`` or ``Retry-After`` asks for, if any.

    ``Retry-After`` may be delta-seconds or an HTTP date; a date in the past means 0.
    Malformed, negative or non-finite values are ignored (``None``), never raised.

    Args:
        headers: Response headers (a case-insensitive mapping such as ``httpx.Headers``).
        now: The current Unix time, for HTTP dates; defaults to ``time.time()``.
    """
    millis = _number(headers.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000.0
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _number(value)
    if seconds is not None:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": no zone given; HTTP dates are GMT by definition
        when = when.replace(tzinfo=datetime.timezone.utc)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if not math.isfinite(number) or number < 0:
        return None
    return number
