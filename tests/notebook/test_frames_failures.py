"""A frame whose walk fails part-way: calling ``to_pandas()`` / ``to_polars()`` again goes on
and returns every log once; nothing is silently left out."""

from __future__ import annotations

from typing import Any

import pytest

from meetbot_sdk import InternalServerError
from meetbot_sdk._notebook import _frames as frames_module
from meetbot_sdk.testing import FakeMeetBot, Fault
from tests.support import needs_extra
from tests.support.frames import expected_rows, rows_of

LOGS = "/users/me/api-logs"


def fail_after_pages(monkeypatch: pytest.MonkeyPatch, fake: FakeMeetBot, pages: int) -> None:
    """Once ``pages`` pages are in the frame, the next page request fails (no retries left)."""
    add_page = frames_module.LogFrameBuilder.add_page
    added: list[int] = []

    def adding(self: Any, page: Any) -> None:
        add_page(self, page)
        added.append(len(page.logs))
        if len(added) == pages:
            fake.inject(Fault.status(500), path=LOGS)

    monkeypatch.setattr(frames_module.LogFrameBuilder, "add_page", adding)


@pytest.mark.parametrize("library", ["pandas", "polars"])
def test_calling_again_after_a_failure_returns_the_whole_frame(
    walker: Any, library: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    needs_extra(library)
    fake = FakeMeetBot(log_count=230)
    fail_after_pages(monkeypatch, fake, 1)
    w = walker(fake, max_retries=0)
    pager = w.list(page_size=50)
    with pytest.raises(InternalServerError):
        w.run(getattr(pager, f"to_{library}")())
    assert pager.items_yielded == 50
    frame = w.run(getattr(pager, f"to_{library}")())
    assert rows_of(frame) == expected_rows(fake.logs)  # all 230, the first 50 included
    assert pager.done


def test_iterating_in_between_drops_the_unfinished_frame(
    walker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    needs_extra("pandas")
    fake = FakeMeetBot(log_count=230)
    fail_after_pages(monkeypatch, fake, 2)
    w = walker(fake, max_retries=0)
    pager = w.list(page_size=50)
    with pytest.raises(InternalServerError):
        w.run(pager.to_pandas())
    taken = w.consume(pager, stop_after=10)  # the walk moves on: the frame so far is stale
    frame = w.run(pager.to_pandas())
    logs = list(fake.logs)
    assert [log.id for log in taken] == [log["id"] for log in logs[100:110]]
    assert rows_of(frame) == expected_rows(logs[110:])


def test_a_frame_of_the_other_library_starts_afresh(
    walker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    needs_extra("pandas")
    needs_extra("polars")
    fake = FakeMeetBot(log_count=120)
    fail_after_pages(monkeypatch, fake, 1)
    w = walker(fake, max_retries=0)
    pager = w.list(page_size=50)
    with pytest.raises(InternalServerError):
        w.run(pager.to_pandas())
    frame = w.run(pager.to_polars())
    assert rows_of(frame) == expected_rows(fake.logs[50:])


def test_the_progress_bar_of_the_second_call_starts_where_the_first_stopped(
    walker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    needs_extra("pandas")
    tqdm = needs_extra("tqdm")
    bars: list[dict[str, Any]] = []

    class Bar:
        def __init__(self, **options: Any) -> None:
            self.n, self.total = options["initial"], options["total"]
            bars.append(options)

        def update(self, count: int) -> None:
            self.n += count

        def close(self) -> None:
            bars[-1]["final"] = (self.n, self.total)

    monkeypatch.setattr(tqdm.std, "tqdm", Bar)
    fake = FakeMeetBot(log_count=230)
    fail_after_pages(monkeypatch, fake, 2)
    w = walker(fake, max_retries=0)
    pager = w.list(page_size=50)
    with pytest.raises(InternalServerError):
        w.run(pager.to_pandas(progress=True))
    frame = w.run(pager.to_pandas(progress=True))
    assert len(frame) == 230
    assert [(bar["initial"], bar["total"], bar["final"]) for bar in bars] == [
        (0, 230, (100, 230)),
        (100, 230, (230, 230)),
    ]
