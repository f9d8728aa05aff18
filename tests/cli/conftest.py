"""The ``account`` fixture: a loopback fake the ``meetbot`` command is pointed at."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cli.support import Account, serve
from tests.support import FIXED_NOW, needs_extra


@pytest.fixture
def account(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Account]:
    needs_extra("click")
    needs_extra("rich")
    yield from serve(monkeypatch, capsys, log_count=400, seed=5, now=FIXED_NOW)
