"""What resources and walks need of a client, as two small Protocols.

The clients import the resources (and, through them, the walks); so the resources and the
walks name these instead of :class:`~meetbot_sdk.MeetBot` and
:class:`~meetbot_sdk.AsyncMeetBot`, which match them structurally.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, overload

if TYPE_CHECKING:
    from meetbot_sdk._config import Config
    from meetbot_sdk._decoding._response import RawResponse
    from meetbot_sdk._endpoints import APICall
    from meetbot_sdk._ratelimit._throttle import Throttle

    if sys.version_info >= (3, 11):
        from typing import Self
    else:
        from typing_extensions import Self

__all__ = ["AsyncSender", "Sender"]

T = TypeVar("T")


class _Copies(Protocol):
    _config: Config
    _throttle: Throttle
    _in_flight: set[Any]

    def _copy(
        self,
        changes: Mapping[str, Any] | None = None,
        *,
        throttle: Throttle | None = None,
        stop: threading.Event | None = None,
    ) -> Self: ...


class Sender(_Copies, Protocol):
    """A :class:`~meetbot_sdk.MeetBot`: sends a call, retried and throttled, and decodes it."""

    @overload
    def _request(self, call: APICall[T], *, raw: Literal[False] = ...) -> T: ...
    @overload
    def _request(self, call: APICall[T], *, raw: bool) -> T | RawResponse[T]: ...


class AsyncSender(_Copies, Protocol):
    """An :class:`~meetbot_sdk.AsyncMeetBot`: the same, awaited."""

    @overload
    async def _request(self, call: APICall[T], *, raw: Literal[False] = ...) -> T: ...
    @overload
    async def _request(self, call: APICall[T], *, raw: bool) -> T | RawResponse[T]: ...
