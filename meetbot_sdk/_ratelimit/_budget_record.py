"""A :class:`~meetbot_sdk._ratelimit._throttle.Window` as the small record a shared budget
stores, and back.

The record is compact JSON. Reading it trusts nothing: a record that is not one of ours, was
written for another API key, is cut short, is larger than 64 KiB or nested deeper than
the record ever is (checked before it is parsed), or holds a value out of its range (a
negative count, a lease lapsing an hour from now, a time that is not a finite number) is
ignored as a whole, with one warning, and the budget starts afresh, the way a cold client
does: one probe asks the server. Reading a record never raises.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from meetbot_sdk._ratelimit._window import BLOCKING_STATUSES, MAX_LEASE_SECONDS, Window
from meetbot_sdk._transport._http import default_backend
from meetbot_sdk._utils._logs import logger
from meetbot_sdk._utils._stored_json import load_stored_json

if TYPE_CHECKING:
    import httpx

__all__ = ["MAX_LEASE_SECONDS", "MAX_RECORD_BYTES", "dump", "load", "read"]

VERSION = 1
MAX_RECORD_BYTES = 64 * 1024
_MAX_DEPTH = 4  # the record nests 3 levels: itself, then "leases" and "blocked"
_MAX_HORIZON = 2 * 86400.0  # no reset or Retry-After is believed further away than this
_MAX_LEASES = 4096
_MAX_BODY = 2000  # characters of the blocking response kept, for the error others raise


class _MalformedError(ValueError):
    pass


def dump(window: Window, key: str) -> str:
    """The record of ``window`` for the budget of ``key`` (an API-key fingerprint)."""
    blocked = None
    if window.blocked_until is not None and window.blocked_by is not None:
        response = window.blocked_by
        blocked = [
            window.blocked_until,
            response.status_code,
            response.text[:_MAX_BODY],
            response.headers.get("x-request-id"),
        ]
    record = {
        "v": VERSION,
        "key": key,
        "known": window.known,
        "unlimited": window.unlimited,
        "limit": window.limit,
        "remaining": window.remaining,
        "untold": window.untold,
        "reset_at": window.reset_at,
        "stated": window.stated_reset,
        "rolled_at": window.rolled_at,
        "span": window.rolled_span,
        "opened_at": window.opened_at,
        "answered_at": window.first_answer_at,
        "guessed": window.reset_guessed,
        "checking": window.checking_guess,
        "early": window.early_resets,
        "length": window.window_seconds,
        "leases": window.leases,
        "probe": window.probe,
        "blocked": blocked,
    }
    return json.dumps(record, separators=(",", ":"))


def load(text: str | bytes | None, key: str, now: float, *, where: str) -> Window:
    """The window a record describes; a fresh one for no record or one not to be trusted.

    Args:
        text: The record as stored, or ``None`` (nothing stored yet).
        key: The fingerprint of the API key this budget belongs to.
        now: The current time by the store's clock, to judge the record's times.
        where: Names the store in the warning for an ignored record.
    """
    window = read(text, key, now, where=where)
    return Window() if window is None else window


def read(text: str | bytes | None, key: str, now: float, *, where: str) -> Window | None:
    """As :func:`load`, but ``None`` (after the warning) for a record not to be trusted, so
    that a store never keeps one to decide on again."""
    window = Window()
    if not text:
        return window
    try:
        record = load_stored_json(text, max_bytes=MAX_RECORD_BYTES, max_depth=_MAX_DEPTH)
        if not isinstance(record, dict) or record.get("v") != VERSION:
            raise _MalformedError("not a meetbot-sdk budget record")
        if record.get("key") != key:
            raise _MalformedError("written for another API key or base URL")
        _fill(window, record, now)
    except (ValueError, TypeError, KeyError) as exc:  # json's errors are ValueErrors
        logger.warning("Ignoring the shared rate budget in %s: %s; starting afresh", where, exc)
        return None
    return window


def _fill(window: Window, record: dict[str, Any], now: float) -> None:
    window.known = _bool(record["known"])
    window.unlimited = _bool(record["unlimited"])
    limit = record["limit"]
    window.limit = None if limit is None else _count(limit, minimum=1)
    window.remaining = _count(record["remaining"], minimum=0)
    window.untold = _count(record.get("untold", 0), minimum=0)
    reset_at = record["reset_at"]
    window.reset_at = None if reset_at is None else _time(reset_at, now, _MAX_HORIZON)
    stated = record.get("stated")  # absent, as what follows, from records of earlier versions
    window.stated_reset = None if stated is None else _time(stated, now, _MAX_HORIZON)
    rolled_at = record.get("rolled_at")
    window.rolled_at = None if rolled_at is None else _time(rolled_at, now, _MAX_HORIZON)
    span = record.get("span")
    window.rolled_span = None if span is None else _time(span, 0.0, _MAX_HORIZON)
    # The reading of whole-second resets (see _window.likely_end); absent from older records.
    opened_at = record.get("opened_at")
    window.opened_at = None if opened_at is None else _time(opened_at, now, _MAX_HORIZON)
    answered_at = record.get("answered_at")
    window.first_answer_at = None if answered_at is None else _time(answered_at, now, _MAX_HORIZON)
    window.reset_guessed = _bool(record.get("guessed", False))
    window.checking_guess = _bool(record.get("checking", False))
    length = record.get("length")
    window.window_seconds = None if length is None else _count(length, minimum=1)
    window.early_resets = _bool(record.get("early", True))
    leases = record["leases"]
    if not isinstance(leases, dict) or len(leases) > _MAX_LEASES:
        raise _MalformedError("leases is not a small mapping")
    for name, until in leases.items():
        window.leases[_text(name, 64)] = _time(until, now, MAX_LEASE_SECONDS)
    probe = record["probe"]
    if probe is not None and probe not in window.leases:
        raise _MalformedError("the probe holds no lease")
    window.probe = probe
    blocked = record["blocked"]
    if blocked is not None:
        if not isinstance(blocked, list) or len(blocked) != 4:
            raise _MalformedError("blocked is not [until, status, body, request id]")
        until, status, body, request_id = blocked
        if status not in BLOCKING_STATUSES or isinstance(status, bool):
            raise _MalformedError(f"blocked by status {status!r}")
        window.blocked_until = _time(until, now, _MAX_HORIZON)
        window.blocked_by = _blocking_response(
            status, _text(body, _MAX_BODY), request_id, window.blocked_until - now
        )


def _blocking_response(status: int, body: str, request_id: object, wait: float) -> httpx.Response:
    """The refusal another process received, as this one raises it (same status and body)."""
    headers = {"retry-after": str(max(0, math.ceil(wait)))}
    if body.lstrip().startswith(("{", "[")):
        headers["content-type"] = "application/json"
    if request_id is not None:
        headers["x-request-id"] = _text(request_id, 200)
    # httpx's, the default library: a client on httpx2 converts it (BaseClient._admitted).
    return default_backend().Response(status, content=body.encode(), headers=headers)


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise _MalformedError(f"expected true or false, got {value!r}")
    return value


def _count(value: object, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _MalformedError(f"expected an integer >= {minimum}, got {value!r}")
    return value


def _time(value: object, now: float, horizon: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _MalformedError(f"expected a time, got {value!r}")
    if not math.isfinite(value) or value > now + horizon:
        raise _MalformedError(f"a time {value - now:.0f} s from now is not believable")
    return float(value)


def _text(value: object, length: int) -> str:
    if not isinstance(value, str) or len(value) > length:
        raise _MalformedError(f"expected a string of at most {length} characters")
    return value
