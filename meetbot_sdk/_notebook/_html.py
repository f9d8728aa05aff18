"""``_repr_html_`` for the models, pages and pagers: what Jupyter shows for the last line of a cell.

Plain HTML tables with no script, no style sheet and no extra: the notebook's own table style
applies. Every value passes :func:`html.escape`, so a log path or user agent such as
``<script>...`` shows as text.

Log tables put the time first, and let long text (paths, user agents) wrap inside its cell,
with an inline style, so that no column is cut off at the edge of the notebook. Ids and status
codes print as plain integers (``4925``), counts with separators (``4,925``); every time
prints the same way, in UTC to the millisecond (``2026-01-15T11:10:45.353Z``).
"""

from __future__ import annotations

import datetime
import html
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from meetbot_sdk._models import Analytics, ApiKeyUsage, ApiLog, ApiLogPage, DailyCount

__all__ = ["analytics_html", "log_html", "page_html", "pager_html", "usage_html"]

_MISSING = "\N{EM DASH}"
_ROW = "display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start"

# Log fields as the tables show them: the time first, then the request, the key, the caller.
LOG_COLUMNS = (
    "created_at",
    "id",
    "method",
    "status_code",
    "response_time_ms",
    "path",
    "api_key_id",
    "api_key_name",
    "ip_address",
    "user_agent",
)
RECENT_COLUMNS = ("created_at", "method", "status_code", "path")
# Identifiers and codes, not quantities: no thousands separators.
_PLAIN_INTEGERS = frozenset({"id", "api_key_id", "status_code"})
# Free text that may be long wraps anywhere inside its cell rather than widen the table past
# the notebook's edge; the minimum width keeps a short path on one line.
_WRAP_STYLE = ' style="white-space:normal;overflow-wrap:anywhere;min-width:{}"'
_STYLES = {
    "path": _WRAP_STYLE.format("10em"),
    "user_agent": _WRAP_STYLE.format("8em"),
    "created_at": ' style="white-space:nowrap"',
    "ip_address": ' style="white-space:nowrap"',
}


class Plain(str):
    """Cell text shown as it is (a plain integer id), not formatted as a value."""

    __slots__ = ()


def timestamp(moment: datetime.datetime) -> str:
    """``2026-01-15T11:10:45.353Z``: UTC, always to the millisecond, the one format of times."""
    utc = moment.astimezone(datetime.timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def text(value: object) -> str:
    """One value as escaped cell text: thousands separators, ISO dates, a dash for None."""
    if value is None:
        shown = _MISSING
    elif isinstance(value, Plain):
        shown = str(value)
    elif isinstance(value, int):
        shown = f"{value:,}"
    elif isinstance(value, float):
        shown = f"{value:,.2f}".rstrip("0").rstrip(".")
    elif isinstance(value, datetime.datetime):
        shown = timestamp(value)
    elif isinstance(value, datetime.date):
        shown = value.isoformat()
    else:
        shown = str(value)
    return html.escape(shown)


def table(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    caption: str | None = None,
    styles: Sequence[str] | None = None,
) -> str:
    """A ``<table>``: the header, one ``<tr>`` per row, every cell escaped.

    ``styles`` holds one ``style`` attribute (or ``""``) per column, for its ``<td>`` cells.
    """
    parts = ["<table>"]
    if caption is not None:
        parts.append(f"<caption>{html.escape(caption)}</caption>")
    parts.append("<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header))
    parts.append("</tr></thead><tbody>")
    if styles is None:
        parts.extend("<tr>" + "".join(f"<td>{text(v)}</td>" for v in row) + "</tr>" for row in rows)
    else:
        parts.extend(
            "<tr>"
            + "".join(f"<td{style}>{text(v)}</td>" for style, v in zip(styles, row, strict=True))
            + "</tr>"
            for row in rows
        )
    parts.append("</tbody></table>")
    return "".join(parts)


def _cell(name: str, value: object) -> object:
    if name in _PLAIN_INTEGERS and isinstance(value, int):
        return Plain(value)
    return value


def _records_table(
    columns: Sequence[str], records: Iterable[object], *, caption: str | None = None
) -> str:
    rows = ([_cell(name, getattr(record, name)) for name in columns] for record in records)
    styles = [_STYLES.get(name, "") for name in columns]
    return table(columns, rows, caption=caption, styles=styles)


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
    # Each label says what the figure covers: only the bots created and the daily series
    # are the period's; api_calls.total is every call ever made.
    days = len(calls.daily_breakdown)
    headline = table(
        ("", "value"),
        [
            ("API calls today", calls.today),
            ("API calls this month", calls.this_month),
            ("API calls, all time", calls.total),
            (f"Bots created, last {days} days", bots.created),
            ("Bots active now", bots.active),
            ("Recordings, all time", recordings.total),
            ("Recorded hours, all time", recordings.total_duration_seconds / 3600),
            ("Storage used (MB)", recordings.storage_used_mb),
            ("Transcriptions, all time", transcriptions.total),
            ("Transcribed minutes, all time", transcriptions.total_minutes),
            ("Webhook deliveries, all time", hooks.total_deliveries),
            ("Webhook success rate (%), all time", hooks.success_rate),
            ("Webhook response time (ms), all time", hooks.avg_response_time_ms),
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


def page_html(page: ApiLogPage) -> str:
    """The page's logs as a table, under a line saying where the page lies in the total."""
    first = (page.page - 1) * page.page_size + 1
    if page.logs:
        where = f"logs {first:,}\N{EN DASH}{first + len(page.logs) - 1:,} of {page.total:,}"
    else:
        where = f"no logs (of {page.total:,})"
    line = f"Page {page.page:,} (page_size {page.page_size:,}): {where}"
    logs = _records_table(LOG_COLUMNS, page.logs)
    return _titled("ApiLogPage", f"<div>{html.escape(line)}</div>", logs)


def log_html(log: ApiLog) -> str:
    """Every field of one log, one row each, the time first."""
    rows = [(name, _cell(name, getattr(log, name))) for name in LOG_COLUMNS]
    value_style = _WRAP_STYLE.format("12em")
    return _titled("ApiLog", table(("field", "value"), rows, styles=("", value_style)))


def usage_html(usage: ApiKeyUsage) -> str:
    """The key's request counts and its recent requests."""
    counts = table(
        ("today", "this month", "in all"),
        [(usage.requests_today, usage.requests_this_month, usage.requests_total)],
        caption="Requests",
    )
    recent = _records_table(
        RECENT_COLUMNS,
        usage.recent_requests,
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
