"""The rendered documentation: built once per run, read as a user reads it."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import pytest

from tests.support import BARE_RUN

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs"
# A private module path, dotted as in signatures and text (viewcode's source pages, under
# _modules/, are the code itself and are left out).
_PRIVATE_PATH = re.compile(r"meetbot_sdk(?:\.[a-z]+)*\._[a-z][a-z_]*")
_LINK = re.compile(r'href="([a-z_-]+)\.html[#"]')

pytestmark = pytest.mark.skipif(BARE_RUN, reason="bare run: Sphinx is a dev tool, not installed")


@pytest.fixture(scope="module")
def build(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[pathlib.Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("html")
    run = subprocess.run(  # noqa: S603 (this interpreter, a fixed command)
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", DOCS, out],
        check=True,
        capture_output=True,
        text=True,
    )
    return out, run


@pytest.fixture(scope="module")
def html(build: tuple[pathlib.Path, subprocess.CompletedProcess[str]]) -> pathlib.Path:
    return build[0]


def test_the_build_prints_nothing(
    build: tuple[pathlib.Path, subprocess.CompletedProcess[str]],
) -> None:
    # Not a log line of the HTTP library the docs' own client runs on (httpx2 in `make unit`).
    _, run = build
    assert (run.stdout, run.stderr) == ("", "")


def _pages(html: pathlib.Path) -> dict[str, str]:
    return {
        page.stem: page.read_text(encoding="utf-8")
        for page in html.glob("*.html")
        if page.stem not in ("genindex", "search", "py-modindex")
    }


def test_no_rendered_page_names_a_private_module(html: pathlib.Path) -> None:
    pages = {
        str(page.relative_to(html)): page.read_text(encoding="utf-8")
        for page in html.rglob("*.html")
    }
    pages = {name: text for name, text in pages.items() if not name.startswith("_modules")}
    assert "api.html" in pages
    found = {name: sorted(set(_PRIVATE_PATH.findall(text))) for name, text in pages.items()}
    assert {name: paths for name, paths in found.items() if paths} == {}


def test_every_page_is_reachable_from_the_index(html: pathlib.Path) -> None:
    pages = _pages(html)
    seen, todo = {"index"}, ["index"]
    while todo:
        for target in _LINK.findall(pages[todo.pop()]):
            if target in pages and target not in seen:
                seen.add(target)
                todo.append(target)
    assert seen == set(pages)


_ENTRY = re.compile(r'<dt class="sig sig-object py" id="([^"]+)">(.*?)</dt>\s*<dd>(.*?)</dd>', re.S)


def test_every_entry_of_the_api_reference_has_a_description(html: pathlib.Path) -> None:
    # A class, function or field with a signature line and nothing under it tells a reader
    # the type only; a model's field says its unit and whether it is the period's or all time.
    entries = {
        name: body for page, text in _pages(html).items() for name, _, body in _ENTRY.findall(text)
    }
    assert len(entries) > 200
    assert sorted(name for name, body in entries.items() if not body.strip()) == []


def test_the_api_reference_is_a_page_per_group_saying_shared_text_once(
    html: pathlib.Path,
) -> None:
    pages = _pages(html)
    assert sorted(name for name in pages if name.startswith("api-")) == [
        "api-clients",
        "api-exceptions",
        "api-models",
        "api-resources",
        "api-types",
        "api-warehouse",
    ]
    for page in ("api-clients", "api-models", "api-exceptions"):
        assert f'href="{page}.html"' in pages["api"]
    # to_dict, to_json and from_dict are the same on every model: documented once.
    for method in ("to_dict", "to_json", "from_dict"):
        entries = re.findall(rf'id="meetbot_sdk\.(\w+)\.{method}"', "".join(pages.values()))
        assert [owner for owner in entries if owner != "WalkCheckpoint"] == ["Analytics"]
