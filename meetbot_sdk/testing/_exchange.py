"""What passes through the fake's single dispatch point: a request in, a response out.

The in-process transport and the loopback server both reduce what they receive to
:class:`RequestParts` and turn a :class:`FakeResponse` back into their own kind of response,
so parsing happens here once for both.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlsplit

import attrs

API_PREFIX = "/v1"

Action = Literal["respond", "drop", "truncate"]


@attrs.frozen
class RecordedRequest:
    """A request the fake received, as :attr:`FakeMeetBot.requests` lists it.

    Attributes:
        method: The HTTP method, e.g. ``"GET"``.
        path: The decoded path without the ``/v1`` prefix, e.g. ``"/users/me/api-logs"``.
            A path outside ``/v1`` is kept whole.
        query: The query parameters; when a name repeats, its first value.
        headers: The request headers with lower-cased names; repeated headers are joined
            with ``", "``. Left out of the repr, since they hold the bearer credential.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str] = attrs.field(repr=False)


@attrs.frozen
class RequestParts:
    """A request as either front end received it, before parsing.

    Attributes:
        method: The HTTP method.
        target: The raw request target: path and query, percent-encoded.
        headers: Header names (any case) and values, in the order received.
    """

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]


@attrs.frozen
class ParsedRequest:
    """A request ready for routing: the full decoded path plus what gets recorded."""

    full_path: str
    recorded: RecordedRequest


@attrs.frozen
class FakeResponse:
    """A response before either front end turns it into its own kind of response.

    The dispatch point decides everything under the fake's lock; the front ends carry out
    ``delay`` and ``action`` after it is released, so a slow answer holds up no other request.

    Attributes:
        status: The HTTP status code; meaningless when ``action`` is ``"drop"``.
        headers: Header names and values, in the order to send them.
        body: The encoded body.
        action: ``"respond"`` sends the response; ``"drop"`` closes the connection without
            a byte of it; ``"truncate"`` announces the full body length, sends half the body
            and closes the connection.
        delay: Seconds to wait before the action.
    """

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    action: Action = "respond"
    delay: float = 0.0


def parse_request(parts: RequestParts) -> ParsedRequest:
    """Split a raw request into its decoded path, query and lower-cased headers."""
    split = urlsplit(parts.target)
    full_path = unquote(split.path)
    query: dict[str, str] = {}
    for name, value in parse_qsl(split.query, keep_blank_values=True):
        query.setdefault(name, value)
    if full_path == API_PREFIX or full_path.startswith(API_PREFIX + "/"):
        path = full_path[len(API_PREFIX) :] or "/"
    else:
        path = full_path
    recorded = RecordedRequest(
        method=parts.method,
        path=path,
        query=query,
        headers=merge_headers(parts.headers),
    )
    return ParsedRequest(full_path=full_path, recorded=recorded)


def merge_headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Lower-case header names and join the values of repeated headers with ``", "``."""
    headers: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers
