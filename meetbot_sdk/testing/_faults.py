"""Scripted faults and a rate-limit window: what the fake does instead of answering normally.

Nothing here does I/O or reads the time except through the clock it is given. The fake keeps
one :class:`FaultQueue` and at most one :class:`RateLimitWindow` under its lock and asks
:func:`respond` for each request's :class:`FakeResponse`; its front ends then carry out the
delay, dropped connection or cut body that the response asks for.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Literal, cast, get_args

import attrs

from meetbot_sdk._utils._clock import CLOCK
from meetbot_sdk.testing._exchange import FakeResponse
from meetbot_sdk.testing._routes import json_response

FaultKind = Literal["status", "drop_connection", "delay", "malformed_body", "truncated_body"]
ResetFormat = Literal["delta", "epoch"]
HeaderStyle = Literal["x-ratelimit", "ietf"]

MIN_STATUS, MAX_STATUS = 200, 599
# What a proxy or a captive portal answers: a 200 that claims JSON but is not.
MALFORMED_BODY = b"<html><head><title>Gateway</title></head><body>Please retry.</body></html>"

_BODILESS_STATUSES = frozenset({204, 304})
# Framing is the front end's job: a header here would contradict the body it sends.
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding"})
_NO_STATUS = 0  # a dropped connection answers with no status at all
_REPR_BODY_LIMIT = 60


def _encode(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _default_body(status: int) -> bytes:
    if status in _BODILESS_STATUSES:
        return b""
    if 200 <= status < 300:
        return b"{}"
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    code = re.sub(r"[^a-z0-9]+", "_", phrase.lower()).strip("_") or f"http_{status}"
    message = f"Injected {status} {phrase}".rstrip()
    return _encode({"error": {"code": code, "message": message}})


def is_number(value: object) -> bool:
    """An int or a float, but not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_seconds(seconds: float) -> float:
    """Return ``seconds`` as a float if it is a finite number >= 0.

    Raises:
        ValueError: It is negative, infinite or not a number.
    """
    if not is_number(seconds) or not math.isfinite(seconds) or seconds < 0:
        msg = f"seconds must be a finite number >= 0, got {seconds!r}"
        raise ValueError(msg)
    return float(seconds)


@attrs.frozen(repr=False)
class Fault:
    """What the fake does for one request instead of answering it normally.

    Build faults with the class methods below and queue them with
    :meth:`FakeMeetBot.inject`. Each fault is used by exactly one request. Scripted faults
    take precedence over a rate limit and do not count against it, except
    :meth:`delay`, which answers normally, only later.

    Attributes:
        kind: Which class method built the fault, e.g. ``"status"``.
        status_code: The status a ``"status"`` or ``"malformed_body"`` fault answers with.
        seconds: How long a ``"delay"`` fault waits.
        body: The body a ``"status"`` or ``"malformed_body"`` fault sends.
        headers: The headers a ``"status"`` fault was given, besides ``Content-Type``.

    Example:
        >>> from meetbot_sdk.testing import FakeMeetBot, Fault
        >>> fake = FakeMeetBot()
        >>> fake.inject(Fault.status(503, headers={"Retry-After": "2"}), Fault.drop_connection())
        >>> fake.pending_faults
        2
        >>> Fault.status(503)
        Fault.status(503)
    """

    kind: FaultKind
    status_code: int | None = None
    seconds: float = 0.0
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def status(
        cls,
        status: int,
        *,
        json: object = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """Answer with ``status``, whatever the request asked for.

        The response carries exactly ``headers`` (plus ``Content-Type: application/json``
        unless they set another, ``X-Request-Id`` and ``Content-Length``), and none of the
        rate-limit headers, so a test controls them fully.

        Args:
            status: The HTTP status code, 200 to 599.
            json: A value to send as the JSON body.
            body: The exact body bytes; use it for bodies that are not JSON.
            headers: Response headers, such as ``Retry-After`` or ``X-RateLimit-Reset``.

        Returns:
            The fault. Without ``json`` or ``body``, an error status gets a body such as
            ``{"error": {"code": "service_unavailable", "message": "Injected 503 Service
            Unavailable"}}``, a 2xx status gets ``{}`` and 204 or 304 an empty body.

        Raises:
            ValueError: ``status`` is out of range, both ``json`` and ``body`` are given,
                a 204 or 304 is given a body, or ``headers`` sets ``Content-Length`` or
                ``Transfer-Encoding``.
            TypeError: ``status`` is not an int, ``headers`` holds something other than
                strings, or ``json`` cannot be encoded as JSON.

        Example:
            >>> Fault.status(429, headers={"Retry-After": "1"})
            Fault.status(429, headers={'Retry-After': '1'})
        """
        if not isinstance(status, int) or isinstance(status, bool):
            msg = f"status must be an int from {MIN_STATUS} to {MAX_STATUS}, got {status!r}"
            raise TypeError(msg)
        if not MIN_STATUS <= status <= MAX_STATUS:
            msg = f"status must be from {MIN_STATUS} to {MAX_STATUS}, got {status}"
            raise ValueError(msg)
        if json is not None and body is not None:
            msg = "pass json or body, not both"
            raise ValueError(msg)
        content = _default_body(status) if json is None and body is None else body
        if content is None:
            content = _encode(json)
        if content and status in _BODILESS_STATUSES:
            msg = f"a {status} response has no body"
            raise ValueError(msg)
        pairs = tuple((headers or {}).items())
        if not all(isinstance(name, str) and isinstance(value, str) for name, value in pairs):
            msg = f"headers must map str to str, e.g. {{'Retry-After': '2'}}; got {headers!r}"
            raise TypeError(msg)
        framing = sorted({name for name, _ in pairs if name.lower() in _FRAMING_HEADERS})
        if framing:
            msg = f"headers must not set {', '.join(framing)}: the fake frames the body itself"
            raise ValueError(msg)
        return cls("status", status_code=status, body=bytes(content), headers=pairs)

    @classmethod
    def drop_connection(cls) -> Fault:
        """Close the connection without sending a byte of the response.

        ``httpx`` raises :class:`httpx.RemoteProtocolError` ("Server disconnected without
        sending a response."), over loopback and in-process alike.
        """
        return cls("drop_connection")

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Answer normally, rate limit included, but only after ``seconds``.

        Other requests proceed meanwhile. In-process, a client whose read timeout is
        shorter than ``seconds`` waits that long and gets :class:`httpx.ReadTimeout`, as
        it would from a socket; over loopback, the client's own timeout does the same.

        Args:
            seconds: How long to wait, a finite number >= 0.

        Raises:
            ValueError: ``seconds`` is negative, infinite or not a number.
        """
        return cls("delay", seconds=check_seconds(seconds))

    @classmethod
    def malformed_body(cls) -> Fault:
        """Answer 200 with ``Content-Type: application/json`` and an HTML body.

        This is what a proxy or captive portal in the way looks like to a client.
        """
        return cls("malformed_body", status_code=200, body=MALFORMED_BODY)

    @classmethod
    def truncated_body(cls) -> Fault:
        """Send the normal response, but only half its body, then close the connection.

        The ``Content-Length`` header announces the whole body, so ``httpx`` raises
        :class:`httpx.RemoteProtocolError` ("peer closed connection without sending
        complete message body").
        """
        return cls("truncated_body")

    def __repr__(self) -> str:
        # Spelled as the call that builds the fault: that is what a failing test shows.
        args: list[str] = []
        if self.kind == "status":
            status = cast("int", self.status_code)
            args.append(str(status))
            if self.body != _default_body(status):
                shown = len(self.body) <= _REPR_BODY_LIMIT
                args.append(f"body={self.body!r}" if shown else f"body=<{len(self.body)} bytes>")
            if self.headers:
                args.append(f"headers={dict(self.headers)!r}")
        elif self.kind == "delay":
            args.append(repr(self.seconds))
        return f"Fault.{self.kind}({', '.join(args)})"


def check_faults(faults: tuple[object, ...], caller: str) -> tuple[Fault, ...]:
    """Return ``faults`` if every one is a :class:`Fault`.

    Raises:
        TypeError: One is not; the message names ``caller``, e.g. ``"inject()"``.
    """
    for fault in faults:
        if not isinstance(fault, Fault):
            msg = f"{caller} takes Fault objects, such as Fault.status(503); got {fault!r}"
            raise TypeError(msg)
    return cast("tuple[Fault, ...]", faults)


def check_path(path: str | None) -> None:
    """Check a path prefix to match requests by, as ``inject(path=...)`` takes it.

    Raises:
        ValueError: ``path`` does not start with ``/`` or starts with ``/v1``.
    """
    if path is not None and not path.startswith("/"):
        msg = f"path must start with '/', e.g. '/users/me/analytics', got {path!r}"
        raise ValueError(msg)
    if path is not None and (path == "/v1" or path.startswith("/v1/")):
        msg = f"path is matched without the /v1 prefix, e.g. '/users/me/analytics', got {path!r}"
        raise ValueError(msg)


class FaultQueue:
    """Scripted faults in the order they were injected, each limited to a path prefix or not."""

    def __init__(self) -> None:
        self._entries: list[tuple[Fault, str | None]] = []

    def __len__(self) -> int:
        return len(self._entries)

    def push(self, faults: tuple[object, ...], path: str | None) -> None:
        """Queue ``faults`` for requests whose path starts with ``path`` (any path if None)."""
        checked = check_faults(faults, "inject()")
        check_path(path)
        self._entries.extend((fault, path) for fault in checked)

    def take(self, path: str) -> Fault | None:
        """Remove and return the first fault whose prefix ``path`` starts with, if any."""
        for index, (fault, prefix) in enumerate(self._entries):
            if prefix is None or path.startswith(prefix):
                del self._entries[index]
                return fault
        return None

    def clear(self) -> None:
        """Forget every queued fault."""
        self._entries.clear()


@attrs.define
class RateLimitWindow:
    """A fixed window: ``limit`` requests per ``per`` seconds, from the first one counted.

    Raises:
        ValueError: An argument is out of range or not one of the allowed values.
    """

    limit: int
    per: float
    reset_format: ResetFormat
    header_style: HeaderStyle
    clock: Callable[[], float] | None  # None: the SDK's clock (see meetbot_sdk._utils._clock)
    count_faults: bool = False  # status faults count too (their answers tell no budget)
    _opened_at: float | None = attrs.field(default=None, init=False)
    _count: int = attrs.field(default=0, init=False)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.limit, int) or isinstance(self.limit, bool) or self.limit < 1:
            msg = f"limit must be an int >= 1, got {self.limit!r}"
            raise ValueError(msg)
        if not is_number(self.per) or not math.isfinite(self.per) or self.per <= 0:
            msg = f"per must be a finite number of seconds > 0, got {self.per!r}"
            raise ValueError(msg)
        for name, allowed in [
            ("reset_format", get_args(ResetFormat)),
            ("header_style", get_args(HeaderStyle)),
        ]:
            value = getattr(self, name)
            if value not in allowed:
                choices = " or ".join(repr(choice) for choice in allowed)
                msg = f"{name} must be {choices}, got {value!r}"
                raise ValueError(msg)
        if self.header_style == "ietf" and self.reset_format == "epoch":
            msg = (
                "header_style='ietf' sends RateLimit-Reset as delta seconds:"
                " use reset_format='delta'"
            )
            raise ValueError(msg)
        count_faults: object = self.count_faults  # callers without type checking pass "yes"
        if not isinstance(count_faults, bool):
            msg = f"count_faults must be True or False, got {count_faults!r}"
            raise TypeError(msg)
        clock: object = self.clock  # callers without type checking pass time.time() too
        if clock is not None and not callable(clock):
            msg = f"clock must be a callable returning seconds, such as time.time; got {clock!r}"
            raise TypeError(msg)

    def admit(self, route: Callable[[], FakeResponse], *, tell: bool = True) -> FakeResponse:
        """Count one request and answer it with ``route``, or refuse it with a 429.

        ``tell``: add the rate-limit headers to the answer (a counted fault's has none).
        """
        now = CLOCK.monotonic() if self.clock is None else self.clock()
        if self._opened_at is None or now >= self._opened_at + self.per:
            self._opened_at, self._count = now, 0
        ends_at = self._opened_at + self.per
        if self._count >= self.limit:
            retry_after = max(1, math.ceil(_round(ends_at - now)))
            noun = "request" if self.limit == 1 else "requests"
            message = f"Rate limit of {self.limit} {noun} per {self.per:g} s exceeded"
            return json_response(
                429,
                {"error": {"code": "rate_limited", "message": message}},
                *self._headers(0, now, ends_at),
                ("Retry-After", str(retry_after)),
            )
        self._count += 1
        response = route()
        if not tell:
            return response
        headers = self._headers(self.limit - self._count, now, ends_at)
        return attrs.evolve(response, headers=(*response.headers, *headers))

    def _headers(self, remaining: int, now: float, ends_at: float) -> tuple[tuple[str, str], ...]:
        if self.header_style == "ietf":
            prefix, reset = "RateLimit", str(math.ceil(_round(ends_at - now)))
        elif self.reset_format == "epoch":
            if self.clock is None:  # the SDK's clock is monotonic: the epoch is wall time
                ends_at = time.time() + (ends_at - now)
            prefix, reset = "X-RateLimit", str(math.ceil(_round(ends_at)))
        else:
            # Rounded up, so that a client waiting exactly this long finds a new window.
            prefix, reset = "X-RateLimit", f"{math.ceil(_round((ends_at - now) * 1000)) / 1000:.3f}"
        return (
            (f"{prefix}-Limit", str(self.limit)),
            (f"{prefix}-Remaining", str(remaining)),
            (f"{prefix}-Reset", reset),
        )


def _round(value: float) -> float:
    # Float noise such as 734.0000000001 must not round up a whole extra unit.
    return round(value, 6)


def respond(
    fault: Fault | None, window: RateLimitWindow | None, route: Callable[[], FakeResponse]
) -> FakeResponse:
    """The response to one request, given the fault it took and the rate limit, if any.

    Args:
        fault: The scripted fault the request consumed.
        window: The rate limit in force.
        route: Answers the request normally.

    Returns:
        The response, without ``X-Request-Id``.
    """
    if fault is None or fault.kind == "delay":
        response = route() if window is None else window.admit(route)
        return response if fault is None else attrs.evolve(response, delay=fault.seconds)
    if fault.kind == "drop_connection":
        return FakeResponse(status=_NO_STATUS, headers=(), body=b"", action="drop")
    if fault.kind == "truncated_body":
        return attrs.evolve(route(), action="truncate")
    # "status" and "malformed_body": a scripted answer, never routed.
    headers = fault.headers
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers = (("Content-Type", "application/json"), *headers)
    scripted = FakeResponse(status=cast("int", fault.status_code), headers=headers, body=fault.body)
    if fault.kind == "status" and window is not None and window.count_faults:
        return window.admit(lambda: scripted, tell=False)
    return scripted
