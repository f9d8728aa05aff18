"""What the fake does instead of, or on top of, answering normally: scripted and random
faults, a rate limit, latency and logs arriving between pages.

:class:`Scripting` holds these settings under the fake's lock; :class:`FakeMeetBot`
inherits its methods and consults the settings for every request in its dispatch.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Literal

from meetbot_sdk.testing._conditions import Conditions, check_count, random_faults
from meetbot_sdk.testing._faults import FaultQueue, RateLimitWindow, check_seconds

if TYPE_CHECKING:
    from collections.abc import Callable

    from meetbot_sdk.testing._faults import Fault


class Scripting:
    """The methods of :class:`FakeMeetBot` that script its behaviour (see its docs)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults = FaultQueue()
        self._rate_limit: RateLimitWindow | None = None
        self._conditions = Conditions()

    def add_logs_after_each_page(self, count: int) -> None:
        """From now on, add ``count`` logs, as :meth:`add_logs` does, after each api-logs page.

        They arrive once the page is decided and before any other request is, so the next
        page sees the logs shifted by ``count``, as in a walk over a busy account. Only a 2xx
        that ``/users/me/api-logs`` answers normally counts (after a :meth:`Fault.delay` or
        a :meth:`Fault.truncated_body` too: the server did answer that page); errors, other
        endpoints, faults that replace the answer and the rate limit's 429s do not. Nothing
        more is recorded in :attr:`requests`.

        Args:
            count: Logs per page; 0 turns this off (:meth:`clear_faults` does not).

        Raises:
            TypeError: ``count`` is not an int (``bool`` included).
            ValueError: ``count`` is negative.

        Example:
            >>> import httpx
            >>> from meetbot_sdk.testing import FakeMeetBot
            >>> fake = FakeMeetBot(log_count=50)
            >>> fake.add_logs_after_each_page(3)
            >>> auth = {"Authorization": f"Bearer {fake.api_key}"}
            >>> with httpx.Client(transport=fake.transport(), headers=auth) as client:
            ...     url = f"{fake.base_url}/users/me/api-logs"
            ...     [client.get(url).json()["total"] for _ in range(3)]
            [50, 53, 56]
        """
        checked = check_count(count)
        with self._lock:
            self._conditions.arrivals_per_page = checked

    def inject(self, *faults: Fault, path: str | None = None) -> None:
        """Queue faults for the next requests, one per request, in the order given.

        Faults queued by earlier calls come first. A request takes the first queued fault
        whose ``path`` it matches; when none matches, the fake answers it normally. Every
        request is recorded in :attr:`requests` either way.

        Args:
            *faults: What the next requests get instead of a normal answer.
            path: Only requests whose path starts with this take these faults. Paths are
                matched without the ``/v1`` prefix, e.g. ``"/users/me/api-logs"``.

        Raises:
            TypeError: Something other than a :class:`Fault` is given.
            ValueError: ``path`` does not start with ``/`` or starts with ``/v1``.

        Example:
            >>> from meetbot_sdk.testing import FakeMeetBot, Fault
            >>> fake = FakeMeetBot()
            >>> fake.inject(Fault.status(503), Fault.drop_connection())
            >>> fake.inject(Fault.delay(0.1), path="/users/me/api-logs")
            >>> fake.pending_faults
            3
        """
        with self._lock:
            self._faults.push(faults, path)

    @property
    def pending_faults(self) -> int:
        """How many injected faults no request has taken yet."""
        with self._lock:
            return len(self._faults)

    def fail_randomly(
        self, rate: float, *faults: Fault, seed: int = 0, path: str | None = None
    ) -> None:
        """From now on, fail each request with probability ``rate``, with a random fault.

        Only requests that take no :meth:`inject`-ed fault are drawn for. A failing one gets
        one of ``faults``, chosen uniformly, as if it had been injected. The draws come from
        ``random.Random(seed)``: a client that sends the same requests one at a time meets the
        same faults on every run. Calling this again starts afresh.

        Args:
            rate: The probability, from 0 to 1; 0 turns this off, as :meth:`clear_faults` does.
            *faults: What failing requests get. By default ``Fault.status(503)``,
                ``Fault.drop_connection()`` and a 429 telling a 50 ms rate-limit window
                (``Retry-After: 0``, ``X-RateLimit-Remaining: 0``, ``X-RateLimit-Reset: 0.05``).
            seed: Seeds the draws.
            path: Only requests whose path starts with this are drawn for, as for :meth:`inject`.

        Raises:
            ValueError: ``rate`` is out of range or not a number, or ``path`` is invalid.
            TypeError: Something other than a :class:`Fault` is given, or ``seed`` is not an int.

        Example:
            >>> import httpx
            >>> from meetbot_sdk.testing import FakeMeetBot, Fault
            >>> fake = FakeMeetBot()
            >>> fake.fail_randomly(0.5, Fault.status(503), seed=1)
            >>> auth = {"Authorization": f"Bearer {fake.api_key}"}
            >>> with httpx.Client(transport=fake.transport(), headers=auth) as client:
            ...     url = f"{fake.base_url}/users/me/analytics"
            ...     [client.get(url).status_code for _ in range(6)]
            [503, 503, 200, 503, 200, 503]
        """
        drawn = random_faults(rate, faults, seed, path)
        with self._lock:
            self._conditions.random_faults = drawn

    def set_rate_limit(
        self,
        limit: int,
        per: float = 1.0,
        *,
        reset_format: Literal["delta", "epoch"] = "delta",
        header_style: Literal["x-ratelimit", "ietf"] = "x-ratelimit",
        clock: Callable[[], float] | None = None,
        count_faults: bool = False,
    ) -> None:
        """Allow ``limit`` requests per fixed window of ``per`` seconds; refuse more with 429.

        A window opens at the first request counted and lasts ``per`` seconds by ``clock``;
        the first request after it ends opens the next one. Every normally answered request
        counts, whatever its status, and its response carries the budget in
        ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` (after this request) and
        ``X-RateLimit-Reset``, or the IETF draft's ``RateLimit-*`` fields. Once the window
        is used up, requests are not counted and get a 429 with the same headers,
        ``Retry-After`` (whole seconds until the window ends, at least 1) and
        ``{"error": {"code": "rate_limited", "message": ...}}``. Injected faults take
        precedence and are not counted, except :meth:`Fault.delay`. Calling this again
        replaces the limit and starts afresh.

        Args:
            limit: Requests allowed per window, an int >= 1.
            per: The window's length in seconds, > 0.
            reset_format: ``"delta"`` sends the reset as seconds until the window ends,
                rounded up to the millisecond (``"0.734"``); ``"epoch"`` as the Unix time
                it ends, rounded up to a whole second.
            header_style: ``"x-ratelimit"`` for ``X-RateLimit-*`` headers, ``"ietf"`` for
                ``RateLimit-*``, whose reset is always whole seconds from now, rounded up.
            clock: Returns the current Unix time in seconds; inject a fake one to move
                time without waiting. By default the window runs on the SDK's own clock,
                which :func:`instant_waits` moves on by every wait it skips, so the window
                ends when the client's (skipped) wait for it does.
            count_faults: Count :meth:`Fault.status` faults (injected or random) against the
                window too, as a gateway in front of an API counts every request it answers;
                their answers still carry none of the rate-limit headers, and once the window
                is used up they are refused with the 429 instead.

        Raises:
            ValueError: An argument is out of range or not one of the allowed values, or
                ``header_style="ietf"`` is combined with ``reset_format="epoch"``.
            TypeError: ``clock`` is not callable.

        Example:
            >>> import httpx
            >>> now = [1_000.0]
            >>> from meetbot_sdk.testing import FakeMeetBot
            >>> fake = FakeMeetBot()
            >>> fake.set_rate_limit(2, per=60, clock=lambda: now[0])
            >>> auth = {"Authorization": f"Bearer {fake.api_key}"}
            >>> with httpx.Client(transport=fake.transport(), headers=auth) as client:
            ...     url = f"{fake.base_url}/users/me/analytics"
            ...     statuses = [client.get(url).status_code for _ in range(3)]
            ...     now[0] += 60
            ...     statuses.append(client.get(url).status_code)
            >>> statuses
            [200, 200, 429, 200]
        """
        window = RateLimitWindow(
            limit,
            per,
            reset_format=reset_format,
            header_style=header_style,
            clock=clock,
            count_faults=count_faults,
        )
        with self._lock:
            self._rate_limit = window

    def set_latency(self, seconds: float) -> None:
        """From now on, answer every request ``seconds`` later.

        On top of any :meth:`Fault.delay`; dropped connections and cut bodies come after it
        too. Requests wait side by side, not in turn: ten concurrent requests take about
        ``seconds`` in all. A client whose read timeout is shorter gets
        :class:`httpx.ReadTimeout` once it has passed.

        Args:
            seconds: A finite number >= 0; 0 turns latency off (:meth:`clear_faults` does not).

        Raises:
            ValueError: ``seconds`` is negative, infinite or not a number.

        Example:
            >>> import httpx
            >>> from meetbot_sdk.testing import FakeMeetBot
            >>> fake = FakeMeetBot()
            >>> fake.set_latency(30)
            >>> auth = {"Authorization": f"Bearer {fake.api_key}"}
            >>> with httpx.Client(transport=fake.transport(), headers=auth, timeout=0.01) as c:
            ...     try:
            ...         c.get(f"{fake.base_url}/users/me/analytics")
            ...     except httpx.ReadTimeout as timed_out:
            ...         print(timed_out)
            timed out: the read timeout is 0.01 s and the fake delays this response by 30 s
        """
        checked = check_seconds(seconds)
        with self._lock:
            self._conditions.latency = checked

    def clear_faults(self) -> None:
        """Forget pending injected faults, stop random faults and remove the rate limit.

        Latency and log arrivals are not faults and stay: turn them off with
        ``set_latency(0)`` and ``add_logs_after_each_page(0)``.
        """
        with self._lock:
            self._faults.clear()
            self._rate_limit = None
            self._conditions.random_faults = None
