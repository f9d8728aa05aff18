"""Tables for people, drawn with rich: analytics, key usage and request logs.

Every cell is a rich ``Text`` of :func:`~meetbot_sdk.cli._literal.visible` text, on a
console with markup and emoji codes off, so a server string is shown as it is: ``[red]`` is
those five characters, ESC is ``\\x1b``. No character is ever dropped: a value longer than
its column wraps inside its cell (``overflow="fold"``). Times are ``YYYY-MM-DD HH:MM:SS`` in
UTC, in the first column; counts have thousands separators, ids never.
"""

from __future__ import annotations

import datetime
import sys
from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from meetbot_sdk import Analytics, ApiKeyUsage, ApiLog
from meetbot_sdk._decoding._converter import as_utc
from meetbot_sdk.cli._interrupts import shielded
from meetbot_sdk.cli._literal import visible
from meetbot_sdk.cli._output import PipeClosedError, reader_gone, silence_stdout

__all__ = [
    "LogTable",
    "TableConsole",
    "analytics_tables",
    "log_column_widths",
    "print_tables",
    "usage_tables",
]

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class TableConsole(Console):
    """The console of the tables: stdout, nothing parsed as markup, a closed pipe ends quietly.

    Args:
        color: ``False`` for ``--no-color``; rich also honours ``NO_COLOR`` by itself.
    """

    def __init__(self, *, color: bool = True) -> None:
        super().__init__(
            file=sys.stdout,
            markup=False,
            emoji=False,
            highlight=False,
            soft_wrap=False,
            no_color=None if color else True,
        )

    def on_broken_pipe(self) -> None:
        """The reader went away (``| head``): the command ends with status 141, quietly.

        (rich's own exits with status 1.)
        """
        self.quiet = True
        silence_stdout()
        raise PipeClosedError


def _text(value: str, style: str = "") -> Text:
    return Text(visible(value), style=style)


def _when(moment: datetime.datetime) -> Text:
    return Text(f"{as_utc(moment):{TIME_FORMAT}}")


def _status(code: int) -> Text:
    style = "red" if code >= 500 else "yellow" if code >= 400 else ""
    return Text(str(code), style=style)


def print_tables(tables: Iterable[Table], *, color: bool = True) -> None:
    """Print tables to stdout, one after another."""
    console = TableConsole(color=color)
    with reader_gone(), shielded():
        for table in tables:
            console.print(table)


def _breakdown(counts: dict[str, int]) -> str:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{name} {count:,}" for name, count in ordered) or "none"


def _two_columns(title: str, second: str = "value", justify: str = "left") -> Table:
    table = Table(title=Text(title), show_header=False, title_justify="left")
    table.add_column("what", style="bold", overflow="fold")
    table.add_column(second, justify=justify, overflow="fold")  # type: ignore[arg-type]
    return table


def analytics_tables(analytics: Analytics, period: str) -> list[Table]:
    """The summary, each figure labelled with what it covers, and one row per day.

    Only the daily series and the bots created cover the period: ``total`` is every call
    the account ever made, so the summary says "all time" where the API means it.
    """
    calls, bots = analytics.api_calls, analytics.bots
    rec, tr, hooks = analytics.recordings, analytics.transcriptions, analytics.webhooks
    summary = _two_columns(f"Usage: the last {period}, and all time")
    summary.add_row(
        "API calls",
        f"today {calls.today:,} · this month {calls.this_month:,} · all time {calls.total:,}",
    )
    summary.add_row(
        "Bots", f"{bots.created:,} created in the last {period} · {bots.active:,} active now"
    )
    summary.add_row("  by platform", _text(f"{_breakdown(bots.platform_breakdown)} (all time)"))
    summary.add_row("  by status", _text(f"{_breakdown(bots.status_breakdown)} (all time)"))
    summary.add_row(
        "Recordings",
        f"{rec.total:,} · {rec.total_duration_seconds / 3600:,.1f} h · "
        f"{rec.storage_used_mb:,.1f} MB stored (all time)",
    )
    summary.add_row("Transcripts", f"{tr.total:,} · {tr.total_minutes:,.1f} min (all time)")
    summary.add_row(
        "Webhooks",
        f"{hooks.total_deliveries:,} deliveries · {hooks.success_rate:.1f}% ok · "
        f"{hooks.avg_response_time_ms:.0f} ms average (all time)",
    )
    daily = Table(title="Per day (UTC)", title_justify="left")
    daily.add_column("date", overflow="fold")
    daily.add_column("API calls", justify="right", overflow="fold")
    daily.add_column("bots created", justify="right", overflow="fold")
    created = {day.date: day.count for day in bots.daily_created}
    for day in calls.daily_breakdown:
        daily.add_row(day.date.isoformat(), f"{day.count:,}", f"{created.get(day.date, 0):,}")
    return [summary, daily]


def usage_tables(key_id: int, usage: ApiKeyUsage) -> list[Table]:
    """The key's counts, and its recent requests."""
    counts = _two_columns(f"API key {key_id}", "requests", "right")
    counts.add_row("today", f"{usage.requests_today:,}")
    counts.add_row("this month", f"{usage.requests_this_month:,}")
    counts.add_row("in all", f"{usage.requests_total:,}")
    recent = Table(title="Recent requests", title_justify="left")
    for name, justify in (("when (UTC)", "left"), ("method", "left"), ("status", "right")):
        recent.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    recent.add_column("path", overflow="fold")
    for request in usage.recent_requests:
        recent.add_row(
            _when(request.created_at),
            _text(request.method),
            _status(request.status_code),
            _text(request.path),
        )
    return [counts, recent]


# name, width (None: a share of what is left), justify
_LOG_COLUMNS: Sequence[tuple[str, int | None, str]] = (
    ("when (UTC)", len("2026-01-15 10:16:06"), "left"),
    ("method", len("OPTIONS"), "left"),
    ("status", len("status"), "right"),
    ("ms", 5, "right"),
    ("key", None, "left"),
    ("path", None, "left"),
)
_GAP = 2  # between two columns: the right padding of one, the left of the next
_KEY_SHARE, _KEY_WIDTHS = 0.45, (8, 18)  # of what the fixed columns leave, within these


def log_column_widths(console_width: int) -> list[int]:
    """The widths of the log table's columns on a console this wide (the whole width).

    The time, method, status and ms columns have their fixed widths; the key gets 45 % of
    the rest (8 to 18 characters) and the path the remainder, at least 8.
    """
    fixed = [width for _, width, _ in _LOG_COLUMNS if width is not None]
    rest = console_width - sum(fixed) - _GAP * (len(_LOG_COLUMNS) - 1)
    low, high = _KEY_WIDTHS
    key = min(high, max(low, int(rest * _KEY_SHARE)))
    return [*fixed, key, max(8, rest - key)]


class LogTable:
    """Request logs as one long table, printed a page at a time with the same column widths
    (rich tables are drawn whole, and a walk can be long); the header comes once."""

    def __init__(self, *, color: bool = True) -> None:
        self._console = TableConsole(color=color)
        self._widths = log_column_widths(self._console.width)
        self._header_shown = False

    def print_logs(self, logs: Sequence[ApiLog]) -> None:
        """Print a batch of logs as rows of the table."""
        table = Table(box=None, show_header=not self._header_shown, pad_edge=False)
        for (name, _, justify), width in zip(_LOG_COLUMNS, self._widths, strict=True):
            table.add_column(
                name,
                width=width,
                justify=justify,  # type: ignore[arg-type]
                no_wrap=False,
                overflow="fold",
            )
        for log in logs:
            table.add_row(
                _when(log.created_at),
                _text(log.method),
                _status(log.status_code),
                str(log.response_time_ms),
                _text(log.api_key_name) if log.api_key_name is not None else "(access token)",
                _text(log.path),
            )
        self._header_shown = True
        with reader_gone(), shielded():
            self._console.print(table)
