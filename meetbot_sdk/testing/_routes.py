"""The API's routes: a parsed request and the account's state in, a response out.

Nothing here does I/O or keeps state between requests. Checks run in the order the real
service applies them: unknown path (404), method (405), credentials (401), query (422).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any, overload

import attrs

from meetbot_sdk.testing._account import ACTIVE_STATUSES
from meetbot_sdk.testing._exchange import API_PREFIX, FakeResponse
from meetbot_sdk.testing._log_store import LogFilters
from meetbot_sdk.testing._timestamps import (
    MICROS_PER_DAY,
    day_label,
    day_start,
    month_bounds,
    parse_query_instant,
)

if TYPE_CHECKING:
    from meetbot_sdk.testing._account import Account
    from meetbot_sdk.testing._exchange import ParsedRequest
    from meetbot_sdk.testing._log_store import LogStore

DEFAULT_PERIOD = "30d"
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
RECENT_REQUEST_LIMIT = 10

_PERIOD_DAYS = {"7d": 7, "30d": 30, "90d": 90}
_UNSIGNED = re.compile(r"[0-9]+")
_SIGNED = re.compile(r"-?[0-9]+")
_KEY_USAGE = re.compile(API_PREFIX + r"/api-keys/([^/]+)/usage")
_Query = dict[str, str]


@attrs.frozen
class RouteState:
    """What the routes read: the account, its logs, the fake's clock and its API key."""

    account: Account
    logs: LogStore
    clock: Callable[[], int]
    """The fake's current time, in microseconds since the epoch."""
    api_key: str


_Endpoint = Callable[[_Query, RouteState], FakeResponse]


class _InvalidQueryError(Exception):
    """A query parameter failed validation; the message is the 422 ``detail``."""


def route(request: ParsedRequest, state: RouteState) -> FakeResponse:
    """Answer one request.

    Args:
        request: The parsed request.
        state: The account the fake serves.

    Returns:
        The response, with ``Content-Type`` but without ``X-Request-Id``.
    """
    endpoint = _match(request.full_path)
    if endpoint is None:
        return json_response(404, {"message": "Not Found"})
    recorded = request.recorded
    if recorded.method != "GET":
        return json_response(405, {"detail": "Method Not Allowed"}, ("Allow", "GET"))
    if not _authorized(recorded.headers.get("authorization", ""), state.api_key):
        error = {"code": "unauthorized", "message": "Invalid or missing API key"}
        return json_response(401, {"error": error})
    try:
        return endpoint(recorded.query, state)
    except _InvalidQueryError as invalid:
        return json_response(422, {"detail": str(invalid)})


def json_response(status: int, body: object, *headers: tuple[str, str]) -> FakeResponse:
    """Build a JSON response with the headers every response carries."""
    return FakeResponse(
        status=status,
        headers=(("Content-Type", "application/json"), *headers),
        body=json.dumps(body, separators=(",", ":")).encode(),
    )


def _match(full_path: str) -> _Endpoint | None:
    if full_path == API_PREFIX + "/users/me/analytics":
        return _analytics
    if full_path == API_PREFIX + "/users/me/api-logs":
        return _api_logs
    usage = _KEY_USAGE.fullmatch(full_path)
    if usage is not None:
        return partial(_key_usage, usage.group(1))
    return None


def _authorized(authorization: str, api_key: str) -> bool:
    scheme, _, token = authorization.partition(" ")
    return scheme.lower() == "bearer" and token == api_key


def _analytics(query: _Query, state: RouteState) -> FakeResponse:
    days = _PERIOD_DAYS.get(query.get("period", DEFAULT_PERIOD))
    if days is None:
        msg = "period must be one of 7d, 30d, 90d"
        raise _InvalidQueryError(msg)
    logs = state.logs
    now_micros = state.clock()
    today = now_micros // MICROS_PER_DAY
    period = range(today - days + 1, today + 1)
    month_start, month_end = month_bounds(now_micros)
    bots = state.account.bots
    created_per_day = Counter(bot.created_micros // MICROS_PER_DAY for bot in bots)
    recorded = [bot for bot in bots if bot.recording_seconds is not None]
    transcribed = [bot for bot in bots if bot.transcript_minutes is not None]
    webhooks = state.account.webhooks
    body = {
        "apiCalls": {
            "today": logs.count_between(day_start(today), day_start(today + 1)),
            "thisMonth": logs.count_between(month_start, month_end),
            "total": len(logs),
            "dailyBreakdown": [
                _day_count(day, logs.count_between(day_start(day), day_start(day + 1)))
                for day in period
            ],
        },
        "bots": {
            "created": sum(created_per_day[day] for day in period),
            "active": sum(bot.status in ACTIVE_STATUSES for bot in bots),
            "platformBreakdown": _breakdown(bot.platform for bot in bots),
            "statusBreakdown": _breakdown(bot.status for bot in bots),
            "dailyCreated": [_day_count(day, created_per_day[day]) for day in period],
        },
        "recordings": {
            "total": len(recorded),
            "totalDurationSeconds": sum(bot.recording_seconds or 0 for bot in recorded),
            "storageUsedMb": round(sum(bot.storage_mb or 0.0 for bot in recorded), 1),
        },
        "transcriptions": {
            "total": len(transcribed),
            "totalMinutes": round(sum(bot.transcript_minutes or 0.0 for bot in transcribed), 1),
        },
        "webhooks": {
            "totalDeliveries": webhooks.total,
            "successRate": _ratio(100 * webhooks.succeeded, webhooks.total),
            "avgResponseTimeMs": _ratio(webhooks.total_response_ms, webhooks.total),
        },
    }
    return json_response(200, body)


def _api_logs(query: _Query, state: RouteState) -> FakeResponse:
    page = _integer(query, "page", 1, pattern=_UNSIGNED, minimum=1)
    page_size = _integer(
        query, "page_size", DEFAULT_PAGE_SIZE, pattern=_UNSIGNED, minimum=1, maximum=MAX_PAGE_SIZE
    )
    method = query.get("method")
    filters = LogFilters(
        method=None if method is None else method.upper(),
        status_code=_integer(query, "status_code", None, pattern=_SIGNED),
        path=query.get("path"),
        api_key_id=_integer(query, "api_key_id", None, pattern=_SIGNED),
        start=_instant(query, "start_date", end_of_day=False),
        end=_instant(query, "end_date", end_of_day=True),
    )
    selected = state.logs.select(filters)
    offset = (page - 1) * page_size
    fragments = state.logs.encoded(selected[offset : offset + page_size])
    body = b'{"logs":[%b],"total":%d,"page":%d,"page_size":%d}' % (
        b",".join(fragments),
        len(selected),
        page,
        page_size,
    )
    return FakeResponse(status=200, headers=(("Content-Type", "application/json"),), body=body)


def _key_usage(key_text: str, query: _Query, state: RouteState) -> FakeResponse:
    del query  # the endpoint takes no parameters
    key_ids = {key.id for key in state.account.api_keys}
    key_id = int(key_text) if _UNSIGNED.fullmatch(key_text) and len(key_text) < 19 else 0
    if key_id not in key_ids:
        return json_response(404, {"detail": f"API key {key_text} not found"})
    logs = state.logs
    now_micros = state.clock()
    today = now_micros // MICROS_PER_DAY
    month_start, month_end = month_bounds(now_micros)
    recent = [
        {
            "method": log["method"],
            "path": log["path"],
            "statusCode": log["statusCode"],
            "createdAt": log["createdAt"],
        }
        for log in logs.newest_for_key(key_id, RECENT_REQUEST_LIMIT)
    ]
    body = {
        "requestsToday": logs.count_between(
            day_start(today), day_start(today + 1), api_key_id=key_id
        ),
        "requestsThisMonth": logs.count_between(month_start, month_end, api_key_id=key_id),
        "requestsTotal": logs.count_for_key(key_id),
        "recentRequests": recent,
    }
    return json_response(200, body)


@overload
def _integer(
    query: _Query,
    name: str,
    default: int,
    *,
    pattern: re.Pattern[str],
    minimum: int | None = None,
    maximum: int | None = None,
) -> int: ...


@overload
def _integer(
    query: _Query,
    name: str,
    default: None,
    *,
    pattern: re.Pattern[str],
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None: ...


def _integer(
    query: _Query,
    name: str,
    default: int | None,
    *,
    pattern: re.Pattern[str],
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    text = query.get(name)
    if text is None:
        return default
    value = int(text) if pattern.fullmatch(text) and len(text) < 19 else None
    if (
        value is None
        or (minimum is not None and value < minimum)
        or (maximum is not None and value > maximum)
    ):
        if maximum is not None:
            msg = f"{name} must be an integer between {minimum} and {maximum}"
        elif minimum is not None:
            msg = f"{name} must be an integer >= {minimum}"
        else:
            msg = f"{name} must be an integer"
        raise _InvalidQueryError(msg)
    return value


def _instant(query: _Query, name: str, *, end_of_day: bool) -> int | None:
    text = query.get(name)
    if text is None:
        return None
    try:
        return parse_query_instant(text, end_of_day=end_of_day)
    except (ValueError, OverflowError):
        msg = f"{name} must be an ISO 8601 date (YYYY-MM-DD) or datetime"
        raise _InvalidQueryError(msg) from None


def _day_count(day: int, count: int) -> dict[str, Any]:
    return {"date": day_label(day), "count": count}


def _breakdown(values: Iterable[str]) -> dict[str, int]:
    return dict(Counter(values).most_common())


def _ratio(numerator: int, denominator: int) -> float:
    return round(numerator / denominator, 1) if denominator else 0.0
