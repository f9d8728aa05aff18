"""RedisBudget against a real redis-server of our own (a unix socket, no TCP port): one budget
for a fleet, foreign values, Redis down, paused and restarted, and the bare install."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from meetbot_sdk import AsyncMeetBot, MeetBot, RedisBudget
from meetbot_sdk._ratelimit import _throttle
from meetbot_sdk._ratelimit._budget_record import load
from meetbot_sdk._ratelimit._budgets import budget_key
from meetbot_sdk._ratelimit._throttle import Admit, Throttle, Wait, Window
from meetbot_sdk.testing import FakeMeetBot
from tests.support import BARE_RUN, needs_extra
from tests.support.fleet import RedisServer, redis_server, run_fleet

CAP = 60.0


def no_waits(wait: Wait) -> None:
    raise AssertionError(f"unexpected wait: {wait}")


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    needs_extra("redis")
    yield from redis_server(tmp_path)


def stored(server: RedisServer, key: str = "k", namespace: str = "meetbot") -> Any:
    import redis as redis_py

    with redis_py.Redis.from_url(server.url) as client:
        return client.get(f"{namespace}:rate-budget:{key}")


def test_two_throttles_share_the_budget_kept_in_redis(redis: RedisServer) -> None:
    first = Throttle(store=RedisBudget(redis.url), key="k")
    second = Throttle(store=RedisBudget(redis.url), key="k")
    probe = first.acquire(CAP, no_waits, lease_seconds=30)
    assert isinstance(probe, Admit)
    assert probe.probe
    assert probe.shared
    held = second._decide(second._decider(CAP, 30.0))  # the probe is out in another process
    assert isinstance(held, Wait)
    headers = {"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "9", "X-RateLimit-Reset": "30"}
    first.release(probe, httpx.Response(200, headers=headers))
    assert second.acquire(CAP, no_waits, lease_seconds=30) == Admit()
    window = load(stored(redis), "k", time.time(), where="test")
    assert (window.limit, window.remaining, window.in_flight) == (10, 9, 1)


def test_an_async_client_shares_it_too_and_its_connections_close(redis: RedisServer) -> None:
    budget = RedisBudget(redis.url, namespace="tests")
    fake = FakeMeetBot(log_count=5)
    fake.set_rate_limit(3, per=60)

    async def main() -> None:
        async with AsyncMeetBot(
            fake.api_key, base_url=fake.base_url, throttle=budget, http_client=_async_http(fake)
        ) as client:
            await asyncio.gather(*(client.api_keys.get_usage(1) for _ in range(3)))
        await budget.aclose()

    asyncio.run(main())
    key = budget_key(fake.base_url, fake.api_key)
    window = load(stored(redis, key, "tests"), key, time.time(), where="test")
    assert (window.limit, window.remaining, window.in_flight) == (3, 0, 0)
    assert len(fake.requests) == 3  # no 429: the budget was kept


def _async_http(fake: FakeMeetBot) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=fake.transport("httpx"))


def test_a_foreign_value_at_the_key_is_ignored_and_replaced(
    redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    import redis as redis_py

    with redis_py.Redis.from_url(redis.url) as client:
        client.hset("meetbot:rate-budget:k", "someone", "else")  # another type altogether
        throttle = Throttle(store=RedisBudget(client), key="k")
        assert throttle.acquire(CAP, no_waits, lease_seconds=30) == Admit(probe=True)
        client.set("meetbot:rate-budget:k", b'{"v":1,"key":"k","known":\xff')  # not even UTF-8
        with caplog.at_level(logging.WARNING, "meetbot_sdk"):
            assert throttle.acquire(CAP, no_waits, lease_seconds=30) == Admit(probe=True)
    assert "Ignoring the shared rate budget in <Redis>" in caplog.text
    assert load(stored(redis), "k", time.time(), where="test").probing


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_redis_paused_down_and_restarted_never_fails_a_call(
    flavour: str,
    redis: RedisServer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeMeetBot(log_count=5)
    budget = RedisBudget(redis.url)
    steps = {
        "up": lambda: None,
        "paused": redis.pause,  # slow: connected, but no answer
        "down": lambda: (redis.resume(), redis.stop()),  # nothing listens
        "restarted": lambda: (time.sleep(0.35), redis.start()),  # empty; rejoin is due
    }
    monkeypatch.setattr(_throttle, "REJOIN_AFTER_SECONDS", 0.3)
    seconds: dict[str, float] = {}
    key = budget_key(fake.base_url, fake.api_key)
    options: dict[str, Any] = {"base_url": fake.base_url, "throttle": budget}

    def run_sync() -> None:
        http = httpx.Client(transport=fake.transport("httpx"))
        with MeetBot(fake.api_key, http_client=http, **options) as client:
            for name, step in steps.items():
                step()
                started = time.monotonic()
                for _ in range(3):
                    client.api_keys.get_usage(1)
                seconds[name] = time.monotonic() - started
        budget.close()

    async def run_async() -> None:
        http = _async_http(fake)
        async with AsyncMeetBot(fake.api_key, http_client=http, **options) as client:
            for name, step in steps.items():
                step()
                started = time.monotonic()
                for _ in range(3):
                    await client.api_keys.get_usage(1)
                seconds[name] = time.monotonic() - started
        await budget.aclose()

    with caplog.at_level(logging.INFO, "meetbot_sdk"):
        run_sync() if flavour == "sync" else asyncio.run(run_async())
    assert len(fake.requests) == 12  # every call answered, none refused
    # a paused Redis costs one bounded wait (its timeouts), then this process goes alone
    assert seconds["paused"] < 1.5
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "is unavailable" in warnings[0]
    assert "this process keeps its own count until it is back" in warnings[0]
    assert "answers again; rejoined it" in caplog.text
    assert stored(redis, key) is not None  # the restarted Redis holds the budget again


def test_redis_budget_arguments_are_checked(redis: RedisServer) -> None:
    import redis as redis_py

    with pytest.raises(ValueError, match="must be a redis://, rediss:// or unix:// URL"):
        RedisBudget("http://user:secret@127.0.0.1:6379")
    with pytest.raises(TypeError, match="got int"):
        RedisBudget(6379)
    with pytest.raises(ValueError, match="namespace must be"):
        RedisBudget(redis.url, namespace="has space")
    budget = RedisBudget("redis://user:secret@127.0.0.1:1/0")
    assert "secret" not in repr(budget)
    assert repr(budget) == "RedisBudget(redis://***@127.0.0.1:1/0, namespace='meetbot')"
    with pytest.raises(TypeError, match=r"cannot use a RedisBudget made of a redis\.asyncio"):
        MeetBot("k", throttle=RedisBudget(redis_py.asyncio.Redis.from_url(redis.url)))


def test_a_sync_redis_client_serves_an_async_client_from_a_thread(redis: RedisServer) -> None:
    import redis as redis_py

    fake = FakeMeetBot(log_count=5)
    with redis_py.Redis.from_url(redis.url) as connection:
        budget = RedisBudget(connection)

        async def main() -> None:
            async with AsyncMeetBot(
                fake.api_key, base_url=fake.base_url, throttle=budget, http_client=_async_http(fake)
            ) as client:
                await client.api_keys.get_usage(1)

        asyncio.run(main())
    assert stored(redis, budget_key(fake.base_url, fake.api_key)) is not None


@pytest.mark.loopback
@pytest.mark.parametrize("flavour", ["threads", "tasks"])
def test_a_fleet_of_processes_sharing_redis_stays_within_the_budget(
    flavour: str, redis: RedisServer
) -> None:
    fake = FakeMeetBot(log_count=10)
    fake.set_rate_limit(10, per=0.5)
    args = ["--threads", "2", "--calls", "4"] + (["--async"] if flavour == "tasks" else [])
    reports, seconds = run_fleet(fake, f"redis:{redis.url}", 3, args)
    assert [report["ok"] for report in reports] == [8, 8, 8]
    assert len(fake.requests) - 24 <= 1  # at most one 429, for the cold start
    assert seconds >= 1.0


@pytest.mark.loopback
def test_a_process_killed_in_flight_frees_the_redis_budget_after_its_lease(
    redis: RedisServer,
) -> None:
    from meetbot_sdk._ratelimit._throttle import lease_seconds
    from tests.support.fleet import killed_in_flight

    fake = FakeMeetBot(log_count=10)
    fake.set_rate_limit(10, per=1.0)
    with fake.serve() as base_url:
        seconds = killed_in_flight(fake, base_url, "redis", redis.url)
    assert 0.2 < seconds <= lease_seconds(httpx.Timeout(0.5)) + 1.0


@pytest.mark.skipif(not BARE_RUN, reason="only without extras (make test-bare)")
def test_without_the_extra_the_user_gets_the_install_line() -> None:
    with pytest.raises(ImportError, match=r'pip install "meetbot-sdk\[redis\]"'):
        RedisBudget("redis://127.0.0.1:6379/0")


def test_a_client_that_decodes_responses_works_and_contention_has_a_bound(
    redis: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redis as redis_py

    from meetbot_sdk._ratelimit import _redis_budget
    from meetbot_sdk._ratelimit._throttle import StoreUnavailable

    with redis_py.Redis.from_url(redis.url, decode_responses=True) as client:
        budget = RedisBudget(client)

        def admit(window: Window, now: float) -> None:
            window.known = window.unlimited = True  # no limit: both are admitted
            window.decide(now, CAP, lease=str(window.in_flight), lease_until=now + 9)

        for _ in range(2):  # the second reads back the record as str
            budget.transact("k", admit)
        assert load(stored(redis), "k", time.time(), where="test").in_flight == 2
        monkeypatch.setattr(_redis_budget, "_MAX_TRIES", 0)
        with pytest.raises(StoreUnavailable, match="lost to other processes"):
            budget.transact("k", lambda window, now: None)


def test_importing_the_sdk_and_using_a_file_budget_leave_redis_unimported() -> None:
    import subprocess
    import sys

    code = (
        "import sys, tempfile, meetbot_sdk\n"
        "meetbot_sdk.FileBudget(tempfile.gettempdir() + '/meetbot-import-check')\n"
        "print('redis' in sys.modules)"
    )
    result = subprocess.run(  # noqa: S603 (this interpreter, a fixed command)
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_a_deeply_nested_record_never_fails_a_call_and_is_never_kept(
    redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    # 60 KB of "[" once raised RecursionError in every call of every process, and kept
    # doing so after the key was deleted: each process had kept the record it last saw.
    import redis as redis_py

    fake = FakeMeetBot(log_count=5)
    budget = RedisBudget(redis.url)
    key = budget.key(budget_key(fake.base_url, fake.api_key))
    with redis_py.Redis.from_url(redis.url) as server, fake.client(throttle=budget) as client:
        assert client.api_keys.get_usage(1).requests_today >= 0
        for _ in range(2):
            server.set(key, b"[" * 60_000)
            with caplog.at_level(logging.WARNING, "meetbot_sdk"):
                assert client.api_keys.get_usage(1).requests_today >= 0
                assert client.api_keys.get_usage(1).requests_today >= 0
            assert [r.getMessage() for r in caplog.records] == [
                f"Ignoring the shared rate budget in {budget.describe()}: nested deeper than 4"
                " levels; starting afresh"
            ]
            caplog.clear()
        assert server.get(key).startswith(b'{"v":1,')
        server.set(key, b"[" * 60_000)
        server.delete(key)  # deleted before this process read it: nothing of it is kept
        with caplog.at_level(logging.WARNING, "meetbot_sdk"):
            assert client.api_keys.get_usage(1).requests_today >= 0
        assert caplog.records == []
    budget.close()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:hun@ter2@127.0.0.1:1/0", "redis://***@127.0.0.1:1/0"),  # an "@" in it
        ("redis://127.0.0.1:1/0?password=hunter2", "redis://127.0.0.1:1/0?password=***"),
        (
            "unix:///nonexistent/redis.sock?db=0&password=hunter2",
            "unix:///nonexistent/redis.sock?db=0&password=***",
        ),
    ],
)
def test_a_redis_password_shows_in_neither_repr_nor_the_warning(
    url: str, shown: str, caplog: pytest.LogCaptureFixture
) -> None:
    needs_extra("redis")
    budget = RedisBudget(url)
    assert repr(budget) == f"RedisBudget({shown}, namespace='meetbot')"
    throttle = Throttle(store=budget, key="k")
    with caplog.at_level(logging.WARNING, "meetbot_sdk"):
        throttle.acquire(CAP, no_waits, lease_seconds=30)  # Redis is not there: stands in
    assert len(caplog.records) == 1
    assert (
        caplog.records[0]
        .getMessage()
        .startswith(f"The shared rate budget {shown} is unavailable (")
    )
    assert "hunter2" not in caplog.text
    assert "ter2" not in caplog.text
    budget.close()
