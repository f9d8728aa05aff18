"""Serve a fake account on a loopback port until stopped, telling clients where it is.

The ``meetbot fake-server`` command runs this, and ``python -m meetbot_sdk.testing`` can run
the same: the two ``export`` lines it prints, pasted into a shell, are the environment every
MeetBot client reads; PowerShell's and cmd's spelling of them goes to the notes stream.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from meetbot_sdk._constants import API_KEY_ENV, BASE_URL_ENV
from meetbot_sdk.testing._fake import DEFAULT_LOG_COUNT, DEFAULT_SEED, FakeMeetBot
from meetbot_sdk.testing._loopback import serve_loopback

if TYPE_CHECKING:
    from typing import TextIO

__all__ = ["environment_lines", "serve_fake", "windows_lines"]


def environment_lines(base_url: str, api_key: str) -> str:
    """The ``export NAME=value`` lines that point a client at a served fake, as pasted into
    a POSIX shell (bash, zsh); ``.env`` readers accept them too."""
    return f"export {BASE_URL_ENV}={base_url}\nexport {API_KEY_ENV}={api_key}\n"


def windows_lines(base_url: str, api_key: str) -> str:
    """The same environment as PowerShell and cmd.exe spell it."""
    powershell = f'$env:{BASE_URL_ENV}="{base_url}"; $env:{API_KEY_ENV}="{api_key}"'
    cmd = f"set {BASE_URL_ENV}={base_url} & set {API_KEY_ENV}={api_key}"
    return f"on Windows, PowerShell: {powershell}\non Windows, cmd: {cmd}\n"


def serve_fake(
    out: TextIO,
    *,
    port: int = 0,
    log_count: int = DEFAULT_LOG_COUNT,
    seed: int = DEFAULT_SEED,
    stop: threading.Event | None = None,
    fake: FakeMeetBot | None = None,
    notes: TextIO | None = None,
) -> None:
    """Serve a fake account on ``127.0.0.1`` and print where, until ``stop`` is set.

    Args:
        out: Where the two ``export`` lines go, flushed at once.
        port: The port; 0 lets the OS choose a free one.
        log_count: Request logs the account starts with.
        seed: Seeds the account.
        stop: Set it to stop serving; without one, serve until interrupted (Ctrl-C).
        fake: Serve this fake instead of a new one (``log_count`` and ``seed`` then unused).
        notes: Where the PowerShell and cmd spellings of the lines go (stderr), if anywhere.

    Raises:
        OSError: The port is taken or not allowed.
        ValueError: ``log_count`` is negative.
    """
    if fake is None:
        fake = FakeMeetBot(seed=seed, log_count=log_count)
    with serve_loopback(fake._dispatch, port) as base_url:
        out.write(environment_lines(base_url, fake.api_key))
        out.flush()
        if notes is not None:
            notes.write(windows_lines(base_url, fake.api_key))
            notes.flush()
        (stop or threading.Event()).wait()
