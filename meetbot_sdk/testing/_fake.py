"""FakeMeetBot: a seeded MeetBot account served in-process or on a loopback port."""

from __future__ import annotations

import random
import threading
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import attrs
import httpx

from meetbot_sdk.testing._account import generate_account
from meetbot_sdk.testing._exchange import RequestParts, parse_request
from meetbot_sdk.testing._log_generation import LogFactory
from meetbot_sdk.testing._log_store import LogStore
from meetbot_sdk.testing._loopback import serve_loopback
from meetbot_sdk.testing._routes import RouteState, route
from meetbot_sdk.testing._timestamps import to_micros

if TYPE_CHECKING:
    from collections.abc import Sequence
    from contextlib import AbstractContextManager

    from meetbot_sdk.testing._exchange import FakeResponse, RecordedRequest

TEST_API_KEY = "mb_test_0000000000000000000000000000"
"""The API key a :class:`FakeMeetBot` accepts unless given another."""

BASE_URL = "https://api.meetbot.dev/v1"
DEFAULT_SEED = 0
DEFAULT_LOG_COUNT = 2_000
DEFAULT_NOW = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)


class FakeMeetBot:
    """A fake of the MeetBot Usage & Analytics API, serving one seeded account.

    The account has four API keys, about 150 bots and ``log_count`` request logs spread
    over the 90 UTC days ending at ``now``. The same arguments always give the same account.
    Requests authenticate with ``Authorization: Bearer <api_key>``.

    Args:
        seed: Seeds everything the account holds.
        log_count: How many request logs the account starts with.
        now: The fake's current time, an aware datetime; analytics count "today" and "this
            month" from it. Defaults to 2026-01-15T12:00:00Z, so results are reproducible.
        api_key: The only bearer token the fake accepts.

    Raises:
        ValueError: ``log_count`` is negative, ``now`` is naive or ``api_key`` is empty.

    Example:
        >>> import httpx
        >>> fake = FakeMeetBot(seed=7, log_count=100)
        >>> with httpx.Client(base_url=fake.base_url, transport=fake.transport()) as client:
        ...     response = client.get(
        ...         "/users/me/api-logs",
        ...         params={"page_size": 5},
        ...         headers={"Authorization": f"Bearer {fake.api_key}"},
        ...     )
        >>> response.json()["total"]
        100
    """

    def __init__(
        self,
        *,
        seed: int = DEFAULT_SEED,
        log_count: int = DEFAULT_LOG_COUNT,
        now: datetime | None = None,
        api_key: str = TEST_API_KEY,
    ) -> None:
        if log_count < 0:
            msg = f"log_count must be >= 0, got {log_count}"
            raise ValueError(msg)
        if now is not None and now.utcoffset() is None:
            msg = "now must be an aware datetime"
            raise ValueError(msg)
        if not api_key:
            msg = "api_key must not be empty"
            raise ValueError(msg)
        self._now = DEFAULT_NOW if now is None else now.astimezone(timezone.utc)
        now_micros = to_micros(self._now)
        rng = random.Random(seed)  # noqa: S311 (made-up data, not secrets)
        account = generate_account(rng, now_micros)
        self._log_factory = LogFactory(rng, account)
        self._logs = LogStore()
        self._logs.extend(
            *self._log_factory.draw_history(log_count, account.window_start_micros, now_micros)
        )
        self._state = RouteState(
            account=account, logs=self._logs, now_micros=now_micros, api_key=api_key
        )
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []

    @property
    def api_key(self) -> str:
        """The bearer token the fake accepts."""
        return self._state.api_key

    @property
    def now(self) -> datetime:
        """The fake's current time, in UTC. It does not advance."""
        return self._now

    @property
    def base_url(self) -> str:
        """The production base URL, to pair with :meth:`transport`."""
        return BASE_URL

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    @property
    def logs(self) -> Sequence[dict[str, Any]]:
        """The account's request logs as wire dicts, newest first.

        A snapshot: logs added later do not appear in it. Items are copies.
        """
        with self._lock:
            return self._logs.snapshot()

    @property
    def api_keys(self) -> tuple[tuple[int, str], ...]:
        """The account's API keys as ``(id, name)`` pairs, by id."""
        return tuple((key.id, key.name) for key in self._state.account.api_keys)

    def add_logs(self, count: int) -> list[dict[str, Any]]:
        """Record ``count`` new requests, newer than every existing log.

        They take the head of the newest-first order with ids above every existing id,
        one second apart after the newest log (after :attr:`now` when there is none).
        This shifts the offsets of every page, as logs arriving during a page walk do.
        The fake's :attr:`now` does not move, so the new logs may lie after it.

        Args:
            count: How many logs to add.

        Returns:
            The new logs' wire dicts, oldest first.

        Raises:
            ValueError: ``count`` is negative.
        """
        if count < 0:
            msg = f"count must be >= 0, got {count}"
            raise ValueError(msg)
        with self._lock:
            first = len(self._logs)
            newest = self._logs.newest_instant
            after = self._state.now_micros if newest is None else newest
            logs, instants = self._log_factory.draw_arrivals(count, after, first_id=first + 1)
            self._logs.extend(logs, instants)
            return self._logs.copies(first)

    def transport(self) -> httpx.MockTransport:
        """Return an in-process transport for ``httpx.Client`` or ``httpx.AsyncClient``.

        Pair it with :attr:`base_url`; no socket is opened.
        """
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one ``httpx`` request, as the transport does.

        Args:
            request: The request; its host is ignored, its path must start with ``/v1``.

        Returns:
            The fake's response.
        """
        parts = RequestParts(
            method=request.method,
            target=request.url.raw_path.decode("ascii"),
            headers=tuple(request.headers.multi_items()),
        )
        response = self._dispatch(parts)
        return httpx.Response(
            response.status,
            headers=list(response.headers),
            content=response.body,
            request=request,
        )

    def serve(self) -> AbstractContextManager[str]:
        """Serve the fake over real HTTP on ``127.0.0.1`` while the context is open.

        The port is chosen by the OS and the server runs on a daemon thread. On exit it
        stops, ends open connections and closes its socket.

        Returns:
            A context manager yielding the base URL, e.g. ``"http://127.0.0.1:54321/v1"``.

        Example:
            >>> with FakeMeetBot().serve() as base_url:  # doctest: +SKIP
            ...     httpx.get(f"{base_url}/users/me/analytics", headers=...)
        """
        return serve_loopback(self._dispatch)

    def _dispatch(self, parts: RequestParts) -> FakeResponse:
        # The one seam every request passes, in-process and over loopback alike. Fault
        # injection (scripted statuses, dropped connections, latency, rate-limit windows)
        # belongs in a wrapper around this method, so both front ends get it for free.
        parsed = parse_request(parts)
        with self._lock:
            self._requests.append(parsed.recorded)
            request_id = f"req_{len(self._requests)}"
            response = route(parsed, self._state)
        return attrs.evolve(response, headers=(*response.headers, ("X-Request-Id", request_id)))
