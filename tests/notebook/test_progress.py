"""``to_pandas(progress=True)``: a bar on a terminal, a widget or text in Jupyter, silence in
a job whose stderr is a file; the total is known once the first page answered."""

from __future__ import annotations

import io
import sys
import types
from typing import Any

import pytest

from meetbot_sdk._notebook import _progress
from meetbot_sdk.testing import FakeMeetBot
from tests.support import needs_extra
from tests.support.frames import call


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class RecordingBar:
    """Stands in for a tqdm bar; remembers the total at each update."""

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.n = options.get("initial", 0)
        self.total: int | None = options.get("total")
        self.totals_seen: list[int | None] = []
        self.closed = False

    def update(self, count: int) -> None:
        self.n += count
        self.totals_seen.append(self.total)

    def refresh(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def in_a_notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    shell = types.SimpleNamespace(config={"IPKernelApp": {}})
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", ipython)


@pytest.mark.parametrize("library", ["pandas", "polars"])
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_terminal_shows_a_bar_that_ends_at_the_count(
    kind: str, library: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    needs_extra("tqdm")
    needs_extra(library)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    fake = FakeMeetBot(log_count=250)
    frame = call(
        fake,
        kind,
        "in-process",
        lambda c: getattr(c.api_logs.list(page_size=100), f"to_{library}")(progress=True),
    )
    assert len(frame) == 250
    assert "250/250" in terminal.getvalue()


def test_the_total_is_known_after_the_first_page_and_follows_arrivals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    needs_extra("pandas")
    tqdm = needs_extra("tqdm")
    bars: list[RecordingBar] = []

    def make(**options: Any) -> RecordingBar:
        bars.append(RecordingBar(**options))
        return bars[-1]

    monkeypatch.setattr(tqdm.std, "tqdm", make)
    fake = FakeMeetBot(log_count=250)
    fake.add_logs_after_each_page(10)
    frame = call(
        fake,
        "sync",
        "in-process",
        lambda c: c.api_logs.list(page_size=100).to_pandas(progress=True),
    )
    (bar,) = bars
    assert bar.options["total"] == 250  # made once the first page told the total
    assert bar.options["disable"] is None  # tqdm draws only on a terminal
    assert bar.totals_seen[0] == 250
    assert bar.totals_seen[-1] >= 260  # the later pages told of the arrivals
    assert bar.n == bar.total == len(frame)
    assert bar.closed


@pytest.mark.parametrize(("already", "expected"), [(0, 500), (120, 380)])
def test_the_total_counts_no_more_than_max_items_left(
    already: int, expected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    needs_extra("pandas")
    tqdm = needs_extra("tqdm")
    bars: list[RecordingBar] = []

    def make(**options: Any) -> RecordingBar:
        bars.append(RecordingBar(**options))
        return bars[-1]

    monkeypatch.setattr(tqdm.std, "tqdm", make)

    def walk(client: Any) -> Any:
        pager = client.api_logs.list(page_size=100, max_items=500)
        for _ in zip(range(already), pager, strict=False):
            pass
        return pager.to_pandas(progress=True)

    frame = call(FakeMeetBot(log_count=2_000), "sync", "in-process", walk)
    (bar,) = bars
    assert len(frame) == expected
    assert bar.totals_seen[0] == expected  # not the 2,000 the server counts
    assert bar.n == bar.total == expected


def test_without_a_terminal_or_a_notebook_nothing_is_drawn(
    capsys: pytest.CaptureFixture[str],
) -> None:
    needs_extra("pandas")
    needs_extra("tqdm")
    fake = FakeMeetBot(log_count=150)
    call(fake, "sync", "in-process", lambda c: c.api_logs.list().to_pandas(progress=True))
    assert capsys.readouterr().err == ""


def test_a_notebook_without_widgets_gets_a_text_bar_in_the_cell(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    needs_extra("pandas")
    needs_extra("tqdm")
    in_a_notebook(monkeypatch)
    monkeypatch.setattr(_progress.importlib.util, "find_spec", lambda name: None)
    fake = FakeMeetBot(log_count=150)
    call(fake, "sync", "in-process", lambda c: c.api_logs.list().to_pandas(progress=True))
    assert "150/150" in capsys.readouterr().err


class WidgetBar(RecordingBar):
    """Stands in for tqdm.notebook's bar: its widget's ``max`` follows only ``reset``."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.widget_max = options["total"]
        self.container = object()  # the widget tqdm.notebook builds

    def reset(self, total: int | None = None) -> None:
        self.n, self.total, self.widget_max = 0, total, total

    def __str__(self) -> str:
        return f"api logs: {self.n}/{self.total}"


class Display:
    """Stands in for IPython's display handle: what the cell shows, update after update."""

    def __init__(self, shown: object) -> None:
        self.shown = [shown]

    def update(self, obj: object, *, raw: bool = False) -> None:
        assert raw
        self.shown.append(obj)


def test_a_notebook_with_widgets_gets_tqdm_s_widget_whose_bar_follows_the_total(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    needs_extra("pandas")
    needs_extra("tqdm")
    in_a_notebook(monkeypatch)
    bars: list[WidgetBar] = []

    def make(**options: Any) -> WidgetBar:
        bars.append(WidgetBar(**options))
        return bars[-1]

    widget = types.ModuleType("tqdm.notebook")
    widget.tqdm = make  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tqdm.notebook", widget)
    monkeypatch.setattr(_progress.importlib.util, "find_spec", lambda name: object())
    displays: list[Display] = []
    monkeypatch.setattr(
        _progress, "_display", lambda shown: displays.append(Display(shown)) or displays[-1]
    )
    fake = FakeMeetBot(log_count=150)
    fake.add_logs_after_each_page(3)
    frame = call(fake, "sync", "in-process", lambda c: c.api_logs.list().to_pandas(progress=True))
    (bar,) = bars
    assert bar.options["total"] == 150
    assert bar.options["display"] is False  # shown by the SDK, under a display id
    assert 153 in bar.totals_seen  # page 2 told of 3 logs arrived (not walked)
    assert bar.n == bar.total == len(frame) == 150
    assert bar.widget_max == 150  # the widget's bar followed, not only its text
    assert bar.closed
    # The widget while walking; its final line as text once done, for any viewer.
    (display,) = displays
    assert display.shown == [bar.container, {"text/plain": "api logs: 150/150"}]


def test_a_walk_that_finds_nothing_shows_no_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    needs_extra("pandas")
    needs_extra("tqdm")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    fake = FakeMeetBot(log_count=0)
    frame = call(fake, "sync", "in-process", lambda c: c.api_logs.list().to_pandas(progress=True))
    assert len(frame) == 0
    assert terminal.getvalue() == ""


def test_a_plain_ipython_terminal_is_no_notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not _progress.in_notebook()
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: types.SimpleNamespace(config={"TerminalIPythonApp": {}})  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    assert not _progress.in_notebook()
    in_a_notebook(monkeypatch)
    assert _progress.in_notebook()


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_progress_must_be_a_bool_and_is_checked_before_any_request(kind: str) -> None:
    needs_extra("pandas")
    fake = FakeMeetBot(log_count=10)
    with pytest.raises(TypeError, match=r"progress must be True or False, got 'yes'"):
        call(fake, kind, "in-process", lambda c: c.api_logs.list().to_pandas(progress="yes"))
    assert fake.requests == []
