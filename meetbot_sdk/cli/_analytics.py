"""``meetbot analytics``: the account's usage over 7, 30 or 90 days."""

from __future__ import annotations

import click
from rich.table import Table

from meetbot_sdk import Analytics
from meetbot_sdk._endpoints import PERIODS
from meetbot_sdk.cli._options import Settings, format_option, pass_settings, resolve_format
from meetbot_sdk.cli._output import Stdout, encode_rows, plain
from meetbot_sdk.cli._tables import (
    _breakdown,
    _text,
    _two_columns,
    analytics_tables,
    print_tables,
)

__all__ = ["command", "daily_rows", "tables"]

DAILY_COLUMNS = ["date", "api_calls", "bots_created"]

EPILOG = """\b
Examples:
  meetbot analytics                    # the last 30 days, as tables
  meetbot analytics --period 7d --format json
  meetbot analytics --period 90d --format csv > daily.csv

json gives the whole summary; jsonl and csv one row per day (date, api_calls,
bots_created)."""


@click.command("analytics", epilog=EPILOG)
@click.option(
    "-p",
    "--period",
    type=click.Choice(PERIODS),
    default="30d",
    show_default=True,
    help="How far back the daily series reach.",
)
@format_option("json")
@pass_settings
def command(settings: Settings, /, *, period: str, format_: str | None) -> None:
    """Usage of the account: API calls, bots, recordings, transcripts, webhooks."""
    with settings.client() as client:
        analytics = client.analytics.get(period=period)  # type: ignore[arg-type]
    chosen = resolve_format(format_, "json")
    out = Stdout()
    if chosen == "table":
        print_tables(tables(analytics, period), color=settings.color)
    elif chosen == "json":
        out.write_json(plain(analytics))
    else:
        out.write(encode_rows(daily_rows(analytics), chosen, DAILY_COLUMNS, header=True))


def tables(analytics: Analytics, period: str) -> list[Table]:
    """The summary, each figure labelled with what it covers, and one row per day.

    Only the daily series and the bots created cover the period: ``total`` is every call
    the account ever made, so the summary says "all time" where the API means it.
    """
    _, daily = analytics_tables(analytics, period)
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
    return [summary, daily]


def daily_rows(analytics: Analytics) -> list[dict[str, object]]:
    """One row per day: the API calls and the bots created that day."""
    bots = {day.date: day.count for day in analytics.bots.daily_created}
    return [
        {
            "date": day.date.isoformat(),
            "api_calls": day.count,
            "bots_created": bots.get(day.date, 0),
        }
        for day in analytics.api_calls.daily_breakdown
    ]
