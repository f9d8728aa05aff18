"""``meetbot analytics``: the account's usage over 7, 30 or 90 days."""

from __future__ import annotations

import click

from meetbot_sdk import Analytics
from meetbot_sdk._endpoints import PERIODS
from meetbot_sdk.cli._options import Settings, format_option, pass_settings, resolve_format
from meetbot_sdk.cli._output import Stdout, encode_rows, plain
from meetbot_sdk.cli._tables import analytics_tables, print_tables

__all__ = ["command", "daily_rows"]

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
        print_tables(analytics_tables(analytics, period), color=settings.color)
    elif chosen == "json":
        out.write_json(plain(analytics))
    else:
        out.write(encode_rows(daily_rows(analytics), chosen, DAILY_COLUMNS, header=True))


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
