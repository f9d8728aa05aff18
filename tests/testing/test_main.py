"""``python -m meetbot_sdk.testing``: the fake on loopback, for any client, with no extra."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys

import pytest


@pytest.mark.loopback
def test_the_lines_it_prints_paste_into_a_shell() -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "meetbot_sdk.testing", "--log-count", "40", "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        lines = server.stdout.readline() + server.stdout.readline()
        assert lines.startswith("export MEETBOT_BASE_URL=http://127.0.0.1:")
        assert "\nexport MEETBOT_API_KEY=mb_test_" in lines
        # Pasted into a shell with no MEETBOT_* variable, then a client run there.
        client = "from meetbot_sdk import MeetBot; print(MeetBot().api_logs.get_page().total)"
        pasted = subprocess.run(  # noqa: S603 (a fixed command)
            ["/bin/sh", "-c", f"{lines}{shlex.quote(sys.executable)} -c {shlex.quote(client)}"],
            env={k: v for k, v in os.environ.items() if not k.startswith("MEETBOT_")},
            capture_output=True,
            text=True,
            check=False,
        )
        assert (pasted.returncode, pasted.stdout) == (0, "40\n"), pasted.stderr
    finally:
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=10)
    assert server.returncode == 0
    assert "Ctrl-C stops it" in err
    assert '$env:MEETBOT_BASE_URL="http://127.0.0.1:' in err  # PowerShell
    assert "set MEETBOT_API_KEY=mb_test_" in err  # cmd.exe
    assert "Traceback" not in err


def test_its_help_points_only_to_what_a_wheel_holds() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "meetbot_sdk.testing", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "export MEETBOT_BASE_URL=" in result.stdout
    assert "examples/" not in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "70000"], "--port must be between 0 and 65535, got 70000"),
        (["--log-count", "-1"], "--log-count must be >= 0, got -1"),
        (["--port", "x"], "invalid int value: 'x'"),
    ],
)
def test_bad_arguments_exit_2_with_the_reason(args: list[str], message: str) -> None:
    result = subprocess.run(  # noqa: S603 (this interpreter, a fixed command)
        [sys.executable, "-m", "meetbot_sdk.testing", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_a_taken_port_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    from meetbot_sdk.testing.__main__ import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert main(["--port", str(taken.getsockname()[1])]) == 1
    assert "cannot serve on port" in capsys.readouterr().err
