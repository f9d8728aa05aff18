"""`make test-bare` installs exactly the minimum versions pyproject.toml declares."""

from __future__ import annotations

import re
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.support import BARE_RUN

ROOT = Path(__file__).resolve().parent.parent

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - 3.10
    tomllib = pytest.importorskip("tomli", reason="reading pyproject.toml needs tomli on 3.10")


def _floors() -> dict[str, str]:
    line = re.search(r"^FLOORS := (.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert line is not None
    return dict(pin.split("==") for pin in line.group(1).split())


@pytest.mark.skipif(not BARE_RUN, reason="only the bare run installs the floors")
def test_the_bare_run_runs_on_the_floors() -> None:
    assert {name: version(name) for name in _floors()} == _floors()


def test_the_floors_run_installs_the_declared_minimum_of_every_runtime_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {}
    for requirement in project["dependencies"]:
        name, floor = re.match(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", requirement).groups()  # type: ignore[union-attr]
        declared[name] = floor
    pinned = _floors()
    assert set(pinned) == set(declared)
    for name, pin in pinned.items():
        assert _release(pin) == _release(declared[name]), name


def _release(version: str) -> tuple[int, ...]:
    parts = [int(part) for part in version.split(".")]
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)
