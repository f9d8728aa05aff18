"""Fixtures for the fake server's own tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from meetbot_sdk.testing import FakeMeetBot
from tests.testing.raw_http import raw_client


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake() -> FakeMeetBot:
    return FakeMeetBot(seed=3, log_count=600)


@pytest.fixture
def client(fake: FakeMeetBot) -> Iterator[httpx.Client]:
    with raw_client(fake) as client:
        yield client
