"""The self-contained test functions the testing guide shows users run, and pass, as printed.

(Examples that use a fixture around the user's own code are left out: that code is theirs.)"""

from __future__ import annotations

import pathlib
import re
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

from meetbot_sdk import AsyncMeetBot, MeetBot
from meetbot_sdk.testing import FakeMeetBot
from tests.support import needs_extra

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


# --- the pagination guide: its scripts run against a loopback fake, its tests as they are ---

PAGINATION = GUIDE.with_name("pagination.rst")
_SCRIPTS = [
    textwrap.dedent(block)
    for block in _BLOCK.findall(PAGINATION.read_text())
    if not re.search(r"^   def test_", block, re.MULTILINE)
]
_PAGINATION_TESTS = [
    (name, textwrap.dedent(block))
    for block in _BLOCK.findall(PAGINATION.read_text())
    for name in re.findall(r"^   def (test_\w+)\(\):", block, re.MULTILINE)
]


def test_the_pagination_guide_shows_scripts_and_a_test() -> None:
    assert len(_SCRIPTS) >= 6
    assert len(_PAGINATION_TESTS) == 1


@pytest.fixture
def fake_account(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> Iterator[FakeMeetBot]:
    """The environment of a user whose MEETBOT_* variables point at a loopback fake."""
    fake = FakeMeetBot(log_count=300)
    with fake.serve() as base_url:
        monkeypatch.setenv("MEETBOT_API_KEY", fake.api_key)
        monkeypatch.setenv("MEETBOT_BASE_URL", base_url)
        monkeypatch.chdir(tmp_path)
        yield fake


@pytest.mark.parametrize("source", _SCRIPTS, ids=[f"script{i}" for i in range(len(_SCRIPTS))])
def test_a_script_from_the_pagination_guide_runs(
    source: str, fake_account: FakeMeetBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    if "to_pandas" in source:
        needs_extra("pandas")  # the notebook example needs the optional extra
    with MeetBot() as client:  # the notebook example's client, made in an earlier cell
        namespace: dict[str, Any] = {"__name__": "guide", "client": client}
        exec(compile(source, PAGINATION.name, "exec"), namespace)  # noqa: S102 (our docs)
        if "frame" in namespace:
            frame = namespace["frame"]
            assert len(frame) == min(10_000, namespace["logs"].items_yielded) > 0
            assert str(frame["created_at"].dtype) == "datetime64[us, UTC]"
    assert any(request.path == "/users/me/api-logs" for request in fake_account.requests)


@pytest.mark.parametrize(
    ("name", "source"), _PAGINATION_TESTS, ids=[name for name, _ in _PAGINATION_TESTS]
)
def test_the_test_in_the_pagination_guide_passes(
    name: str, source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(MeetBot, "_sleep", staticmethod(lambda seconds: None))
    namespace: dict[str, Any] = {"__name__": "guide"}
    exec(compile(source, f"{PAGINATION.name}:{name}", "exec"), namespace)  # noqa: S102 (our docs)
    namespace[name]()


# --- the notebooks page: its blocks run in order, as the cells of one notebook ---

NOTEBOOKS = GUIDE.with_name("notebooks.rst")


def test_the_notebooks_page_runs_as_one_notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    needs_extra("pandas")
    matplotlib = needs_extra("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot

    cells = [textwrap.dedent(block) for block in _BLOCK.findall(NOTEBOOKS.read_text())]
    assert len(cells) >= 8
    namespace: dict[str, Any] = {"__name__": "notebook"}
    try:
        for number, cell in enumerate(cells):
            exec(compile(cell, f"{NOTEBOOKS.name}:cell{number}", "exec"), namespace)  # noqa: S102
    finally:
        matplotlib.pyplot.close("all")
        if "fake" in namespace:
            namespace["fake"].stop()
    logs, fake = namespace["logs"], namespace["fake"]
    week = [log for log in fake.logs if log["createdAt"] >= "2026-01-08"]
    assert len(logs) == len(week) > 0
    assert namespace["by_day"].to_numpy().sum() == len(logs)
    slowest = namespace["slowest"]
    assert slowest["requests"].sum() == len(logs)  # every endpoint: fewer than ten of them
    assert any("{id}" in path for path in slowest.index)
    assert list(namespace["slowest"]["p95"]) == sorted(namespace["slowest"]["p95"], reverse=True)
    assert namespace["errors"].between(0, 1).all()
    assert namespace["ax"].get_title() == "Requests per day"  # the last chart drawn
