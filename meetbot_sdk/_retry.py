"""The retry policy: what is retried and how long to wait. Pure functions of headers, errors
and the current time, shared by both clients.

The drivers (:class:`tenacity.Retrying` for :class:`~meetbot_sdk.MeetBot`,
:class:`tenacity.AsyncRetrying` for :class:`~meetbot_sdk.AsyncMeetBot`) are built by
:func:`retrying` and :func:`async_retrying` from the same pieces (:func:`retry_options`) and
differ only in how they sleep. tenacity is imported on the first retry, not with the SDK:
it brings asyncio along, which a sync program should not pay for at start-up.
"""

from __future__ import annotations

import datetime
import email.utils
import math
import random
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from meetbot_sdk._constants import DEFAULT_MAX_RETRY_WAIT, INITIAL_BACKOFF, MAX_BACKOFF

if TYPE_CHECKING:
    import httpx
    import tenacity

__all__ = [
    "DEFAULT_MAX_RETRY_WAIT",
    "INITIAL_BACKOFF",
    "MAX_BACKOFF",
    "RETRYABLE_STATUSES",
    "Budget",
    "RetryableError",
    "async_retrying",
    "backoff",
    "parse_budget",
    "rate_headers",
    "retry_after_seconds",
    "retry_options",
    "retrying",
    "server_wait",
]

RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
"""Statuses worth another try: timeouts, lock conflicts, rate limits and server failures."""


# X-RateLimit-Reset is Unix epoch seconds, or seconds from now "when the value is small":
# anything below this (2001-09-09) cannot be a sensible epoch.
_EPOCH_THRESHOLD = 1_000_000_000


_RATE_HEADER_PREFIXES = (b"retry-after", b"x-ratelimit-", b"ratelimit-")


def rate_headers(headers: httpx.Headers) -> dict[str, str]:
    """The headers this module reads (``Retry-After*``, ``X-RateLimit-*``, ``RateLimit-*``),
    lower-cased, in one pass: cheaper than looking up each name in ``httpx.Headers``."""
    found: dict[str, str] = {}
    for name, value in headers.raw:
        lowered = name.lower()
        if lowered.startswith(_RATE_HEADER_PREFIXES):
            found.setdefault(lowered.decode("latin-1"), value.decode("latin-1"))
    return found


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


class Budget(NamedTuple):
    """A rate-limit budget as one response stated it.

    Attributes:
        limit: Requests allowed per window, when the server said.
        remaining: Requests left in the current window.
        reset_after: Seconds from the response until the window resets, when the server said.
        whole_seconds: The reset was an epoch time in whole seconds (as GitHub sends it):
            the window may end up to a second before it, should the server round up.
    """

    limit: int | None
    remaining: int
    reset_after: float | None
    whole_seconds: bool = False


def parse_budget(headers: Mapping[str, str], *, now: float | None = None) -> Budget | None:
    """The budget stated by ``X-RateLimit-*`` or else the IETF ``RateLimit-*`` headers.

    A budget needs at least a readable ``Remaining``. ``X-RateLimit-Reset`` is Unix epoch
    seconds, or seconds from now when it is small; ``RateLimit-Reset`` is always seconds from
    now. IETF list values such as ``"100, 100;w=60"`` are read by their first item.
    Malformed values are ignored, never raised.

    Args:
        headers: Response headers (case-insensitive).
        now: The current Unix time, for epoch resets; defaults to ``time.time()``.
    """
    for prefix, epoch_allowed in (("x-ratelimit-", True), ("ratelimit-", False)):
        remaining = _count(headers.get(prefix + "remaining"))
        if remaining is None:
            continue
        reset = _number(_first_item(headers.get(prefix + "reset")))
        whole = False
        if reset is not None and epoch_allowed and reset >= _EPOCH_THRESHOLD:
            whole = reset == int(reset)
            reset = max(0.0, reset - (time.time() if now is None else now))
        return Budget(
            limit=_count(headers.get(prefix + "limit")),
            remaining=remaining,
            reset_after=reset,
            whole_seconds=whole,
        )
    return None


def server_wait(
    status: int, headers: Mapping[str, str], *, now: float | None = None
) -> float | None:
    """How long the server asks us to wait before trying again, or ``None`` if it does not say.

    ``retry-after-ms`` and ``Retry-After`` count for any status. The rate-limit reset counts
    when the response is a 429 or says the budget is spent (``Remaining: 0``).
    """
    wait = retry_after_seconds(headers, now=now)
    if wait is not None:
        return wait
    budget = parse_budget(headers, now=now)
    if budget is not None and (status == 429 or budget.remaining == 0):
        return budget.reset_after
    return None


def backoff(retry_number: int, jitter: float) -> float:
    """The wait before retry number ``retry_number`` (1 for the first) when the server names none.

    Exponential from :data:`INITIAL_BACKOFF`, capped at :data:`MAX_BACKOFF`, then shortened by
    up to a quarter: ``jitter`` is a random number in [0, 1) so that clients that failed
    together do not retry together.
    """
    exponent = min(retry_number - 1, 16)  # 2**16 * 0.5 s is far past the cap already
    return min(MAX_BACKOFF, INITIAL_BACKOFF * 2.0**exponent) * (1.0 - 0.25 * jitter)


# --- tenacity -----------------------------------------------------------------------------


class RetryableError(Exception):
    """Raised inside an attempt whose failure is worth retrying; tenacity retries only these.

    It carries the exception the user would see (``error``), the wait the server asked for,
    if any (``wait``), and what to say in the log (``target``, ``reason``). When retries run
    out, :func:`retry_options` raises ``error`` in its place.
    """

    def __init__(
        self, error: BaseException, *, wait: float | None, target: str, reason: str
    ) -> None:
        super().__init__(reason)
        self.error = error
        self.wait = wait
        self.target = target  # "GET /v1/users/me/analytics?period=7d", for the log
        self.reason = reason


def _wait(state: tenacity.RetryCallState) -> float:
    """tenacity's ``wait``: the server's wait if it named one, else the jittered backoff."""
    signal = _signal(state)
    if signal.wait is not None:
        return signal.wait
    return backoff(state.attempt_number, random.random())  # noqa: S311 (jitter, not secrets)


def _give_up(state: tenacity.RetryCallState) -> Any:
    """tenacity's ``retry_error_callback``: raise what the last attempt failed with.

    ``from None``: the user's traceback ends at this call, not in the retry machinery's
    chain (a connection error keeps the library's exception as its ``cause``).
    """
    signal = _signal(state)
    raise signal.error from None


def _signal(state: tenacity.RetryCallState) -> RetryableError:
    outcome = state.outcome
    assert outcome is not None  # tenacity only asks after an attempt  # noqa: S101
    exc = outcome.exception()
    assert isinstance(exc, RetryableError)  # noqa: S101
    return exc


def retry_options(
    max_retries: int,
    *,
    sleep: Callable[[float], Any],
    before_sleep: Callable[[tenacity.RetryCallState], Any],
) -> dict[str, Any]:
    """Keyword arguments for a ``Retrying`` or ``AsyncRetrying`` that carries out this policy.

    Attempts raise :class:`RetryableError` for a retryable failure and anything else for a
    final one; a final exception passes through at once, and a :class:`RetryableError` still
    standing when ``max_retries`` are spent is replaced by the error it carries.
    """
    import tenacity  # lazily: see the module docstring

    return {
        "stop": tenacity.stop_after_attempt(max_retries + 1),
        "wait": _wait,
        "retry": tenacity.retry_if_exception_type(RetryableError),
        "retry_error_callback": _give_up,
        "before_sleep": before_sleep,
        "sleep": sleep,
    }


def retrying(
    max_retries: int,
    *,
    sleep: Callable[[float], Any],
    before_sleep: Callable[[tenacity.RetryCallState], Any],
) -> tenacity.Retrying:
    """The sync driver of this policy."""
    import tenacity  # lazily: see the module docstring

    return tenacity.Retrying(**retry_options(max_retries, sleep=sleep, before_sleep=before_sleep))


def async_retrying(
    max_retries: int,
    *,
    sleep: Callable[[float], Any],
    before_sleep: Callable[[tenacity.RetryCallState], Any],
) -> tenacity.AsyncRetrying:
    """The asyncio driver of this policy: the same pieces, an awaited ``sleep``."""
    import tenacity  # lazily: see the module docstring

    options = retry_options(max_retries, sleep=sleep, before_sleep=before_sleep)
    return tenacity.AsyncRetrying(**options)


def _first_item(value: str | None) -> str | None:
    if value is None:
        return None
    return value.split(",", 1)[0].split(";", 1)[0]


def _count(value: str | None) -> int | None:
    number = _number(_first_item(value))
    if number is None:
        return None
    return int(number)


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
