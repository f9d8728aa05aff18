"""``_repr_html_`` for the models, pages and pagers: what Jupyter shows for the last line of a cell.

Plain HTML tables with no script, no style sheet and no extra: the notebook's own table style
applies. Every value passes :func:`html.escape`, so a log path or user agent such as
``<script>...`` shows as text.
"""

from __future__ import annotations

import datetime
import html
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

import attrs

from meetbot_sdk._models import ApiLog
from meetbot_sdk._notebook._repr import iso

if TYPE_CHECKING:
    from meetbot_sdk._models import Analytics, ApiKeyUsage, ApiLogPage, DailyCount

__all__ = ["analytics_html", "log_html", "page_html", "pager_html", "usage_html"]

_MISSING = "\N{EM DASH}"
_ROW = "display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start"


def text(value: object) -> str:
    """One value as escaped cell text: thousands separators, ISO dates, a dash for None."""
    if value is None:
        shown = _MISSING
    elif isinstance(value, int):
        shown = f"{value:,}"
    elif isinstance(value, float):
        shown = f"{value:,.2f}".rstrip("0").rstrip(".")
    elif isinstance(value, datetime.datetime):
        shown = iso(value)
    elif isinstance(value, datetime.date):
        shown = value.isoformat()
    else:
        shown = str(value)
    return html.escape(shown)


def table(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, caption: str | None = None
) -> str:
    """A ``<table>``: the header, one ``<tr>`` per row, every cell escaped."""
    parts = ["<table>"]
    if caption is not None:
        parts.append(f"<caption>{html.escape(caption)}</caption>")
    parts.append("<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header))
    parts.append("</tr></thead><tbody>")
    parts.extend("<tr>" + "".join(f"<td>{text(v)}</td>" for v in row) + "</tr>" for row in rows)
    parts.append("</tbody></table>")
    return "".join(parts)


def _titled(title: str, *blocks: str) -> str:
    body = "".join(blocks)
    return f"<div><strong>{html.escape(title)}</strong>{body}</div>"


def analytics_html(analytics: Analytics) -> str:
    """Headline numbers, the bot breakdowns and the daily series in brief."""
    calls, bots = analytics.api_calls, analytics.bots
    recordings, transcriptions, hooks = (
        analytics.recordings,
        analytics.transcriptions,
        analytics.webhooks,
    )
    headline = table(
        ("", "value"),
        [
            ("API calls today", calls.today),
            ("API calls this month", calls.this_month),
            ("API calls in all", calls.total),
            ("Bots created", bots.created),
            ("Bots active", bots.active),
            ("Recordings", recordings.total),
            ("Recorded hours", recordings.total_duration_seconds / 3600),
            ("Storage used (MB)", recordings.storage_used_mb),
            ("Transcriptions", transcriptions.total),
            ("Transcribed minutes", transcriptions.total_minutes),
            ("Webhook deliveries", hooks.total_deliveries),
            ("Webhook success rate (%)", hooks.success_rate),
            ("Webhook response time (ms)", hooks.avg_response_time_ms),
        ],
        caption="Headline",
    )
    platforms = table(("platform", "bots"), bots.platform_breakdown.items(), caption="Platforms")
    statuses = table(("status", "bots"), bots.status_breakdown.items(), caption="Statuses")
    daily = table(
        ("series", "days", "first", "last", "sum", "peak"),
        [
            _series("API calls", calls.daily_breakdown),
            _series("Bots created", bots.daily_created),
        ],
        caption="Daily",
    )
    row = f'<div style="{_ROW}">{headline}{platforms}{statuses}{daily}</div>'
    return _titled("Analytics", row)


def _series(name: str, days: Sequence[DailyCount]) -> tuple[object, ...]:
    if not days:
        return (name, 0, None, None, 0, None)
    counts = [day.count for day in days]
    dates = [day.date for day in days]
    return (name, len(days), min(dates), max(dates), sum(counts), max(counts))


def _log_fields() -> tuple[str, ...]:
    return tuple(field.name for field in attrs.fields(ApiLog))


def page_html(page: ApiLogPage) -> str:
    """The page's logs as a table, under a line saying where the page lies in the total."""
    fields = _log_fields()
    first = (page.page - 1) * page.page_size + 1
    if page.logs:
        where = f"logs {first:,}\N{EN DASH}{first + len(page.logs) - 1:,} of {page.total:,}"
    else:
        where = f"no logs (of {page.total:,})"
    line = f"Page {page.page:,} (page_size {page.page_size:,}): {where}"
    rows = ([getattr(log, name) for name in fields] for log in page.logs)
    return _titled("ApiLogPage", f"<div>{html.escape(line)}</div>", table(fields, rows))


def log_html(log: ApiLog) -> str:
    """Every field of one log, one row each."""
    rows = [(name, getattr(log, name)) for name in _log_fields()]
    return _titled("ApiLog", table(("field", "value"), rows))


def usage_html(usage: ApiKeyUsage) -> str:
    """The key's request counts and its recent requests."""
    counts = table(
        ("today", "this month", "in all"),
        [(usage.requests_today, usage.requests_this_month, usage.requests_total)],
        caption="Requests",
    )
    header = ("method", "path", "status_code", "created_at")
    recent = table(
        header,
        ([getattr(request, name) for name in header] for request in usage.recent_requests),
        caption=f"Recent requests ({len(usage.recent_requests):,})",
    )
    return _titled("ApiKeyUsage", f'<div style="{_ROW}">{counts}{recent}</div>')


class WalkPosition(Protocol):
    """What a pager tells about its walk."""

    @property
    def next_page(self) -> int: ...
    @property
    def items_yielded(self) -> int: ...
    @property
    def total(self) -> int | None: ...
    @property
    def done(self) -> bool: ...


def pager_html(pager: WalkPosition) -> str:
    """Where the walk stands."""
    state = "done" if pager.done else ("not started" if pager.total is None else "walking")
    rows = [
        ("state", state),
        ("logs yielded", pager.items_yielded),
        ("total (last page)", pager.total),
        ("next page", pager.next_page),
    ]
    return _titled(type(pager).__name__, table(("", ""), rows))
