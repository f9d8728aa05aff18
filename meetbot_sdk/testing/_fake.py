"""FakeMeetBot: a seeded MeetBot account served in-process or on a loopback port."""

from __future__ import annotations

import contextlib
import random
import threading
import weakref
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import attrs

from meetbot_sdk._client import AsyncMeetBot, MeetBot
from meetbot_sdk._transport import _http
from meetbot_sdk.testing._account import generate_account
from meetbot_sdk.testing._conditions import check_count
from meetbot_sdk.testing._exchange import parse_request
from meetbot_sdk.testing._faults import respond
from meetbot_sdk.testing._in_process import answer, in_process_transport
from meetbot_sdk.testing._log_generation import LogFactory
from meetbot_sdk.testing._log_store import LogStore
from meetbot_sdk.testing._loopback import serve_loopback
from meetbot_sdk.testing._routes import RouteState, route
from meetbot_sdk.testing._scripting import Scripting
from meetbot_sdk.testing._timestamps import to_micros

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from contextlib import AbstractContextManager

    import httpx

    from meetbot_sdk.testing._exchange import FakeResponse, RecordedRequest, RequestParts

TEST_API_KEY = "mb_test_0000000000000000000000000000"
"""The API key a :class:`FakeMeetBot` accepts unless given another."""

BASE_URL = "https://api.meetbot.dev/v1"
DEFAULT_SEED = 0
DEFAULT_LOG_COUNT = 2_000


def _wall_clock_micros() -> int:
    return to_micros(datetime.now(timezone.utc))


def _fixed_clock(micros: int) -> Callable[[], int]:
    def clock() -> int:
        return micros

    return clock


class FakeMeetBot(Scripting):
    """A fake of the MeetBot Usage & Analytics API, serving one seeded account.

    The account has four API keys, about 150 bots and ``log_count`` request logs spread
    over the 90 UTC days ending at ``now``. By default the fake's clock follows real time,
    so "the last 7 days" (``date.today() - timedelta(days=7)``) finds logs; pass a fixed
    ``now`` for tests whose figures must not change from one day to the next. The same
    arguments, ``now`` included, always give the same account.
    Requests authenticate with ``Authorization: Bearer <api_key>``. To test how code copes
    with failures, script them with :meth:`inject`, draw them at random with
    :meth:`fail_randomly` and enforce a rate limit with :meth:`set_rate_limit`;
    :meth:`set_latency` and :meth:`add_logs_after_each_page` make the link slow and the
    account busy.

    Args:
        seed: Seeds everything the account holds.
        log_count: How many request logs the account starts with.
        now: Fixes the fake's clock at this aware datetime: the logs end there, and analytics
            count "today", "this month" and the period from it. By default the clock is the
            real time (the logs end when the fake is made, and "today" moves on with the
            date), so that queries for recent days find logs; give ``now`` for reproducible
            figures, e.g. ``FakeMeetBot(now=datetime(2026, 1, 15, 12, tzinfo=timezone.utc))``.
        api_key: The only bearer token the fake accepts.
        record_requests: Keep every request in :attr:`requests`. Pass ``False`` for long
            walks and benchmarks, whose memory would otherwise grow by about 2 KiB per
            request; :attr:`requests` then stays empty.

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
        record_requests: bool = True,
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
        self._fixed_now = None if now is None else now.astimezone(timezone.utc)
        clock = _wall_clock_micros if now is None else _fixed_clock(to_micros(now))
        now_micros = clock()
        rng = random.Random(seed)  # noqa: S311 (made-up data, not secrets)
        account = generate_account(rng, now_micros)
        self._log_factory = LogFactory(rng, account)
        self._logs = LogStore()
        self._logs.extend(
            *self._log_factory.draw_history(log_count, account.window_start_micros, now_micros)
        )
        self._state = RouteState(account=account, logs=self._logs, clock=clock, api_key=api_key)
        super().__init__()
        self._requests: list[RecordedRequest] = []
        self._record_requests = record_requests
        self._request_count = 0
        self._started: tuple[str, weakref.finalize[Any, Any]] | None = None
        self._start_lock = threading.Lock()

    @property
    def api_key(self) -> str:
        """The bearer token the fake accepts."""
        return self._state.api_key

    @property
    def now(self) -> datetime:
        """The fake's current time, in UTC: the ``now`` it was given, which does not advance,
        or else the real time."""
        if self._fixed_now is not None:
            return self._fixed_now
        return datetime.now(timezone.utc)

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
        They may lie after :attr:`now`: a fixed clock does not move for them.

        Args:
            count: How many logs to add.

        Returns:
            The new logs' wire dicts, oldest first.

        Raises:
            TypeError: ``count`` is not an int (``bool`` included).
            ValueError: ``count`` is negative.
        """
        checked = check_count(count)
        with self._lock:
            return self._logs.copies(self._append_logs(checked))

    def transport(self, library: _http.Library | None = None) -> httpx.MockTransport:
        """Return an in-process transport for a ``Client`` or ``AsyncClient``.

        Pair it with :attr:`base_url`; no socket is opened. An injected :meth:`Fault.delay`
        sleeps the calling thread under a sync client and awaits ``asyncio.sleep`` under an
        async one.

        Args:
            library: ``"httpx"`` or ``"httpx2"``: the library whose ``MockTransport`` it is.
                By default the library a client chooses (``MEETBOT_HTTP_LIBRARY``, else
                httpx; never what else is installed). Either
                way it answers each request with the responses and exceptions of the
                request's library.

        Raises:
            ValueError: ``library`` is neither name.
            ImportError: That library is not installed.
        """
        backend = None if library is None else _http.load(library)
        return in_process_transport(self._dispatch, backend)

    def client(self, *, library: _http.Library | None = None, **options: Any) -> MeetBot:
        """Return a :class:`~meetbot_sdk.MeetBot` wired to this fake in-process.

        It holds the fake's key and sends through :meth:`transport`: no socket, no network.
        Closing it (or leaving its ``with`` block) closes its pool, as for any client.

        Args:
            library: ``"httpx"`` or ``"httpx2"``: the HTTP library of the client's pool
                (default: ``MEETBOT_HTTP_LIBRARY``, else httpx), as for :meth:`transport`.
            **options: Any other option of the client: ``timeout``, ``max_retries``,
                ``max_retry_wait``, ``throttle``.

        Example:
            >>> with FakeMeetBot(log_count=120).client() as client:
            ...     client.api_logs.get_page(page_size=10).total
            120
        """
        transport = self.transport(library)
        return MeetBot._over_transport(transport, api_key=self.api_key, **options)

    def async_client(self, *, library: _http.Library | None = None, **options: Any) -> AsyncMeetBot:
        """Return an :class:`~meetbot_sdk.AsyncMeetBot` wired to this fake in-process.

        The async twin of :meth:`client`; close it with ``async with`` or ``await
        client.close()``.
        """
        transport = self.transport(library)
        return AsyncMeetBot._over_transport(transport, api_key=self.api_key, **options)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one ``httpx`` request, as the transport does for a sync client.

        Args:
            request: The request; its host is ignored, its path must start with ``/v1``.

        Returns:
            The fake's response.

        Raises:
            httpx.RemoteProtocolError: An injected fault dropped the connection or cut the
                body.
            httpx.ReadTimeout: An injected delay outlasts the request's read timeout.
        """
        return answer(self._dispatch, request)

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

    def start(self) -> str:
        """Serve the fake over real HTTP on ``127.0.0.1`` until :meth:`stop`; for notebooks.

        The same server as :meth:`serve`, without a ``with`` block: handy in a notebook cell.
        A started fake stops by itself when the interpreter exits. Starting a fake that
        is already serving returns the URL it serves at.

        Returns:
            The base URL, e.g. ``"http://127.0.0.1:54321/v1"``.

        Example:
            >>> fake = FakeMeetBot()
            >>> base_url = fake.start()
            >>> base_url.startswith("http://127.0.0.1:")
            True
            >>> fake.stop()
        """
        with self._start_lock:
            if self._started is None:
                stack = contextlib.ExitStack()
                base_url = stack.enter_context(serve_loopback(self._dispatch))
                # atexit: a finalizer runs at interpreter exit unless called before.
                self._started = (base_url, weakref.finalize(self, stack.close))
            return self._started[0]

    def stop(self) -> None:
        """Stop serving what :meth:`start` started: end open connections, close the socket.

        Does nothing when the fake is not started; :meth:`start` may serve it again after.
        """
        with self._start_lock:
            started, self._started = self._started, None
        if started is not None:
            started[1]()

    def _append_logs(self, count: int) -> int:
        """Add ``count`` logs at the head; return the first new position. Hold the lock."""
        first = len(self._logs)
        if count:
            newest = self._logs.newest_instant
            after = self._state.clock() if newest is None else newest
            logs, instants = self._log_factory.draw_arrivals(count, after, first_id=first + 1)
            self._logs.extend(logs, instants)
        return first

    def _dispatch(self, parts: RequestParts) -> FakeResponse:
        # The one seam every request passes, in-process and over loopback alike. Everything
        # is decided here under the lock; the front ends carry out delays, dropped
        # connections and cut bodies after it is released.
        parsed = parse_request(parts)
        path = parsed.recorded.path
        routed: list[FakeResponse] = []  # what the routes answered, if they were asked

        def answer_normally() -> FakeResponse:
            routed.append(route(parsed, self._state))
            return routed[-1]

        with self._lock:
            if self._record_requests:
                self._requests.append(parsed.recorded)
            self._request_count += 1
            request_id = f"req_{self._request_count}"
            fault = self._faults.take(path)
            if fault is None:
                fault = self._conditions.random_fault(path)
            response = respond(fault, self._rate_limit, answer_normally)
            # Within this lock: the answered page lacks the new logs, the next request sees them.
            self._append_logs(self._conditions.arrivals_after(path, routed[-1] if routed else None))
            response = self._conditions.delayed(response)
        if any(name.lower() == "x-request-id" for name, _ in response.headers):
            return response  # a fault, scripted or random, set its own
        return attrs.evolve(response, headers=(*response.headers, ("X-Request-Id", request_id)))
