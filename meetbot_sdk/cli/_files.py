"""How ``meetbot logs`` touches its files: never through a symbolic link, one export per
STATE at a time, and every replacement through a temporary file of its own.

A link planted at FILE, STATE, the lock or a temporary name would otherwise redirect the
export's writes to wherever it points; every open here says ``O_NOFOLLOW`` (or creates its
file exclusively), and a link found there is refused with a message naming it.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Literal

import click

__all__ = ["locked", "open_file", "open_output", "refuse_symlink", "replace_durably"]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_TEMPORARY_SUFFIX = ".tmp"


def open_file(path: Path, flags: int, option: str, *, mode: int = 0o666) -> int:
    """``os.open`` that never follows a symbolic link at ``path``.

    Raises:
        click.UsageError: ``path`` is a symbolic link (``option`` names where it was given).
        OSError: Any other failure to open it.
    """
    try:
        return os.open(path, flags | _NOFOLLOW, mode)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK) and path.is_symlink():
            raise _symlink_refused(path, option) from None
        raise


def _symlink_refused(path: Path, option: str) -> click.UsageError:
    return click.UsageError(
        f"{path} is a symbolic link, and meetbot logs never writes through one"
        f" ({option}): name the file itself"
    )


def refuse_symlink(path: Path, option: str) -> None:
    """Refuse ``path`` if it is a symbolic link (before anything is sent or written).

    Raises:
        click.UsageError: It is one.
    """
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISLNK(os.lstat(path).st_mode):
            raise _symlink_refused(path, option)


def open_output(output: Path, mode: Literal["wb", "ab", "r+b"]) -> BinaryIO:
    """FILE, opened as ``open(output, mode)`` would, but never through a symbolic link."""
    flags = {
        "wb": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
        "ab": os.O_WRONLY | os.O_APPEND,
        "r+b": os.O_RDWR,
    }[mode]
    return os.fdopen(open_file(output, flags, "--output"), mode)


def replace_durably(path: Path, content: bytes) -> None:
    """Replace ``path`` with ``content`` atomically and durably: write a temporary file of
    this write's own (created exclusively in the same directory, never a file or link
    already there), fsync it, rename it over ``path``, fsync the directory."""
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=_TEMPORARY_SUFFIX, dir=path.parent
    )
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    # The rename is durable once the directory is; some systems cannot open one (ignore).
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


@contextlib.contextmanager
def locked(state_path: Path) -> Iterator[None]:
    """Hold the lock of STATE (``.STATE.lock``, holding this pid) for the whole export.

    Raises:
        click.ClickException: Another export holds it (exit status 1; the message names its
            pid).
        click.UsageError: The lock file is a symbolic link.
    """
    fcntl = _file_locks()
    if fcntl is None:  # pragma: no cover - Windows has no flock: no lock, as before
        yield
        return
    lock_path = state_path.with_name(f".{state_path.name}.lock")
    descriptor = open_file(lock_path, os.O_RDWR | os.O_CREAT, "--checkpoint", mode=0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 32, 0).decode("ascii", errors="replace").strip()
            who = f"pid {holder}" if holder.isdigit() else "another process"
            raise click.ClickException(
                f"{state_path} is in use by another export ({who}): let it finish, or"
                " choose another --checkpoint"
            ) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        _remove_stale_temporaries(state_path)
        yield
    finally:
        os.close(descriptor)  # lets go of the lock; the file stays, for the next run


def _file_locks() -> Any:
    try:
        import fcntl  # platform: POSIX only (Windows has no flock)
    except ImportError:  # pragma: no cover
        return None
    return fcntl


def _remove_stale_temporaries(state_path: Path) -> None:
    """Temporary states a killed run left behind; under the lock, nobody else writes one."""
    pattern = f".{glob.escape(state_path.name)}.*{_TEMPORARY_SUFFIX}"
    for leftover in state_path.parent.glob(pattern):
        with contextlib.suppress(OSError):
            leftover.unlink()  # a link is removed itself, never its target
