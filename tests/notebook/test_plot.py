"""``Analytics.plot()``: daily API calls and bots created on a matplotlib Axes (Agg backend)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from meetbot_sdk.testing import FakeMeetBot
from tests.support import needs_extra
from tests.support.frames import analytics_of, call


@pytest.fixture
def pyplot() -> Iterator[Any]:
    matplotlib = needs_extra("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot

    yield matplotlib.pyplot
    matplotlib.pyplot.close("all")


def drawn(ax: Any) -> tuple[list[Any], list[int], list[int]]:
    """The dates and counts of the line, and the bar heights of the twin Axes."""
    import matplotlib.dates

    (line,) = ax.get_lines()
    (twin,) = [other for other in ax.get_shared_x_axes().get_siblings(ax) if other is not ax]
    xs = matplotlib.dates.date2num(line.get_xdata())
    dates = [matplotlib.dates.num2date(x).date() for x in xs]
    heights = [int(bar.get_height()) for bar in twin.patches]
    return dates, [int(y) for y in line.get_ydata()], heights


@pytest.mark.parametrize("link", ["in-process", "loopback"])
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_plot_draws_both_daily_series_and_returns_the_axes(
    pyplot: Any, kind: str, link: str
) -> None:
    fake = FakeMeetBot(log_count=500)
    analytics = call(fake, kind, link, lambda c: c.analytics.get(period="30d"))
    ax = analytics.plot()
    assert isinstance(ax, pyplot.Axes)
    dates, calls, bots = drawn(ax)
    created = {day.date: day.count for day in analytics.bots.daily_created}
    assert dates == [day.date for day in analytics.api_calls.daily_breakdown]
    assert calls == [day.count for day in analytics.api_calls.daily_breakdown]
    assert bots == [created.get(date, 0) for date in dates]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == [
        "API calls",
        "bots created",
    ]
    assert ax.get_title() == "Daily usage, 30 days"


def test_plot_draws_on_the_axes_given(pyplot: Any) -> None:
    _, (left, right) = pyplot.subplots(1, 2)
    analytics = analytics_of({"2026-01-01": 5, "2026-01-03": 7}, {"2026-01-02": 1})
    assert analytics.plot(ax=right) is right
    assert left.get_lines() == []
    dates, calls, bots = drawn(right)
    assert [str(date) for date in dates] == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert calls == [5, 0, 7]  # the missing day counts 0
    assert bots == [0, 1, 0]
