"""Shared fixtures: a ``twin`` that runs one test body against both clients, and a ``walker``
that does the same for walks over the fake."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from meetbot_sdk._transport import _http
from meetbot_sdk.testing import FakeMeetBot
from tests.support import Twin
from tests.support.walking import Walker

# dlt's telemetry sends nothing from a test run: set before any test, or any subprocess a test
# starts, imports dlt.
os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"


@pytest.fixture(params=["sync", "async"])
def twin(request: pytest.FixtureRequest) -> Twin:
    return Twin(request.param)


@pytest.fixture(autouse=True)
def _no_env_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's real key or base URL from the environment."""
    monkeypatch.delenv("MEETBOT_API_KEY", raising=False)
    monkeypatch.delenv("MEETBOT_BASE_URL", raising=False)


@pytest.fixture(autouse=True)
def _httpx_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests that mock with pytest-httpx (``httpx_mock``, which patches httpx's transports
    only) or carry ``@pytest.mark.httpx_backend`` run on httpx, the SDK's default, even in
    the run that chooses httpx2 for every other test (``MEETBOT_HTTP_LIBRARY=httpx2``)."""
    if "httpx_mock" in request.fixturenames or request.node.get_closest_marker("httpx_backend"):
        monkeypatch.delenv(_http.HTTP_LIBRARY_ENV, raising=False)


@pytest.fixture(params=["sync", "async"])
def walker(request: pytest.FixtureRequest) -> Iterator[Callable[..., Walker]]:
    """``walker(fake, **client_kwargs)`` makes a :class:`Walker` of each kind, closed after."""
    made: list[Walker] = []

    def make(fake: FakeMeetBot, **kwargs: Any) -> Walker:
        made.append(Walker(request.param, fake, **kwargs))
        return made[-1]

    yield make
    for each in made:
        each.close()
