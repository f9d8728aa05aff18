"""Tables for people, drawn with rich: analytics, key usage and request logs."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.table import Table

from meetbot_sdk import Analytics, ApiKeyUsage, ApiLog
from meetbot_sdk.cli._interrupts import shielded
from meetbot_sdk.cli._output import reader_gone

__all__ = ["LogTable", "analytics_tables", "print_tables", "usage_tables"]


def _console() -> Console:
    return Console(file=sys.stdout, highlight=False, soft_wrap=False)


def print_tables(tables: Iterable[Table]) -> None:
    """Print tables to stdout, one after another."""
    console = _console()
    with reader_gone(), shielded():
        for table in tables:
            console.print(table)


def _breakdown(counts: dict[str, int]) -> str:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{name} {count:,}" for name, count in ordered) or "none"


def analytics_tables(analytics: Analytics, period: str) -> list[Table]:
    """A summary table and one row per day."""
    calls, bots = analytics.api_calls, analytics.bots
    rec, tr, hooks = analytics.recordings, analytics.transcriptions, analytics.webhooks
    summary = Table(title=f"Usage over the last {period}", show_header=False, title_justify="left")
    summary.add_column("what", style="bold")
    summary.add_column("value")
    summary.add_row(
        "API calls",
        f"today {calls.today:,} · this month {calls.this_month:,} · total {calls.total:,}",
    )
    summary.add_row("Bots", f"{bots.created:,} created · {bots.active:,} active now")
    summary.add_row("  by platform", _breakdown(bots.platform_breakdown))
    summary.add_row("  by status", _breakdown(bots.status_breakdown))
    summary.add_row(
        "Recordings",
        f"{rec.total:,} · {rec.total_duration_seconds / 3600:,.1f} h · "
        f"{rec.storage_used_mb:,.1f} MB stored",
    )
    summary.add_row("Transcripts", f"{tr.total:,} · {tr.total_minutes:,.1f} min")
    summary.add_row(
        "Webhooks",
        f"{hooks.total_deliveries:,} deliveries · {hooks.success_rate:.1f}% ok · "
        f"{hooks.avg_response_time_ms:.0f} ms average",
    )
    daily = Table(title="Per day (UTC)", title_justify="left")
    daily.add_column("date")
    daily.add_column("API calls", justify="right")
    daily.add_column("bots created", justify="right")
    created = {day.date: day.count for day in bots.daily_created}
    for day in calls.daily_breakdown:
        daily.add_row(day.date.isoformat(), f"{day.count:,}", f"{created.get(day.date, 0):,}")
    return [summary, daily]


def usage_tables(key_id: int, usage: ApiKeyUsage) -> list[Table]:
    """The key's counts, and its recent requests."""
    counts = Table(title=f"API key {key_id}", show_header=False, title_justify="left")
    counts.add_column("what", style="bold")
    counts.add_column("requests", justify="right")
    counts.add_row("today", f"{usage.requests_today:,}")
    counts.add_row("this month", f"{usage.requests_this_month:,}")
    counts.add_row("in all", f"{usage.requests_total:,}")
    recent = Table(title="Recent requests", title_justify="left")
    for name, justify in (("when (UTC)", "left"), ("method", "left"), ("status", "right")):
        recent.add_column(name, justify=justify)  # type: ignore[arg-type]
    recent.add_column("path", overflow="fold")
    for request in usage.recent_requests:
        recent.add_row(
            f"{request.created_at:%Y-%m-%d %H:%M:%S}",
            request.method,
            str(request.status_code),
            request.path,
        )
    return [counts, recent]


_LOG_COLUMNS: Sequence[tuple[str, int, str]] = (
    ("when (UTC)", 19, "left"),
    ("method", 7, "left"),
    ("status", 6, "right"),
    ("ms", 6, "right"),
    ("key", 18, "left"),
    ("path", 30, "left"),
)


class LogTable:
    """Request logs as one long table, printed a page at a time with fixed column widths
    (rich tables are drawn whole, and a walk can be long); the header comes once."""

    def __init__(self) -> None:
        self._console = _console()
        self._header_shown = False

    def print_logs(self, logs: Sequence[ApiLog]) -> None:
        """Print a batch of logs as rows of the table."""
        table = Table(box=None, show_header=not self._header_shown, pad_edge=False)
        for name, width, justify in _LOG_COLUMNS:
            table.add_column(
                name,
                min_width=width,
                max_width=None if name == "path" else width,
                justify=justify,  # type: ignore[arg-type]
                no_wrap=name != "path",
                overflow="fold" if name == "path" else "ellipsis",
            )
        for log in logs:
            table.add_row(
                f"{log.created_at:%Y-%m-%d %H:%M:%S}",
                log.method,
                str(log.status_code),
                str(log.response_time_ms),
                log.api_key_name or "(access token)",
                log.path,
            )
        self._header_shown = True
        with reader_gone(), shielded():
            self._console.print(table)
