"""Helpers for the shared-budget tests: a real ``redis-server`` on a unix socket, and a fleet
of worker processes (:mod:`tests.support.fleet_worker`) against the fake over loopback."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from meetbot_sdk import FileBudget, MeetBot, RedisBudget
from meetbot_sdk.testing import FakeMeetBot, Fault

REDIS_INSTALL = "apt-get update && apt-get install -y redis-server"
ROOT = Path(__file__).resolve().parents[2]


class RedisServer:
    """A ``redis-server`` of our own on a unix socket (no TCP port), no persistence."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail(f"redis-server is not installed; install it with: {REDIS_INSTALL}")
        self.binary = binary
        self.socket = directory / "redis.sock"
        self.url = f"unix://{self.socket}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (the redis-server found on PATH)
            [
                self.binary,
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self._answers():  # the socket file exists a moment before it listens
            assert self.process.poll() is None, "redis-server exited"
            assert time.monotonic() < deadline, "redis-server did not answer on its socket"
            time.sleep(0.01)

    def _answers(self) -> bool:
        try:
            with socket.socket(socket.AF_UNIX) as connection:
                connection.settimeout(1.0)
                connection.connect(str(self.socket))
                connection.sendall(b"PING\r\n")
                return connection.recv(7) == b"+PONG\r\n"
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None
        self.socket.unlink(missing_ok=True)

    def pause(self) -> None:
        """Stop the server's process (SIGSTOP): it accepts nothing and answers nothing."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)


def redis_server(directory: Path) -> Iterator[RedisServer]:
    server = RedisServer(directory)
    server.start()
    try:
        yield server
    finally:
        if server.process is not None:
            server.resume()
        server.stop()


def worker_command(base_url: str, api_key: str, budget: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "tests.support.fleet_worker", base_url, api_key, budget, *args]


def run_fleet(
    fake: FakeMeetBot, budget: str, processes: int, args: Sequence[str] = ()
) -> tuple[list[dict[str, Any]], float]:
    """Start ``processes`` workers together; their reports and the seconds the fleet took."""
    with fake.serve() as base_url:
        workers = [
            subprocess.Popen(  # noqa: S603 (our own interpreter and worker)
                worker_command(base_url, fake.api_key, budget, *args),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                cwd=ROOT,
            )
            for _ in range(processes)
        ]
        assert all(_ready(worker) for worker in workers)
        for worker in workers:  # go, all together
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        reports: list[dict[str, Any]] = []
        for worker in workers:
            out, _ = worker.communicate(timeout=120)
            assert worker.returncode == 0
            reports.append(json.loads(out.strip().splitlines()[-1]))
    started = min(float(report["started"]) for report in reports)
    return reports, max(float(report["finished"]) for report in reports) - started


def _ready(worker: subprocess.Popen[str]) -> bool:
    assert worker.stdout is not None
    return "ready" in json.loads(worker.stdout.readline())


_HOLD_A_LEASE = """
import sys, time
from meetbot_sdk import MeetBot, FileBudget, RedisBudget
kind, where, base_url, api_key = sys.argv[1:]
budget = FileBudget(where) if kind == "file" else RedisBudget(where)
client = MeetBot(api_key, base_url=base_url, throttle=budget, timeout=0.5, max_retries=0)
print("calling", flush=True)
client.api_keys.get_usage(1)  # held by the fake long enough to be killed in flight
"""


def killed_in_flight(fake: FakeMeetBot, base_url: str, kind: str, where: str) -> float:
    """A process is killed (-9) holding the cold start's probe; the seconds until another
    process's call goes through."""
    fake.inject(Fault.delay(30))
    holder = subprocess.Popen(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", _HOLD_A_LEASE, kind, where, base_url, fake.api_key],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == "calling\n"
    deadline = time.monotonic() + 10
    while not fake.requests:  # its request is on the wire, its lease taken
        assert time.monotonic() < deadline
        time.sleep(0.01)
    holder.kill()
    holder.wait(10)
    holder.stdout.close()
    budget: Any = FileBudget(where) if kind == "file" else RedisBudget(where)
    started = time.monotonic()
    with MeetBot(fake.api_key, base_url=base_url, throttle=budget, timeout=0.5) as client:
        client.api_keys.get_usage(1)
    seconds = time.monotonic() - started
    budget.close()
    return seconds
