"""The self-contained test functions the testing guide shows users run, and pass, as printed.

(Examples that use a fixture around the user's own code are left out: that code is theirs.)"""

from __future__ import annotations

import pathlib
import re
import textwrap
from typing import Any

import pytest

from meetbot_sdk import AsyncMeetBot, MeetBot

GUIDE = pathlib.Path(__file__).resolve().parent.parent / "docs" / "testing.rst"
_BLOCK = re.compile(r"^\.\. code-block:: python\n\n((?:(?:   .*)?\n)+)", re.MULTILINE)


def _guide_tests() -> list[tuple[str, str]]:
    blocks = [textwrap.dedent(block) for block in _BLOCK.findall(GUIDE.read_text())]
    return [
        (name, block)
        for block in blocks
        for name in re.findall(r"^def (test_\w+)\(\):", block, re.MULTILINE)
    ]


GUIDE_TESTS = _guide_tests()


def test_the_guide_shows_tests() -> None:
    assert len(GUIDE_TESTS) >= 3


@pytest.mark.parametrize(("name", "source"), GUIDE_TESTS, ids=[name for name, _ in GUIDE_TESTS])
def test_a_test_from_the_guide_passes(
    name: str, source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_wait(seconds: float) -> None:
        pass

    # The guide's retry example sits through real backoff; here it need not.
    monkeypatch.setattr(MeetBot, "_sleep", staticmethod(lambda seconds: None))
    monkeypatch.setattr(AsyncMeetBot, "_sleep", staticmethod(no_wait))
    namespace: dict[str, Any] = {"__name__": "guide"}
    exec(compile(source, f"{GUIDE.name}:{name}", "exec"), namespace)  # noqa: S102 (our docs)
    namespace[name]()
