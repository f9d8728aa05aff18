"""``meetbot key-usage KEY_ID``: how much one API key is used, and its latest requests."""

from __future__ import annotations

import click

from meetbot_sdk import RecentRequest
from meetbot_sdk.cli._options import Settings, format_option, pass_settings, resolve_format
from meetbot_sdk.cli._output import Stdout, columns_of, encode_rows, plain
from meetbot_sdk.cli._tables import print_tables, usage_tables

__all__ = ["command"]

EPILOG = """\b
Examples:
  meetbot key-usage 3
  meetbot key-usage 3 --format json | jq .requests_today
  meetbot key-usage 3 --format csv > recent.csv

json gives the counts and the recent requests; jsonl and csv the recent requests. In csv,
a path starting with = + - @ TAB or CR gets a leading ' (no spreadsheet formulas) unless
--csv-raw-cells is given."""


@click.command("key-usage", epilog=EPILOG)
@click.argument("key_id", type=click.IntRange(min=1), metavar="KEY_ID")
@click.option(
    "--csv-raw-cells",
    is_flag=True,
    help="In csv, write text cells as received, even those starting with = + - @ TAB CR.",
)
@format_option("json")
@pass_settings
def command(
    settings: Settings, /, *, key_id: int, format_: str | None, csv_raw_cells: bool
) -> None:
    """Requests made with the API key KEY_ID: today, this month, in all, and the latest."""
    with settings.client() as client:
        usage = client.api_keys.get_usage(key_id)
    chosen = resolve_format(format_, "json")
    out = Stdout()
    if chosen == "table":
        print_tables(usage_tables(key_id, usage), color=settings.color)
    elif chosen == "json":
        out.write_json(plain(usage))
    else:
        rows = [plain(request) for request in usage.recent_requests]
        terminal = Stdout.is_terminal()
        columns = columns_of(RecentRequest)
        data = encode_rows(
            rows, chosen, columns, header=True, raw_cells=csv_raw_cells, terminal=terminal
        )
        out.write(data)
