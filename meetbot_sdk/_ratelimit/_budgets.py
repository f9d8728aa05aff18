"""Rate budgets shared by a fleet of processes: :class:`SharedBudget`, the base of the stores,
and :class:`FileBudget`, every process on one machine naming the same file
(:class:`~meetbot_sdk.RedisBudget` lives in :mod:`meetbot_sdk._ratelimit._redis_budget`).

A store keeps one :class:`~meetbot_sdk._ratelimit._throttle.Window` as a small record
(:mod:`meetbot_sdk._ratelimit._budget_record`) and applies each decision and each release to it
atomically; the arithmetic is the window's, the same as in a single process.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
import time
import weakref
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import TypeVar

from meetbot_sdk._ratelimit._throttle import StoreUnavailable, Window

__all__ = ["FileBudget", "SharedBudget", "budget_key"]


def _file_locks() -> ModuleType | None:
    """The ``fcntl`` module where the platform has one (not on Windows)."""
    try:
        import fcntl  # platform: POSIX only; import time: loaded by the first FileBudget
    except ImportError:
        return None
    return fcntl


_T = TypeVar("_T")

LOCK_TIMEOUT_SECONDS = 1.0
"""The longest a process waits for another to let go of the budget file."""
_LOCK_RETRY_SECONDS = 0.0005  # a lock hold is a read and a write of a few hundred bytes


class SharedBudget:
    """A rate budget several processes share; pass one as a client's ``throttle=``."""

    def transact(self, key: str, change: Callable[[Window, float], _T]) -> _T:
        """Apply ``change`` to the budget of ``key`` atomically; its result.

        Raises:
            StoreUnavailable: The store could not be read or written in time.
        """
        raise NotImplementedError

    async def transact_async(self, key: str, change: Callable[[Window, float], _T]) -> _T:
        """:meth:`transact` for asyncio tasks, never blocking the event loop for long."""
        raise NotImplementedError

    def describe(self) -> str:
        """Where the budget is, for log lines (never a password)."""
        raise NotImplementedError

    def check_client(self, *, asynchronous: bool) -> None:
        """Refuse, before any request, a client this budget cannot serve.

        Raises:
            TypeError: The budget was given a connection of the other kind.
        """


def budget_key(base_url: str, api_key: str) -> str:
    """The fingerprint naming the budget of one API key at one API in a store: 16 hex digits
    of a SHA-256, from which the key cannot be recovered."""
    digest = hashlib.sha256(f"{base_url}\n{api_key}".encode()).hexdigest()
    return digest[:16]


_OPEN_BUDGETS: weakref.WeakSet[FileBudget] = weakref.WeakSet()


class FileBudget(SharedBudget):
    """One rate budget for every process on this machine that names the same file.

    The budget is a record of a few hundred bytes in the file, read and written under an
    exclusive ``fcntl`` lock held for a few microseconds: no server, standard library only.
    Use one file per API key. Times in it are the machine's wall clock.

    The file is never reached through a symbolic link: one at ``path``, planted before or
    after the budget was made, is refused (the budget stands aside with one warning, as
    for any unusable file), so nobody who can write to the directory can make the
    processes write elsewhere. Keep the file in a directory only their user can write.

    Args:
        path: The file; it is created (mode ``0600``) if missing. Its directory must exist.

    Raises:
        TypeError: ``path`` is not a string or path.
        ValueError: ``path`` is empty, is a symbolic link or not a regular file, or its
            directory does not exist.
        RuntimeError: The platform has no POSIX file locks (Windows); the message names
            :class:`RedisBudget` instead.

    Example:
        >>> from meetbot_sdk import FileBudget, MeetBot
        >>> budget = FileBudget("/var/lib/myapp/meetbot-budget")  # doctest: +SKIP
        >>> client = MeetBot(throttle=budget)  # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        if _file_locks() is None:
            raise RuntimeError(
                "FileBudget needs POSIX file locks (the fcntl module), which this platform "
                "lacks: share the budget through Redis instead (RedisBudget, "
                'pip install "meetbot-sdk[redis]"), or keep it per process (throttle=True)'
            )
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
        text = os.fspath(path)
        if not isinstance(text, str) or not text:
            raise ValueError("path must name a file, got an empty path")
        directory = os.path.dirname(os.path.abspath(text))
        if not os.path.isdir(directory):
            raise ValueError(f"the directory of the budget file does not exist: {directory!r}")
        problem = _not_a_plain_file(text)
        if problem:
            raise ValueError(f"the budget file {text!r} {problem}")
        self.path = text
        self._forget()
        _OPEN_BUDGETS.add(self)

    def _forget(self) -> None:
        """Start with no descriptor and a fresh lock: in a child after ``fork`` too, whose
        inherited descriptor would share the parent's lock instead of competing for it."""
        fd = getattr(self, "_fd", None)
        if fd is not None:
            os.close(fd)  # the child's copy; the parent's stays open, its lock unaffected
        self._lock = threading.Lock()
        self._fd: int | None = None

    def __repr__(self) -> str:
        return f"FileBudget({self.path!r})"

    def describe(self) -> str:
        return f"file {self.path!r}"

    def transact(self, key: str, change: Callable[[Window, float], _T]) -> _T:
        deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
        if not self._lock.acquire(timeout=LOCK_TIMEOUT_SECONDS):
            raise StoreUnavailable("busy in this process")  # pragma: no cover
        try:
            while True:
                done, result = self._try(key, change)
                if done:
                    return result
                _give_up_after(deadline)
                time.sleep(_LOCK_RETRY_SECONDS)
        finally:
            self._lock.release()

    async def transact_async(self, key: str, change: Callable[[Window, float], _T]) -> _T:
        import asyncio  # import time: async clients only

        return await _retry_async(lambda: self._try_unlocked(key, change), asyncio.sleep)

    def _try_unlocked(self, key: str, change: Callable[[Window, float], _T]) -> tuple[bool, _T]:
        if not self._lock.acquire(blocking=False):
            return False, None  # type: ignore[return-value]
        try:
            return self._try(key, change)
        finally:
            self._lock.release()

    def _try(self, key: str, change: Callable[[Window, float], _T]) -> tuple[bool, _T]:
        """One attempt under the file lock: ``(False, None)`` if another process holds it."""
        # import time: only a FileBudget in use reads and writes budget records
        from meetbot_sdk._ratelimit._budget_record import MAX_RECORD_BYTES, dump, load

        fcntl = _file_locks()
        if fcntl is None:  # pragma: no cover - __init__ refuses a budget without file locks
            raise StoreUnavailable("this platform has no POSIX file locks")
        try:
            fd = self._descriptor()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False, None  # type: ignore[return-value]
            try:
                stored = os.pread(fd, MAX_RECORD_BYTES + 1, 0)
                now = time.time()
                window = load(stored, key, now, where=self.describe())
                result = change(window, now)
                record = dump(window, key).encode()
                if record != stored:
                    os.pwrite(fd, record, 0)
                    os.ftruncate(fd, len(record))
                return True, result
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        except OSError as exc:
            raise StoreUnavailable(exc.strerror or str(exc)) from exc

    def _descriptor(self) -> int:
        if self._fd is None:
            flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK
            try:
                fd = os.open(self.path, flags, 0o600)
            except OSError as exc:
                problem = _not_a_plain_file(self.path)
                raise StoreUnavailable(problem or exc.strerror or str(exc)) from exc
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                raise StoreUnavailable(_NOT_REGULAR)
            self._fd = fd
        return self._fd

    def close(self) -> None:
        """Close this process's descriptor of the file (it is reopened when used again)."""
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __del__(self) -> None:
        if getattr(self, "_fd", None) is not None:
            os.close(self._fd)  # type: ignore[arg-type]


_SYMLINK = "is a symbolic link, which FileBudget never follows: name the file itself"
_NOT_REGULAR = "is not a regular file"


def _not_a_plain_file(path: str) -> str:
    """Why ``path`` cannot be the budget file (a link, a directory...), or ``""``."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return ""  # missing: it is created
    if stat.S_ISLNK(mode):
        return _SYMLINK
    return "" if stat.S_ISREG(mode) else _NOT_REGULAR


def _give_up_after(deadline: float) -> None:
    if time.monotonic() >= deadline:
        raise StoreUnavailable(f"stayed locked by another process for {LOCK_TIMEOUT_SECONDS:g} s")


async def _retry_async(
    attempt: Callable[[], tuple[bool, _T]],
    sleep: Callable[[float], Awaitable[None]],
) -> _T:
    """Try without blocking, and between tries let the event loop run."""
    deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
    while True:
        done, result = attempt()
        if done:
            return result
        _give_up_after(deadline)
        await sleep(_LOCK_RETRY_SECONDS)


def _after_fork_in_child() -> None:
    for budget in list(_OPEN_BUDGETS):
        budget._forget()  # the parent's descriptor stays open for the parent


if hasattr(os, "register_at_fork"):  # pragma: no branch (POSIX)
    os.register_at_fork(after_in_child=_after_fork_in_child)
