"""Each endpoint described once: argument checks, query building and the model it returns.

Pure functions, shared by the sync and async clients. They raise ``TypeError``/``ValueError``
with a message naming the argument and what is allowed, so bad input never reaches the network.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Generic, Literal, TypedDict, TypeVar

import attrs

from meetbot_sdk._constants import MAX_PAGE_SIZE, PERIODS
from meetbot_sdk._decoding._converter import as_utc, format_timestamp, parse_timestamp
from meetbot_sdk._models import Analytics, ApiKeyUsage, ApiLogPage
from meetbot_sdk._utils._checks import check_int

__all__ = [
    "MAX_PAGE_SIZE",
    "PERIODS",
    "APICall",
    "ApiLogFilters",
    "DateLike",
    "Period",
    "analytics_get",
    "api_keys_get_usage",
    "api_logs_get_page",
    "check_int",
    "log_query",
]

T = TypeVar("T")

Period = Literal["7d", "30d", "90d"]

DateLike = datetime.date | datetime.datetime | str
"""A date filter: a ``date``, a ``datetime`` (aware ones are sent in UTC, naive ones are taken
as UTC) or an ISO 8601 string of either."""


class ApiLogFilters(TypedDict, total=False):
    """The filters of the request-log endpoints; each is optional, ``None`` means unfiltered."""

    method: str | None
    """Only requests with this HTTP method (``"GET"``, ``"POST"``, ...)."""
    status_code: int | None
    """Only requests the API answered with this HTTP status."""
    path: str | None
    """Only requests whose path contains this text (``"/bots"``)."""
    api_key_id: int | None
    """Only requests made with this API key."""
    start_date: DateLike | None
    """Only logs from this day or instant on (a date counts from its start, in UTC)."""
    end_date: DateLike | None
    """Only logs up to this day or instant (a date counts to its end, in UTC)."""


_FILTER_NAMES = tuple(ApiLogFilters.__annotations__)


@attrs.frozen(eq=False, repr=False)  # never compared nor shown: attrs need not write them
class APICall(Generic[T]):
    """One request to make: method, path under the base URL, query, and the model to decode."""

    method: str
    path: str
    params: dict[str, str]
    model: type[T]


# --- argument checks ------------------------------------------------------------------------


def _check_str(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__} {value!r}")
    return value


def _check_period(period: object) -> str:
    if period not in PERIODS or not isinstance(period, str):
        allowed = ", ".join(repr(p) for p in PERIODS)
        raise ValueError(f"period must be one of {allowed}, got {period!r}")
    return period


def _check_method(value: object) -> str:
    method = _check_str("method", value)
    if not (method.isascii() and method.isalpha()):
        raise ValueError(f"method must be an HTTP method name such as 'GET', got {method!r}")
    return method.upper()


def _format_date(name: str, value: object) -> tuple[str, datetime.datetime]:
    """Render a date filter for the wire, with the instant it stands for (to compare bounds)."""
    if isinstance(value, str):
        value = _parse_date_text(name, value)
    if isinstance(value, datetime.datetime):
        instant = as_utc(value)
        return format_timestamp(instant), instant
    if isinstance(value, datetime.date):
        midnight = datetime.datetime(value.year, value.month, value.day)
        return value.isoformat(), as_utc(midnight)
    raise TypeError(
        f"{name} must be a datetime.date, a datetime.datetime or an ISO 8601 string, "
        f"got {type(value).__name__} {value!r}"
    )


def _parse_date_text(name: str, text: str) -> datetime.date | datetime.datetime:
    try:
        if len(text) == 10:
            return datetime.date.fromisoformat(text)
        return parse_timestamp(text)
    except ValueError:
        raise ValueError(
            f"{name} must be an ISO 8601 date ('2024-01-15') or timestamp "
            f"('2024-01-15T10:30:00Z'), got {text!r}"
        ) from None


def _log_query(filters: Mapping[str, object]) -> dict[str, str]:
    unknown = sorted(set(filters) - set(_FILTER_NAMES))
    if unknown:
        raise TypeError(
            f"unexpected filter {', '.join(map(repr, unknown))}; "
            f"the filters are {', '.join(_FILTER_NAMES)}"
        )
    params: dict[str, str] = {}
    bounds: dict[str, datetime.datetime] = {}
    for name in _FILTER_NAMES:
        value = filters.get(name)
        if value is None:
            continue
        if name == "method":
            params[name] = _check_method(value)
        elif name == "path":
            params[name] = _check_str(name, value)
        elif name == "status_code":
            params[name] = str(check_int(name, value, minimum=100, maximum=599))
        elif name == "api_key_id":
            params[name] = str(check_int(name, value, minimum=1))
        else:
            params[name], bounds[name] = _format_date(name, value)
    if len(bounds) == 2 and bounds["start_date"] > bounds["end_date"]:
        raise ValueError(
            f"start_date ({params['start_date']}) must not be after end_date ({params['end_date']})"
        )
    return params


log_query = _log_query
"""The filters of a request-log query as sent: checked, dates in UTC (shared by checkpoints)."""


# --- the endpoints --------------------------------------------------------------------------


def analytics_get(period: object) -> APICall[Analytics]:
    """``GET /users/me/analytics``."""
    return APICall("GET", "/users/me/analytics", {"period": _check_period(period)}, Analytics)


def api_logs_get_page(
    page: object, page_size: object, filters: Mapping[str, object]
) -> APICall[ApiLogPage]:
    """``GET /users/me/api-logs`` for one page."""
    params = {
        "page": str(check_int("page", page, minimum=1)),
        "page_size": str(check_int("page_size", page_size, minimum=1, maximum=MAX_PAGE_SIZE)),
    }
    params.update(_log_query(filters))
    return APICall("GET", "/users/me/api-logs", params, ApiLogPage)


def api_keys_get_usage(key_id: object) -> APICall[ApiKeyUsage]:
    """``GET /api-keys/{key_id}/usage``; ``key_id`` must be a positive int, never a string."""
    number = check_int("key_id", key_id, minimum=1)
    return APICall("GET", f"/api-keys/{number}/usage", {}, ApiKeyUsage)
