"""Fixtures for the fake server's own tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from meetbot_sdk.testing import FakeMeetBot
from tests.testing.raw_http import NOW, raw_client


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake() -> FakeMeetBot:
    return FakeMeetBot(seed=3, log_count=600, now=NOW)


@pytest.fixture
def client(fake: FakeMeetBot) -> Iterator[httpx.Client]:
    with raw_client(fake) as client:
        yield client


class SleepGate:
    """Stands in for ``time.sleep``: records each wait and holds the sleeper until released.

    A sleeper is let go after ``timeout`` seconds at the latest, so a test that never
    releases it fails instead of hanging.
    """

    def __init__(self, *, hold: bool, timeout: float = 5.0) -> None:
        self.waits: list[float] = []
        self.entered = threading.Event()
        self.released = threading.Event()
        self._hold = hold
        self._timeout = timeout

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.entered.set()
        if self._hold:
            self.released.wait(self._timeout)


class Rendezvous:
    """Stands in for a sleep: returns once ``parties`` sleepers are in it at the same time.

    Had the fake slept while holding its lock, the first sleeper would keep the others out
    and the barrier would break after its timeout.
    """

    def __init__(self, parties: int) -> None:
        self.waits: list[float] = []
        self._barrier = threading.Barrier(parties, timeout=5)

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self._barrier.wait()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> SleepGate:
    """``time.sleep`` returns at once and records how long it was asked to wait."""
    gate = SleepGate(hold=False)
    monkeypatch.setattr(time, "sleep", gate)
    return gate


@pytest.fixture
def held_sleep(monkeypatch: pytest.MonkeyPatch) -> Iterator[SleepGate]:
    """``time.sleep`` blocks its thread until the test sets ``released``."""
    gate = SleepGate(hold=True)
    monkeypatch.setattr(time, "sleep", gate)
    yield gate
    gate.released.set()
