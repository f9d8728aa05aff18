""":class:`RedisBudget`: one rate budget for every process on every machine naming the same
Redis (the ``redis`` extra: redis-py, sync and asyncio).

Each update is a read and a compare-and-set, both one Lua script run atomically by Redis: the
window's own arithmetic runs here, on the record as read, and the new record is written only
if nobody changed it meanwhile (else the update is computed again on the newer record). The
script also returns Redis's clock, so every time in the record is by one clock, whatever the
clocks of the machines.
"""

from __future__ import annotations

import re
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from meetbot_sdk._exceptions import redact
from meetbot_sdk._ratelimit._budget_record import dump, read
from meetbot_sdk._ratelimit._budgets import SharedBudget
from meetbot_sdk._ratelimit._throttle import StoreUnavailable, Window
from meetbot_sdk._utils._extras import require

if TYPE_CHECKING:
    import asyncio

__all__ = ["REDIS_TIMEOUT_SECONDS", "RedisBudget"]

_T = TypeVar("_T")

REDIS_TIMEOUT_SECONDS = 0.25
"""Connect and socket timeout of the Redis connections a :class:`RedisBudget` makes."""
ASYNC_DEADLINE_SECONDS = 2 * REDIS_TIMEOUT_SECONDS + 0.5
"""The longest an update of an asyncio client waits for Redis, whatever its timeouts."""
_MAX_TRIES = 32  # compare-and-set rounds lost to other processes before going alone
_MIN_TTL_MS = 3_600_000  # a record outlives its last time by an hour (the known limit)

# KEYS[1]: the record. ARGV[1]: "0" reads; "1" writes ARGV[3] (expiring in ARGV[4] ms) if
# the record is still ARGV[2] ("" for none). Replies {1, seconds, microseconds} (Redis's
# clock) when written, else {0, record or false, seconds, microseconds}. A key of another
# type counts as no record.
_SCRIPT = """
local record = false
if redis.call('TYPE', KEYS[1])['ok'] == 'string' then
  record = redis.call('GET', KEYS[1])
end
local now = redis.call('TIME')
if ARGV[1] == '1' and (record or '') == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
  return {1, now[1], now[2]}
end
return {0, record, now[1], now[2]}
"""
_NAMESPACE = re.compile(r"[A-Za-z0-9_.:-]{1,100}")


class RedisBudget(SharedBudget):
    """One rate budget for every process, on every machine, that names the same Redis.

    Args:
        url_or_client: A ``redis://``, ``rediss://`` or ``unix://`` URL (connections are
            made with 0.25 s connect and socket timeouts, one pool per event loop), or a
            ``redis.Redis`` for :class:`~meetbot_sdk.MeetBot` (and, in a worker thread,
            :class:`~meetbot_sdk.AsyncMeetBot`), or a ``redis.asyncio.Redis`` for
            :class:`~meetbot_sdk.AsyncMeetBot`. Give a client of your own bounded
            ``socket_timeout`` and ``socket_connect_timeout``.
        namespace: The prefix of the key; the key also names the API key's fingerprint.

    Raises:
        ImportError: The ``redis`` extra is not installed (the message has the pip line).
        TypeError: ``url_or_client`` is neither a URL nor a redis-py client.
        ValueError: The URL is not a Redis URL, or ``namespace`` is not 1-100 of
            ``A-Z a-z 0-9 _ . : -``.

    Example:
        >>> from meetbot_sdk import MeetBot, RedisBudget
        >>> budget = RedisBudget("redis://redis.internal:6379/0")  # doctest: +SKIP
        >>> client = MeetBot(throttle=budget)  # doctest: +SKIP
    """

    __module__ = "meetbot_sdk"  # its public home, which loads it lazily

    def __init__(self, url_or_client: Any, *, namespace: str = "meetbot") -> None:
        if not isinstance(namespace, str) or not _NAMESPACE.fullmatch(namespace):
            raise ValueError(f"namespace must be 1-100 of A-Z a-z 0-9 _ . : -, got {namespace!r}")
        self.namespace = namespace
        self._url: str | None = None
        self._sync: Any = None
        self._async: Any = None
        self._sync_script_object: Any = None
        # per budget key: the record this process saw last, and Redis's clock minus ours
        self._seen: dict[str, tuple[bytes | None, float]] = {}
        self._per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[Any, Any]] = (
            weakref.WeakKeyDictionary()
        )
        if isinstance(url_or_client, str):
            require("redis", "redis", feature="RedisBudget")
            if not url_or_client.startswith(("redis://", "rediss://", "unix://")):
                raise ValueError(
                    "url_or_client must be a redis://, rediss:// or unix:// URL, got "
                    f"{redact(url_or_client)!r}"
                )
            self._url = url_or_client
            return
        require("redis", "redis", feature="RedisBudget")
        import redis  # extra: redis
        import redis.asyncio  # extra: redis

        if isinstance(url_or_client, redis.asyncio.Redis):
            self._async = url_or_client
        elif isinstance(url_or_client, redis.Redis):
            self._sync = url_or_client
        else:
            raise TypeError(
                "url_or_client must be a Redis URL, a redis.Redis or a redis.asyncio.Redis, "
                f"got {type(url_or_client).__name__}"
            )

    def __repr__(self) -> str:
        return f"RedisBudget({self.describe()}, namespace={self.namespace!r})"

    def describe(self) -> str:
        if self._url is not None:
            return redact(self._url)
        return f"<{type(self._sync if self._sync is not None else self._async).__name__}>"

    def check_client(self, *, asynchronous: bool) -> None:
        if not asynchronous and self._async is not None and self._sync is None:
            raise TypeError(
                "MeetBot (sync) cannot use a RedisBudget made of a redis.asyncio.Redis; "
                "give it a redis.Redis or a URL"
            )

    def key(self, key: str) -> str:
        """The Redis key of the budget of the API key with fingerprint ``key``."""
        return f"{self.namespace}:rate-budget:{key}"

    # --- the two drivers of one update ------------------------------------------------------

    def transact(self, key: str, change: Callable[[Window, float], _T]) -> _T:
        script = self._sync_script()
        update = _Update(self, key, change)
        try:
            reply = script(keys=[self.key(key)], args=update.first())
            while (write := update.next(reply)) is not None:
                reply = script(keys=[self.key(key)], args=write)
        except (OSError, _redis_error()) as exc:
            raise StoreUnavailable(str(exc) or type(exc).__name__) from exc
        return update.result  # type: ignore[no-any-return]

    async def transact_async(self, key: str, change: Callable[[Window, float], _T]) -> _T:
        import asyncio  # import time: async only

        if self._url is None and self._async is None:  # a sync client of the user's
            return await asyncio.to_thread(self.transact, key, change)
        script = self._async_script(asyncio.get_running_loop())
        update = _Update(self, key, change)

        async def run() -> None:
            reply = await script(keys=[self.key(key)], args=update.first())
            while (write := update.next(reply)) is not None:
                reply = await script(keys=[self.key(key)], args=write)

        try:
            # A client of the user's may have no timeouts: the update has a deadline anyway.
            await asyncio.wait_for(run(), ASYNC_DEADLINE_SECONDS)
        except (OSError, asyncio.TimeoutError, _redis_error()) as exc:
            raise StoreUnavailable(str(exc) or type(exc).__name__) from exc
        return update.result  # type: ignore[no-any-return]

    # --- connections --------------------------------------------------------------------------

    def _sync_script(self) -> Any:
        if self._sync_script_object is None:
            if self._sync is None:
                import redis  # extra: redis
                from redis.backoff import NoBackoff  # extra: redis
                from redis.retry import Retry  # extra: redis

                self._sync = redis.Redis.from_url(
                    str(self._url),
                    socket_timeout=REDIS_TIMEOUT_SECONDS,
                    socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                    retry=Retry(NoBackoff(), 1),  # one reconnect: a connection Redis dropped
                )
            self._sync_script_object = self._sync.register_script(_SCRIPT)
        return self._sync_script_object

    def _async_script(self, loop: asyncio.AbstractEventLoop) -> Any:
        # A connection of redis.asyncio belongs to the event loop that made it.
        found = self._per_loop.get(loop)
        if found is None:
            client = self._async
            if client is None:
                import redis.asyncio  # extra: redis
                from redis.asyncio.retry import Retry  # extra: redis
                from redis.backoff import NoBackoff  # extra: redis

                client = redis.asyncio.Redis.from_url(
                    str(self._url),
                    socket_timeout=REDIS_TIMEOUT_SECONDS,
                    socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                    retry=Retry(NoBackoff(), 1),
                )
            found = self._per_loop[loop] = (client, client.register_script(_SCRIPT))
        return found[1]

    def close(self) -> None:
        """Close the connections this budget made for sync clients (not one you gave it)."""
        if self._url is not None and self._sync is not None:
            self._sync.close()
            self._sync = self._sync_script_object = None

    async def aclose(self) -> None:
        """Close the connections made for the running event loop (not a client you gave)."""
        import asyncio  # import time: async only

        found = self._per_loop.pop(asyncio.get_running_loop(), None)
        if found is not None and self._url is not None:
            await found[0].aclose()


class _Update:
    """One update of the record, driven by the replies of the script (sync or async alike).

    Its first try is a write against the record this process saw last, at Redis's time as
    last seen from here: one round trip when nobody else wrote since. A decision that writes
    nothing is never taken on that guess: it is taken on the record read back.
    """

    def __init__(self, budget: RedisBudget, key: str, change: Callable[[Window, float], Any]):
        self._budget, self._key, self._change = budget, key, change
        self._tries = 0
        self._written: bytes | None = None
        self.result: Any = None

    def first(self) -> list[str | bytes]:
        """The script's arguments for the first try."""
        seen = self._budget._seen.get(self._key)
        if seen is not None:
            stored, offset = seen
            write = self._compute(stored, time.time() + offset)
            if write is not None:
                return write
        return ["0"]

    def next(self, reply: list[Any]) -> list[str | bytes] | None:
        """The script's arguments for the write to try next; ``None``: done."""
        now = int(reply[-2]) + int(reply[-1]) / 1e6
        if reply[0] == 1:
            self._budget._seen[self._key] = (self._written, now - time.time())
            return None
        self._tries += 1
        if self._tries > _MAX_TRIES:
            raise StoreUnavailable(f"{_MAX_TRIES} updates lost to other processes in a row")
        stored = reply[1]  # bytes as stored (str from a client that decodes), or None
        if isinstance(stored, str):
            stored = stored.encode()
        self._budget._seen[self._key] = (stored, now - time.time())
        return self._compute(stored, now)

    def _compute(self, stored: bytes | None, now: float) -> list[str | bytes] | None:
        window = read(stored, self._key, now, where=self._budget.describe())
        if window is None:  # never kept as the record seen last, to decide on again
            self._budget._seen.pop(self._key, None)
            window = Window()
        self.result = self._change(window, now)
        record = dump(window, self._key).encode()
        if record == stored:
            return None  # nothing changed: nothing to write
        self._written = record
        # the record as read is sent back byte for byte: the write happens only if it is there
        return ["1", stored or b"", record, str(_ttl_ms(window, now))]


def _ttl_ms(window: Window, now: float) -> int:
    times = [*window.leases.values(), window.reset_at or now, window.blocked_until or now]
    return _MIN_TTL_MS + int(max(0.0, max(times) - now) * 1000)


def _redis_error() -> type[Exception]:
    from redis.exceptions import RedisError  # extra: redis

    return RedisError
