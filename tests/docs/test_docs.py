"""Every code block of the README and the docs runs, as a reader would run it.

Each page runs top to bottom in one namespace (see :mod:`tests.support.docblocks`), against a fake
MeetBot served on loopback that the ``MEETBOT_*`` variables point at, as a reader's would
point at their account. The test functions a block defines (``def test_...():``) are called.
Blocks marked as needing a real account are compiled and type-checked instead.
"""

from __future__ import annotations

import ast
import asyncio
import doctest
import importlib.metadata
import inspect
import os
import pathlib
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

from meetbot_sdk import AsyncMeetBot, MeetBot
from meetbot_sdk.testing import FakeMeetBot, instant_waits
from tests.support import needs_extra
from tests.support.docblocks import ROOT, Block, all_blocks, page_blocks, pages

# The docs show what a reader gets: the default library, httpx, even in the run that asks for
# httpx2 for everything else.
pytestmark = pytest.mark.httpx_backend

NOTEBOOKS = ROOT / "docs" / "notebooks.rst"  # run as one notebook, with its own checks below
PAGES = [path for path in pages() if page_blocks(path) and path != NOTEBOOKS]


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[MeetBot | AsyncMeetBot]]:
    """Every client a page makes; closed at the end, as the reader's session would be."""
    made: list[MeetBot | AsyncMeetBot] = []
    for cls in (MeetBot, AsyncMeetBot):
        init = cls.__init__

        def record(self: Any, *args: Any, __init: Any = init, **kwargs: Any) -> None:
            __init(self, *args, **kwargs)
            made.append(self)

        monkeypatch.setattr(cls, "__init__", record)
    yield made
    for client in made:
        if isinstance(client, MeetBot):
            client.close()
        else:
            asyncio.run(client.close())


@pytest.fixture
def reader(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path, opened: list[Any]
) -> Iterator[FakeMeetBot]:
    """The environment of a reader whose MEETBOT_* variables point at a loopback fake."""

    fake = FakeMeetBot(log_count=300)
    # Retry backoff is real in the docs' examples; here it need not be waited out.
    with fake.serve() as base_url, instant_waits():
        monkeypatch.setenv("MEETBOT_API_KEY", fake.api_key)
        monkeypatch.setenv("MEETBOT_BASE_URL", base_url)
        monkeypatch.chdir(tmp_path)
        # dlt's pipelines (the Warehouse page) keep their files here, not in ~/.dlt; and its
        # telemetry is off (tests/conftest.py), as the page tells readers how to do.
        monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt"))
        monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
        yield fake


# What a block needs installed to run: the optional extras (and starlette, fastapi: dev tools) it
# imports, or whose methods it calls.
_NEEDS = {
    "pandas": (r"^\s*(?:import|from) pandas\b", r"\.to_pandas\("),
    "polars": (r"^\s*(?:import|from) polars\b", r"\.to_polars\("),
    "matplotlib": (r"^\s*(?:import|from) matplotlib\b", r"\.plot\("),
    "redis": (r"^\s*(?:import|from) redis\b",),
    "dlt": (r"^\s*(?:import|from) dlt\b", r"meetbot_sdk\.dlt\b"),
    "duckdb": (r"^\s*(?:import|from) duckdb\b",),
    "pyarrow": (r"\.to_arrow\(",),
    "starlette": (r"^\s*(?:import|from) starlette\b",),
    "fastapi": (r"^\s*(?:import|from) fastapi\b",),
}


def _run_script(block: Block, namespace: dict[str, Any]) -> None:
    for module, patterns in _NEEDS.items():
        if any(re.search(pattern, block.source, re.MULTILINE) for pattern in patterns):
            needs_extra(module)
    before = set(namespace)
    code = compile(block.source, block.name, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    result = eval(code, namespace)  # noqa: S307 (our own docs)
    if inspect.iscoroutine(result):
        asyncio.run(result)
    under_pytest = False
    for name in sorted(set(namespace) - before):
        test = namespace[name]
        if not (name.startswith("test_") and callable(test)):
            continue
        parameters = set(inspect.signature(test).parameters)
        if parameters:
            # Fixtures of a plugin the reader has: run under pytest. Others are the page's
            # own fixtures, defined for code of the reader's that the page only sketches.
            under_pytest |= parameters <= _PLUGIN_FIXTURES
            continue
        outcome = test()
        if inspect.iscoroutine(outcome):
            asyncio.run(outcome)
    if under_pytest:
        _run_under_pytest(block)


_PLUGIN_FIXTURES = {"httpx_mock"}


def _run_under_pytest(block: Block) -> None:
    """Run a block's tests that take fixtures with pytest, as the reader would: in a fresh
    process, in a directory of their own, with no MEETBOT_* variable set."""
    with tempfile.TemporaryDirectory() as folder:
        (pathlib.Path(folder) / "test_block.py").write_text(block.source)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEETBOT_")}
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_block.py"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    assert run.returncode == 0, run.stdout + run.stderr


def _run_doctest(block: Block, namespace: dict[str, Any]) -> None:
    test = doctest.DocTestParser().get_doctest(block.source, namespace, block.name, None, 0)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    runner = doctest.DocTestRunner(optionflags=flags)
    failures: list[str] = []
    runner.run(test, out=failures.append, clear_globs=False)
    namespace.update(test.globs)  # the doctest ran on a copy; later blocks see its names
    assert not failures, "".join(failures)


@pytest.mark.loopback
@pytest.mark.parametrize("path", PAGES, ids=[str(path.relative_to(ROOT)) for path in PAGES])
def test_every_block_of_the_page_runs(path: pathlib.Path, reader: FakeMeetBot) -> None:
    namespace: dict[str, Any] = {"__name__": "__main__"}
    for block in page_blocks(path):
        if block.account_only:
            compile(block.source, block.name, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        elif block.doctest:
            _run_doctest(block, namespace)
        else:
            try:
                _run_script(block, namespace)
            except Exception as exc:
                exc.add_note(f"in the block at {block.name}:\n{block.source}")
                raise


def test_the_docs_show_code_on_every_page_that_teaches_it() -> None:
    names = {str(path.relative_to(ROOT)) for path in PAGES}
    assert {"README.md", "docs/quickstart.rst", "docs/pagination.rst"} <= names
    assert len(all_blocks()) >= 40


def test_the_first_example_of_the_index_and_the_readme_runs_with_no_account() -> None:
    # What a newcomer pastes first needs no key: no MEETBOT_* variable is set here.
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEETBOT_")}
    for page in (ROOT / "docs" / "index.rst", ROOT / "README.md"):
        first = next(block for block in page_blocks(page) if not block.doctest)
        ran = subprocess.run(  # noqa: S603 (this interpreter, our own docs)
            [sys.executable, "-c", first.source],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert ran.returncode == 0, f"{first.name}: {ran.stderr}"
        assert "google" in ran.stdout  # the platform breakdown it prints


def test_what_a_wheel_user_reads_points_only_to_what_they_have() -> None:
    # The README is the package's long description on PyPI: until the section for working on
    # the repository, no file of the repository (examples/, make targets, relative links).
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for_users = readme.split("## Working on the repository")[0]
    links = re.findall(r"\]\(([^)]+)\)", for_users)
    assert links
    assert [link for link in links if not link.startswith("https://")] == []
    text = re.sub(r"\]\([^)]+\)", "]", for_users)  # web links may name the repository's files
    assert "examples/" not in text
    assert "make " not in text
    # Nor the package: its help texts and messages name no file outside it.
    package = ROOT / "meetbot_sdk"
    naming = [
        str(path.relative_to(ROOT))
        for path in package.rglob("*.py")
        if "examples/" in path.read_text(encoding="utf-8")
    ]
    assert naming == []
    urls = dict(
        entry.split(", ", 1)
        for entry in importlib.metadata.metadata("meetbot-sdk").get_all("Project-URL") or []
    )
    assert sorted(urls) == ["Changelog", "Documentation", "Issues", "Source"]
    assert all(url.startswith("https://github.com/meetbot/") for url in urls.values())


# --- the notebooks page: its blocks run in order, as the cells of one notebook ---


def test_the_notebooks_page_runs_as_one_notebook(reader: FakeMeetBot) -> None:
    needs_extra("pandas")
    matplotlib = needs_extra("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot

    cells = page_blocks(NOTEBOOKS)
    assert len(cells) >= 8
    namespace: dict[str, Any] = {"__name__": "notebook"}
    try:
        for cell in cells:
            _run_doctest(cell, namespace) if cell.doctest else _run_script(cell, namespace)
    finally:
        matplotlib.pyplot.close("all")
        if "fake" in namespace:
            namespace["fake"].stop()
    logs, fake = namespace["logs"], namespace["fake"]
    last_week = namespace["last_week"].isoformat()  # a week before today: the fake's clock
    week = [log for log in fake.logs if log["createdAt"] >= last_week]
    assert len(logs) == len(week) > 0
    assert namespace["by_day"].to_numpy().sum() == len(logs)
    slowest = namespace["slowest"]
    assert slowest["requests"].sum() == len(logs)  # every endpoint: fewer than ten of them
    assert any("{id}" in path for path in slowest.index)
    assert list(namespace["slowest"]["p95"]) == sorted(namespace["slowest"]["p95"], reverse=True)
    assert namespace["errors"].between(0, 1).all()
    assert namespace["ax"].get_title() == "Requests per day"  # the last chart drawn


ACCOUNT_ONLY = [block for block in all_blocks() if block.account_only]


def test_blocks_that_need_a_real_account_type_check(tmp_path: pathlib.Path) -> None:
    api = needs_extra("mypy.api")
    assert ACCOUNT_ONLY, "no block is marked; drop this test or the marker"
    files = []
    for number, block in enumerate(ACCOUNT_ONLY):
        files.append(tmp_path / f"block{number}.py")
        files[-1].write_text(block.source, encoding="utf-8")
    # The reader's own code may leave out annotations, but every call into the SDK is
    # checked; their other imports (fastapi, say) need not be installed here.
    config = tmp_path / "mypy.ini"  # not the project's strict settings: the reader's code
    # Only the SDK is read: the other libraries a block imports (dlt, fastapi with pydantic)
    # would take mypy 15 s to analyse, for calls this test is not about.
    config.write_text(
        "[mypy]\ncheck_untyped_defs = True\nignore_missing_imports = True\n"
        "follow_imports = skip\n[mypy-meetbot_sdk.*]\nfollow_imports = normal\n"
    )
    args = ["--config-file", str(config), "--no-incremental", *map(str, files)]
    out, err, status = api.run(args)
    assert status == 0, out + err


LONGEST_LINE = 79  # what a code box shows whole at desktop width, nested in a list item


@pytest.mark.parametrize("path", [*PAGES, NOTEBOOKS], ids=lambda path: path.name)
def test_code_blocks_fit_their_box(path: pathlib.Path) -> None:
    too_long = [
        f"{block.name}: {line}"
        for block in page_blocks(path)
        for line in block.source.splitlines()
        if len(line) > LONGEST_LINE
    ]
    assert too_long == []
