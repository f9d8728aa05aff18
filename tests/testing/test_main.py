"""``python -m meetbot_sdk.testing``: the fake on loopback, for any client, with no extra."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from meetbot_sdk import MeetBot


@pytest.mark.loopback
def test_it_prints_the_environment_that_points_a_client_at_it() -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "meetbot_sdk.testing", "--log-count", "40", "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        lines = [server.stdout.readline(), server.stdout.readline()]
        env = dict(line.strip().split("=", 1) for line in lines)
        assert set(env) == {"MEETBOT_BASE_URL", "MEETBOT_API_KEY"}
        assert env["MEETBOT_BASE_URL"].startswith("http://127.0.0.1:")
        with MeetBot(env["MEETBOT_API_KEY"], base_url=env["MEETBOT_BASE_URL"]) as client:
            assert client.api_logs.get_page(page_size=1).total == 40
    finally:
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=10)
    assert server.returncode == 0
    assert "Ctrl-C stops it" in err
    assert "Traceback" not in err


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
