"""What only a terminal shows, and what Ctrl-C does while a batch is being written."""

from __future__ import annotations

import os
import pathlib
import signal
import sys

import pytest

from tests.cli.support import Account


def test_ctrl_c_while_writing_waits_for_the_batch_to_end() -> None:
    from meetbot_sdk.cli._interrupts import Interrupts, shielded

    interrupts = Interrupts.install()
    written = []

    def write_batch() -> None:
        with shielded():
            os.kill(os.getpid(), signal.SIGINT)
            written.append("the rest of the batch")

    try:
        with pytest.raises(KeyboardInterrupt):
            write_batch()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)  # outside a batch: at once
    finally:
        interrupts.uninstall()
    assert written == ["the rest of the batch"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_long_export_shows_progress_on_a_terminal(
    account: Account, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from meetbot_sdk.cli import _logs

    monkeypatch.setattr(_logs, "_PROGRESS_AFTER_SECONDS", 0.0)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    ran = account.run("logs", "--page-size", "50", "--output", str(tmp_path / "all.jsonl"))
    assert ran.status == 0
    assert "exporting logs" in ran.err
    assert ran.err.rstrip().endswith(
        f"meetbot: wrote 400 logs to {tmp_path / 'all.jsonl'} (400 in the file)"
    )


def test_a_quick_export_shows_no_progress(
    account: Account, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    ran = account.run("logs", "--limit", "5", "--output", str(tmp_path / "few.csv"))
    assert "exporting logs" not in ran.err


def test_without_click_main_prints_the_install_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from meetbot_sdk import cli

    monkeypatch.setitem(sys.modules, "click", None)  # as if not installed
    assert cli.main(["logs"]) == 2
    assert capsys.readouterr().err == (
        "meetbot: The meetbot command needs the optional 'click' package. "
        'Install it with: pip install "meetbot-sdk[cli]"\n'
    )


def test_serve_fake_prints_the_environment_and_stops_when_told() -> None:
    import io
    import threading

    import httpx

    from meetbot_sdk.testing._serve import serve_fake

    out, stop = io.StringIO(), threading.Event()
    server = threading.Thread(
        target=serve_fake, args=(out,), kwargs={"log_count": 12, "stop": stop}
    )
    server.start()
    try:
        for _ in range(500):
            if out.getvalue().count("\n") == 2:
                break
            stop.wait(0.01)
        lines = dict(
            line.removeprefix("export ").split("=", 1) for line in out.getvalue().splitlines()
        )
        assert lines["MEETBOT_BASE_URL"].startswith("http://127.0.0.1:")
        headers = {"Authorization": f"Bearer {lines['MEETBOT_API_KEY']}"}
        url = lines["MEETBOT_BASE_URL"] + "/users/me/api-logs"
        assert httpx.get(url, headers=headers).json()["total"] == 12
    finally:
        stop.set()
        server.join(10)
    assert not server.is_alive()
