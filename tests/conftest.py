"""Shared fixtures: a ``twin`` that runs one test body against both clients."""

from __future__ import annotations

import pytest

from tests.support import Twin


@pytest.fixture(params=["sync", "async"])
def twin(request: pytest.FixtureRequest) -> Twin:
    return Twin(request.param)


@pytest.fixture(autouse=True)
def _no_env_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's real key or base URL from the environment."""
    monkeypatch.delenv("MEETBOT_API_KEY", raising=False)
    monkeypatch.delenv("MEETBOT_BASE_URL", raising=False)
