"""``FakeMeetBot.start()`` / ``stop()``: the loopback server without a ``with`` block, as a
notebook cell uses it; a started fake stops by itself when the interpreter exits."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import textwrap
from urllib.parse import urlsplit

import httpx
import pytest

from meetbot_sdk import AsyncMeetBot, MeetBot
from meetbot_sdk.testing import FakeMeetBot


def port_of(base_url: str) -> int:
    port = urlsplit(base_url).port
    assert port is not None
    return port


def refuses(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.loopback
def test_start_serves_until_stop_with_both_clients() -> None:
    fake = FakeMeetBot(log_count=120)
    base_url = fake.start()
    try:
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/v1")
        assert fake.start() == base_url  # already serving: the same server
        with MeetBot(fake.api_key, base_url=base_url) as client:
            assert client.api_logs.get_page().total == 120

        async def main() -> int:
            async with AsyncMeetBot(fake.api_key, base_url=base_url) as client:
                return (await client.api_keys.get_usage(1)).requests_total

        assert asyncio.run(main()) > 0
    finally:
        fake.stop()
    assert refuses(port_of(base_url))
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}/users/me/analytics")


@pytest.mark.loopback
def test_stop_is_idempotent_and_the_fake_can_start_again() -> None:
    fake = FakeMeetBot(log_count=5)
    fake.stop()  # never started: nothing to do
    first = fake.start()
    fake.stop()
    fake.stop()
    again = fake.start()
    try:
        with MeetBot(fake.api_key, base_url=again) as client:
            assert client.api_logs.get_page().total == 5
    finally:
        fake.stop()
    assert refuses(port_of(first))
    assert refuses(port_of(again))


@pytest.mark.loopback
def test_a_started_fake_stops_at_interpreter_exit() -> None:
    # The check runs at exit, after the fake's own exit handler (atexit runs last-in first).
    script = textwrap.dedent(
        """
        import atexit, socket
        from urllib.parse import urlsplit
        from meetbot_sdk.testing import FakeMeetBot

        def check():
            with socket.socket() as probe:
                refused = probe.connect_ex(("127.0.0.1", port)) != 0
            print("closed at exit" if refused else "still serving at exit", flush=True)

        atexit.register(check)
        fake = FakeMeetBot(log_count=10)
        port = urlsplit(fake.start()).port
        with socket.create_connection(("127.0.0.1", port)):
            print("serving", flush=True)
        """
    )
    result = subprocess.run(  # noqa: S603 (this interpreter, our script)
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["serving", "closed", "at", "exit"]
    assert result.stderr == ""
