"""Shared rate budgets without Redis: the record, leases, FileBudget across processes, and the
throttle going on alone when its store fails."""

from __future__ import annotations

import asyncio
import fcntl
import logging
import math
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from meetbot_sdk import FileBudget, MeetBot
from meetbot_sdk._ratelimit import _budgets, _throttle
from meetbot_sdk._ratelimit._budget_record import load
from meetbot_sdk._ratelimit._throttle import Admit, StoreUnavailable, Throttle, Wait, Window
from meetbot_sdk.testing import FakeMeetBot, Fault, instant_waits
from tests.support.budgets import LockClock
from tests.support.fleet import killed_in_flight, run_fleet

CAP = 60.0
_T = TypeVar("_T")


def rate(remaining: int, limit: int = 10, reset: str = "1") -> httpx.Response:
    headers = {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": reset,
    }
    return httpx.Response(200, headers=headers)


def no_waits(wait: Wait) -> None:
    raise AssertionError(f"unexpected wait: {wait}")


# --- FileBudget ------------------------------------------------------------------------------


def test_two_clients_naming_one_file_share_one_budget(tmp_path: Path) -> None:
    first = Throttle(store=FileBudget(tmp_path / "budget"), key="k")
    second = Throttle(store=FileBudget(tmp_path / "budget"), key="k")
    probe = first.acquire(CAP, no_waits, lease_seconds=30)
    assert isinstance(probe, Admit)
    assert probe.probe
    assert probe.shared
    first.release(probe, rate(remaining=1, reset="30"))
    # the other throttle knows the budget without a probe of its own, and counts in flight
    last = second.acquire(CAP, no_waits, lease_seconds=30)
    assert last == Admit(probe=False)
    held = first._decide(first._decider(CAP, 30.0))  # the one place left is in flight there
    assert isinstance(held, Wait)
    assert "rate-limit budget spent (limit 10)" in held.reason
    assert second.window.in_flight == 0  # it is all in the file, not in this process
    second.release(last, rate(remaining=0, reset="30"))
    spent = first._decide(first._decider(CAP, 30.0))
    assert isinstance(spent, Wait)
    assert spent.reason == held.reason  # spent until the reset


def test_requests_in_flight_from_two_clients_hold_two_places(tmp_path: Path) -> None:
    # Each request's lease is named uniquely in the fleet: two clients' first requests are
    # two reservations in the shared record, not one under the same name.
    first = Throttle(store=FileBudget(tmp_path / "budget"), key="k")
    second = Throttle(store=FileBudget(tmp_path / "budget"), key="k")
    probe = first.acquire(CAP, no_waits, lease_seconds=30)
    first.release(probe, rate(remaining=2, reset="30"))
    one = first.acquire(CAP, no_waits, lease_seconds=30)
    two = second.acquire(CAP, no_waits, lease_seconds=30)
    assert isinstance(one, Admit)
    assert isinstance(two, Admit)
    assert one.lease != two.lease
    third = second._decide(second._decider(CAP, 30.0))
    assert isinstance(third, Wait)  # both places are in flight
    first.release(one, rate(remaining=1, reset="30"))
    # one place left (remaining 1) and the second client's request still holds it
    assert isinstance(second._decide(second._decider(CAP, 30.0)), Wait)


def test_a_corrupted_budget_file_is_ignored_and_rewritten(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "budget"
    path.write_bytes(b'{"v": 1, "key": "k", "known": tru')  # cut short
    throttle = Throttle(store=FileBudget(path), key="k")
    with caplog.at_level(logging.WARNING, "meetbot_sdk"):
        admit = throttle.acquire(CAP, no_waits, lease_seconds=30)
    assert admit == Admit(probe=True)
    assert "Ignoring the shared rate budget" in caplog.text
    assert load(path.read_bytes(), "k", time.time(), where="x").probing


def test_file_budget_arguments_are_checked() -> None:
    with pytest.raises(TypeError, match=r"path must be a str or os\.PathLike, got int"):
        FileBudget(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^path must name a file, got an empty path$"):
        FileBudget("")
    with pytest.raises(ValueError, match="directory of the budget file does not exist"):
        FileBudget("/nonexistent-dir-for-meetbot/budget")
    assert repr(FileBudget("budget")) == "FileBudget('budget')"
    with pytest.raises(TypeError, match="a FileBudget or a RedisBudget, got str"):
        MeetBot("k", throttle="budget")  # type: ignore[arg-type]


def test_a_file_locked_too_long_by_another_process_means_going_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(_budgets, "LOCK_TIMEOUT_SECONDS", 0.05)
    path = tmp_path / "budget"
    budget = FileBudget(path)
    holder = os.open(path, os.O_RDWR | os.O_CREAT)  # another open file: another lock owner
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        with pytest.raises(StoreUnavailable, match="stayed locked by another process"):
            budget.transact("k", lambda window, now: None)
        with pytest.raises(StoreUnavailable, match="stayed locked"):
            asyncio.run(budget.transact_async("k", lambda window, now: None))
        throttle = Throttle(store=budget, key="k")
        with caplog.at_level(logging.WARNING, "meetbot_sdk"):
            admit = throttle.acquire(CAP, no_waits, lease_seconds=30)
            throttle.release(admit, rate(remaining=5))
            second = throttle.acquire(CAP, no_waits, lease_seconds=30)
        assert (admit.shared, second) == (False, Admit())  # the local count, warm
    finally:
        os.close(holder)
    assert caplog.text.count("is unavailable") == 1  # one warning, not one per call


def test_an_unreadable_budget_file_means_going_alone(tmp_path: Path) -> None:
    directory = tmp_path / "gone"
    directory.mkdir()
    budget = FileBudget(directory / "budget")
    directory.rmdir()
    with pytest.raises(StoreUnavailable, match="No such file"):
        budget.transact("k", lambda window, now: None)
    budget.close()


# --- going alone and rejoining (any store) ----------------------------------------------------


class FlakyStore:
    """A store in memory that can be switched off, counting its calls."""

    def __init__(self) -> None:
        self.window = Window()
        self.up = True
        self.calls = 0

    def _apply(self, change: Callable[[Window, float], _T]) -> _T:
        self.calls += 1
        if not self.up:
            raise StoreUnavailable("switched off")
        return change(self.window, time.monotonic())

    def transact(self, key: str, change: Callable[[Window, float], _T]) -> _T:
        return self._apply(change)

    async def transact_async(self, key: str, change: Callable[[Window, float], _T]) -> _T:
        return self._apply(change)

    def describe(self) -> str:
        return "flaky"


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_a_failing_store_is_left_with_one_warning_and_rejoined_when_back(
    flavour: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store = FlakyStore()
    throttle = Throttle(store=store, key="k")

    def call() -> Admit:
        if flavour == "sync":
            admit = throttle.acquire(CAP, no_waits, lease_seconds=30)
            assert isinstance(admit, Admit)
            throttle.release(admit, rate(remaining=5))
            return admit

        async def run() -> Admit:
            admit = await throttle.acquire_async(CAP, no_waits, lease_seconds=30)
            assert isinstance(admit, Admit)
            await throttle.release_async(admit, rate(remaining=5))
            return admit

        return asyncio.run(run())

    assert call().shared
    store.up = False
    monkeypatch.setattr(_throttle, "REJOIN_AFTER_SECONDS", 3600.0)  # however slow this test
    with caplog.at_level(logging.INFO, "meetbot_sdk"):
        alone = [call() for _ in range(3)]
        assert not any(admit.shared for admit in alone)
        assert store.calls == 3  # one try; then not again before REJOIN_AFTER_SECONDS
        store.up = True
        monkeypatch.setattr(_throttle, "REJOIN_AFTER_SECONDS", 0.0)
        throttle._alone_until = time.monotonic()
        assert call().shared
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "The shared rate budget flaky is unavailable (switched off); this process keeps its "
        "own count until it is back"
    ]
    assert "The shared rate budget flaky answers again; rejoined it" in caplog.text
    assert store.window.in_flight == 0


def test_a_process_alone_tries_the_store_again_a_second_later(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # docs/fleets.rst: "It tries Redis again after a second"; on a fake clock
    clock = LockClock()
    monkeypatch.setattr(_throttle, "time", clock)
    store = FlakyStore()
    store.up = False
    throttle = Throttle(store=store, key="k")

    def call() -> Admit:
        admit = throttle.acquire(CAP, no_waits, lease_seconds=30)
        assert isinstance(admit, Admit)
        throttle.release(admit, rate(remaining=5))
        return admit

    with caplog.at_level(logging.INFO, "meetbot_sdk"):
        assert not call().shared
        store.up = True
        clock.now = 1000.999
        assert not call().shared
        assert store.calls == 1  # not tried again within the second
        clock.now = 1001.0
        assert call().shared
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "WARNING",
            "The shared rate budget flaky is unavailable (switched off); this process keeps "
            "its own count until it is back",
        ),
        ("INFO", "The shared rate budget flaky answers again; rejoined it"),
    ]


@pytest.mark.parametrize("when", ["while it sleeps", "just before it sleeps"])
def test_a_thread_waiting_for_a_shared_reset_goes_when_a_release_brings_the_budget_back(
    when: str,
) -> None:
    # The budget is spent for 30 s; then an answer to another request of this process says
    # a new window has opened. The waiting thread goes at once, asleep or about to sleep.
    throttle = Throttle(store=FlakyStore(), key="k")
    admit = throttle.acquire(CAP, no_waits, lease_seconds=30)
    throttle.release(admit, rate(remaining=0, reset="30"))
    waits: list[Wait] = []

    def on_wait(wait: Wait) -> None:
        waits.append(wait)
        if when == "just before it sleeps":
            throttle.release(None, rate(remaining=5, reset="90"))

    results: list[object] = []
    thread = threading.Thread(
        target=lambda: results.append(throttle.acquire(CAP, on_wait, lease_seconds=30)),
        daemon=True,
    )
    thread.start()
    if when == "while it sleeps":
        sleeping = throttle._condition._waiters  # type: ignore[attr-defined]
        for _ in range(5000):
            if sleeping:
                break
            time.sleep(0.001)
        throttle.release(None, rate(remaining=5, reset="90"))  # the next window
    thread.join(5)
    assert [(type(r), getattr(r, "shared", None)) for r in results] == [(Admit, True)]
    assert [round(wait.seconds) for wait in waits] == [30]


def test_a_task_waiting_for_a_shared_reset_goes_when_a_release_brings_the_budget_back() -> None:
    async def main() -> None:
        throttle = Throttle(store=FlakyStore(), key="k")
        admit = await throttle.acquire_async(CAP, no_waits, lease_seconds=30)
        await throttle.release_async(admit, rate(remaining=0, reset="30"))
        waits: list[Wait] = []
        task = asyncio.create_task(throttle.acquire_async(CAP, waits.append, lease_seconds=30))
        await asyncio.sleep(0)
        assert [round(wait.seconds) for wait in waits] == [30]
        await throttle.release_async(None, rate(remaining=5, reset="90"))  # the next window
        decision = await asyncio.wait_for(task, 5)
        assert isinstance(decision, Admit)
        assert decision.shared

    asyncio.run(main())


def test_a_request_held_for_another_process_answer_looks_again_every_20_ms() -> None:
    # That answer wakes nobody here: the held request reads the shared budget again every
    # 20 ms (on the SDK's clock, which instant waits move on instead of waiting).
    store = FlakyStore()
    other, here = Throttle(store=store, key="k"), Throttle(store=store, key="k")
    probe = other.acquire(CAP, no_waits, lease_seconds=30)
    transact, answered = store.transact, []

    def looking(key: str, change: Callable[[Window, float], _T]) -> _T:
        if store.calls == 3 and not answered:  # looked twice more: the other one answers
            answered.append(True)
            other.release(probe, rate(remaining=5))
        return transact(key, change)

    store.transact = looking  # type: ignore[method-assign]
    with instant_waits() as waits:
        decision = here.acquire(CAP, lambda wait: None, lease_seconds=30)
    assert isinstance(decision, Admit)
    assert decision.shared
    assert waits == [pytest.approx(0.02), pytest.approx(0.02)]


# --- processes --------------------------------------------------------------------------------


@pytest.mark.loopback
def test_a_fleet_of_processes_sharing_a_file_stays_within_the_budget(tmp_path: Path) -> None:
    fake = FakeMeetBot(log_count=10)
    fake.set_rate_limit(10, per=0.5)
    budget = f"file:{tmp_path / 'budget'}"
    reports, seconds = run_fleet(fake, budget, 3, ["--threads", "2", "--calls", "4"])
    assert [report["ok"] for report in reports] == [8, 8, 8]
    assert len(fake.requests) - 24 <= 1  # at most one 429, for the cold start
    assert seconds >= 1.0  # 24 calls at 10 per 0.5 s: the budget was kept, not outrun


@pytest.mark.loopback
def test_a_process_killed_in_flight_holds_the_budget_no_longer_than_its_lease(
    tmp_path: Path,
) -> None:
    fake = FakeMeetBot(log_count=10)
    fake.set_rate_limit(10, per=1.0)
    with fake.serve() as base_url:
        seconds = killed_in_flight(fake, base_url, "file", str(tmp_path / "budget"))
    lease = _throttle.lease_seconds(httpx.Timeout(0.5))  # 0.5 connect + 0.5 read + 1
    assert seconds <= lease + 1.0
    assert not math.isclose(seconds, 0.0, abs_tol=0.2)  # it did wait for the lease


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_a_release_the_store_misses_leaves_a_lease_that_lapses(
    flavour: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = FlakyStore()
    throttle = Throttle(store=store, key="k")
    assert throttle.store is store
    admit = throttle.acquire(CAP, no_waits, lease_seconds=30)
    assert isinstance(admit, Admit)
    store.up = False
    with caplog.at_level(logging.WARNING, "meetbot_sdk"):
        if flavour == "sync":
            throttle.release(admit, rate(remaining=5))
        else:
            asyncio.run(throttle.release_async(admit, rate(remaining=5)))
    assert "is unavailable (switched off)" in caplog.text
    (until,) = store.window.leases.values()  # still counted there, until its deadline
    assert until == pytest.approx(time.monotonic() + 30, abs=1)
    assert throttle.window.known  # this process learnt the budget all the same


def test_a_copy_given_a_budget_of_its_own_uses_it(tmp_path: Path) -> None:
    client = MeetBot("k", base_url="http://127.0.0.1:1")
    copy = client.with_options(throttle=FileBudget(tmp_path / "budget"))
    assert copy._throttle is not client._throttle
    assert isinstance(copy._throttle.store, FileBudget)
    assert client.with_options(throttle=False)._throttle is client._throttle


def test_an_unthrottled_copy_of_a_client_with_a_budget_calls_and_teaches_it(
    tmp_path: Path,
) -> None:
    fake = FakeMeetBot(log_count=3)
    budget = FileBudget(tmp_path / "budget")
    with fake.client(throttle=budget) as client:
        fast = client.with_options(throttle=False)
        assert fast.api_logs.get_page(page_size=1).total == 3
        # its answer still tells the shared budget what the server said
        record = load(
            (tmp_path / "budget").read_bytes(), fast._throttle._key, time.time(), where=""
        )
        assert record.known
    budget.close()


def test_a_child_after_fork_opens_the_file_afresh(tmp_path: Path) -> None:
    budget = FileBudget(tmp_path / "budget")
    budget.transact("k", lambda window, now: None)
    inherited = budget._fd
    assert inherited is not None
    _budgets._after_fork_in_child()  # what os.register_at_fork runs in a child
    assert budget._fd is None
    with pytest.raises(OSError, match="Bad file descriptor"):
        os.fstat(inherited)  # the child's copy is closed: it competes for the lock anew
    budget.transact("k", lambda window, now: None)
    budget.close()
    assert budget._fd is None


def test_an_async_update_waits_for_this_process_threads_without_blocking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_budgets, "LOCK_TIMEOUT_SECONDS", 0.05)
    budget = FileBudget(tmp_path / "budget")
    with budget._lock:  # a thread of this process is in the middle of an update
        with pytest.raises(StoreUnavailable, match="stayed locked"):
            asyncio.run(budget.transact_async("k", lambda window, now: None))
    assert asyncio.run(budget.transact_async("k", lambda window, now: 7)) == 7


def test_a_429_one_client_got_refuses_the_others_calls_without_sending(tmp_path: Path) -> None:
    from meetbot_sdk import RateLimitError

    fake = FakeMeetBot(log_count=5)
    fake.inject(Fault.status(429, headers={"Retry-After": "3600"}))
    budget = FileBudget(tmp_path / "budget")
    clients = [
        MeetBot(
            fake.api_key,
            base_url=fake.base_url,
            throttle=budget,
            http_client=httpx.Client(transport=fake.transport("httpx")),
        )
        for _ in range(2)
    ]
    with pytest.raises(RateLimitError) as first:
        clients[0].api_keys.get_usage(1)
    with pytest.raises(RateLimitError) as refused:  # the other "process" sends nothing
        clients[1].api_keys.get_usage(1)
    assert len(fake.requests) == 1
    assert str(refused.value) == str(first.value)  # the server's own message and request id
    assert refused.value.retry_after is not None
    assert 3590 < refused.value.retry_after <= 3600
