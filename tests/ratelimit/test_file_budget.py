"""FileBudget's own contract: the 1 s lock wait (on a fake clock), its file's mode, size
bound and descriptor, the fork hook, one budget per API key, and its warnings' wording."""

from __future__ import annotations

import asyncio
import errno
import fcntl
import gc
import logging
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from meetbot_sdk import FileBudget
from meetbot_sdk._ratelimit import _budgets
from meetbot_sdk._ratelimit._budget_record import MAX_RECORD_BYTES, dump
from meetbot_sdk._ratelimit._budgets import budget_key
from meetbot_sdk._ratelimit._throttle import StoreUnavailable, Throttle, Wait, Window
from meetbot_sdk.testing import FakeMeetBot
from tests.support.budgets import LockClock

CAP = 60.0


def no_waits(wait: Wait) -> None:
    raise AssertionError(f"unexpected wait: {wait}")


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_a_process_waits_up_to_one_second_for_the_file_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flavour: str
) -> None:
    # docs/fleets.rst: "a process waits at most 1 s for the file lock"
    path = tmp_path / "budget"
    budget = FileBudget(path)
    holder = os.open(path, os.O_RDWR | os.O_CREAT)  # another open file: another lock owner
    fcntl.flock(holder, fcntl.LOCK_EX)

    def transact(clock: LockClock) -> object:
        monkeypatch.setattr(_budgets, "time", clock)
        if flavour == "sync":
            return budget.transact("k", lambda window, now: "done")
        attempt = lambda: budget._try_unlocked("k", lambda window, now: "done")  # noqa: E731
        return asyncio.run(_budgets._retry_async(attempt, clock.async_sleep))

    try:
        given_up = LockClock()
        with pytest.raises(StoreUnavailable) as caught:
            transact(given_up)
        assert str(caught.value) == "stayed locked by another process for 1 s"
        assert 1.0 <= given_up.now - 1000.0 < 1.01
        # let go within the second: the process takes the lock then
        released = LockClock(release=(1000.9, lambda: fcntl.flock(holder, fcntl.LOCK_UN)))
        assert transact(released) == "done"
        assert 1000.9 <= released.now < 1000.91
    finally:
        os.close(holder)
        budget.close()


def test_a_file_budget_names_its_file_in_the_warning_it_causes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    directory = tmp_path / "gone"
    directory.mkdir()
    budget = FileBudget(directory / "budget")
    directory.rmdir()
    throttle = Throttle(store=budget, key="k")
    with caplog.at_level(logging.WARNING, "meetbot_sdk"):
        throttle.acquire(CAP, no_waits, lease_seconds=30)
    assert [r.getMessage() for r in caplog.records] == [
        f"The shared rate budget file {str(directory / 'budget')!r} is unavailable (No such file "
        "or directory); this process keeps its own count until it is back"
    ]


def test_a_forked_child_opens_the_file_afresh_by_itself(tmp_path: Path) -> None:
    # A fresh interpreter (single-threaded, so fork is safe): the at-fork hook is installed
    # by importing the SDK, with nothing for the user to call.
    script = f"""
import os
from meetbot_sdk import FileBudget
budget = FileBudget({str(tmp_path / "budget")!r})
budget.transact("k", lambda window, now: None)
assert budget._fd is not None
pid = os.fork()
if pid == 0:
    os._exit(0 if budget._fd is None else 1)
_, status = os.waitpid(pid, 0)
raise SystemExit(os.waitstatus_to_exitcode(status))
"""
    run = subprocess.run([sys.executable, "-c", script], check=False)  # noqa: S603 (our own)
    assert run.returncode == 0


def test_the_budget_file_is_private_and_closed_with_its_budget(tmp_path: Path) -> None:
    path = tmp_path / "budget"
    budget = FileBudget(path)
    budget.transact("k", lambda window, now: None)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # the budget is nobody else's business
    fd = budget._fd
    assert fd is not None
    del budget
    gc.collect()
    with pytest.raises(OSError, match="Bad file descriptor"):
        os.fstat(fd)  # no descriptor leaks with a budget that is dropped


@pytest.mark.parametrize(("past_64_kib", "believed"), [(0, True), (1, False)])
def test_a_budget_file_of_up_to_64_kib_is_read_and_a_larger_one_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, past_64_kib: int, believed: bool
) -> None:
    path = tmp_path / "budget"
    known = Window()
    known.known = True
    record = (dump(known, "k")).encode()
    # a record of 64 KiB exactly, then as many bytes more
    path.write_bytes(b" " * (MAX_RECORD_BYTES - len(record)) + record + b" " * past_64_kib)
    budget = FileBudget(path)
    with caplog.at_level(logging.WARNING, "meetbot_sdk"):
        assert budget.transact("k", lambda window, now: window.known) is believed
    budget.close()
    ignored = f"Ignoring the shared rate budget in file {str(path)!r}: larger than 65536 bytes"
    assert [r.getMessage() for r in caplog.records] == (
        [] if believed else [f"{ignored}; starting afresh"]
    )


def test_this_process_holding_the_budget_too_long_is_a_store_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_budgets, "LOCK_TIMEOUT_SECONDS", 0.01)
    budget = FileBudget(tmp_path / "budget")
    with budget._lock:  # a thread of this process is stuck in an update
        with pytest.raises(StoreUnavailable, match=r"^busy in this process$"):
            budget.transact("k", lambda window, now: None)


def test_budgets_of_different_keys_in_one_file_are_not_shared(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    budget = FileBudget(tmp_path / "budget")
    fake = FakeMeetBot(log_count=1)
    with fake.client(throttle=budget) as one:
        one.api_logs.get_page(page_size=1)
    other = FakeMeetBot(log_count=1, api_key="mb_other_key_0000")
    with caplog.at_level(logging.WARNING, "meetbot_sdk"), other.client(throttle=budget) as two:
        two.api_logs.get_page(page_size=1)
    assert "written for another API key or base URL" in caplog.text
    assert budget_key(fake.base_url, fake.api_key) != budget_key(fake.base_url, "mb_other_key_0000")
    budget.close()


def test_a_budget_is_named_by_a_fingerprint_of_16_hex_digits() -> None:
    # docs/fleets.rst: the Redis key is "<namespace>:rate-budget:<fingerprint>", 16 hex digits
    # of a SHA-256 of the base URL and the API key, from which the key cannot be recovered
    key = "mb_live_0123456789abcdef"
    fingerprint = budget_key("https://api.meetbot.example/v1", key)
    assert re.fullmatch("[0-9a-f]{16}", fingerprint)
    assert fingerprint != budget_key("https://other.example/v1", key)


def test_a_platform_without_file_locks_is_told_what_to_use_instead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Windows has no fcntl: the budget refuses to be made, before anything is sent.
    monkeypatch.setitem(sys.modules, "fcntl", None)  # importing it fails, as there
    with pytest.raises(RuntimeError) as refused:
        FileBudget(tmp_path / "budget")
    assert str(refused.value) == (
        "FileBudget needs POSIX file locks (the fcntl module), which this platform lacks: "
        'share the budget through Redis instead (RedisBudget, pip install "meetbot-sdk[redis]"), '
        "or keep it per process (throttle=True)"
    )


def test_a_budget_file_that_cannot_be_written_means_going_alone_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "budget"
    budget = FileBudget(path)

    def disk_full(fd: int, data: bytes, offset: int) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(_budgets.os, "pwrite", disk_full)
    throttle = Throttle(store=budget, key="k")
    with caplog.at_level(logging.WARNING, "meetbot_sdk"):
        admit = throttle.acquire(CAP, no_waits, lease_seconds=30)  # the call goes on regardless
    assert (admit.probe, admit.shared) == (True, False)  # counted by this process alone
    assert [r.getMessage() for r in caplog.records] == [
        f"The shared rate budget file {str(path)!r} is unavailable (No space left on device);"
        " this process keeps its own count until it is back"
    ]
    budget.close()


# --- hostile files ------------------------------------------------------------------------------


def test_a_deeply_nested_budget_file_never_fails_a_call(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # docs/fleets.rst: "the budget never fails a call"; 60 KB of "[" once raised
    # RecursionError in every call of every process sharing the file
    path = tmp_path / "budget"
    path.write_bytes(b"[" * 60_000)
    fake = FakeMeetBot(log_count=5)
    with (
        caplog.at_level(logging.WARNING, "meetbot_sdk"),
        fake.client(throttle=FileBudget(path)) as client,
    ):
        for _ in range(3):
            assert client.api_keys.get_usage(1).requests_today >= 0
    assert [r.getMessage() for r in caplog.records] == [
        f"Ignoring the shared rate budget in file {str(path)!r}: nested deeper than 4 levels;"
        " starting afresh"
    ]
    assert path.read_bytes().startswith(b'{"v":1,')  # replaced by a record of ours


def test_a_symlink_is_refused_as_the_budget_file(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    link = tmp_path / "budget"
    link.symlink_to(target)  # dangling: the budget would create the file it points to
    with pytest.raises(ValueError, match="symbolic link") as caught:
        FileBudget(link)
    assert str(caught.value) == (
        f"the budget file {str(link)!r} is a symbolic link, which FileBudget never follows:"
        " name the file itself"
    )
    assert not target.exists()
    (tmp_path / "directory").mkdir()
    with pytest.raises(ValueError, match="is not a regular file"):
        FileBudget(tmp_path / "directory")


@pytest.mark.parametrize("target_exists", [False, True])
def test_a_symlink_planted_later_is_never_followed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, target_exists: bool
) -> None:
    path = tmp_path / "budget"
    budget = FileBudget(path)  # nothing there yet: a link is planted before the first call
    target = tmp_path / "victim"
    if target_exists:
        target.write_bytes(b"precious")
    path.symlink_to(target)
    throttle = Throttle(store=budget, key="k")
    with caplog.at_level(logging.WARNING, "meetbot_sdk"):
        throttle.acquire(CAP, no_waits, lease_seconds=30)  # the call goes on regardless
    assert [r.getMessage() for r in caplog.records] == [
        f"The shared rate budget file {str(path)!r} is unavailable (is a symbolic link, which"
        " FileBudget never follows: name the file itself); this process keeps its own count"
        " until it is back"
    ]
    assert target.read_bytes() == b"precious" if target_exists else not target.exists()
    budget.close()
