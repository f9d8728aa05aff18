"""``meetbot logs``: request logs, filtered, to the terminal, a pipe or a file that resumes."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import click

from meetbot_sdk import ApiLog, ApiLogPager, MeetBotError
from meetbot_sdk._constants import DEFAULT_TERMINAL_LOGS
from meetbot_sdk._endpoints import MAX_PAGE_SIZE
from meetbot_sdk._walk._pagination import MAX_CONCURRENCY
from meetbot_sdk.cli._export import ExportStopped, FileFormat, OnPage, export_to_file
from meetbot_sdk.cli._literal import json_visible
from meetbot_sdk.cli._options import Settings, format_option, pass_settings, resolve_format
from meetbot_sdk.cli._output import Stdout, columns_of, encode_rows, plain

__all__ = ["command"]

EPILOG = """\b
Examples:
  meetbot logs                                             # the newest 50, as a table
  meetbot logs --limit 200                                 # the newest 200
  meetbot logs --status-code 500 --start-date 2026-01-08 --format csv > errors.csv
  meetbot logs --method POST --path /bots --format jsonl | head
  meetbot logs --api-key-id 3 --concurrency 4 --format json > key3.json
  meetbot logs --format jsonl --output logs.jsonl --checkpoint logs.state

\b
On a terminal, logs shows the newest 50 unless --limit or --all says otherwise;
piped or redirected, every matching log. In csv, a text cell starting with = + - @
TAB or CR gets a leading ' so that no spreadsheet runs it as a formula.

\b
With --output FILE --checkpoint STATE, FILE is appended to and STATE keeps where the
export stands: rerun the same command after any interruption (Ctrl-C, kill -9, a
failure) and FILE ends up with every matching log exactly once; rerun it later and
only the logs that arrived since are appended."""


@click.command("logs", epilog=EPILOG)
@click.option("--method", help="Only this HTTP method (GET, POST, ...).")
@click.option("--status-code", type=click.IntRange(100, 599), help="Only this response status.")
@click.option("--path", help="Only paths containing this text.")
@click.option("--api-key-id", type=click.IntRange(min=1), help="Only requests made with this key.")
@click.option("--start-date", metavar="DATE", help="Only logs after it (2026-01-08 or ISO time).")
@click.option("--end-date", metavar="DATE", help="Only logs before it (2026-01-15 or ISO time).")
@click.option(
    "-n",
    "--limit",
    type=click.IntRange(min=0),
    help=f"Stop after this many logs.  [default on a terminal: {DEFAULT_TERMINAL_LOGS}]",
)
@click.option(
    "--all",
    "all_logs",
    is_flag=True,
    help="Every matching log, also on a terminal.",
)
@click.option(
    "--page-size",
    type=click.IntRange(1, MAX_PAGE_SIZE),
    default=MAX_PAGE_SIZE,
    show_default=True,
    help="Logs per request.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, MAX_CONCURRENCY),
    default=1,
    show_default=True,
    help="Page requests in flight (read-ahead for slow links).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE (jsonl, or csv for a .csv name) instead of stdout.",
)
@click.option(
    "--checkpoint",
    "state",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="STATE",
    help="Append to --output and keep the export's state here, to resume it exactly.",
)
@click.option(
    "--csv-raw-cells",
    is_flag=True,
    help="In csv, write text cells as received, even those starting with = + - @ TAB CR.",
)
@format_option("jsonl")
@pass_settings
def command(
    settings: Settings,
    /,
    *,
    format_: str | None,
    output: Path | None,
    state: Path | None,
    limit: int | None,
    all_logs: bool,
    page_size: int,
    concurrency: int,
    csv_raw_cells: bool,
    **filter_options: Any,
) -> None:
    """Request logs of the account, newest first, each exactly once."""
    filters = {name: value for name, value in filter_options.items() if value is not None}
    walk_options: dict[str, Any] = {
        "page_size": page_size,
        "concurrency": concurrency,
        "max_items": limit,
    }
    if state is not None and output is None:
        raise click.UsageError("--checkpoint needs --output FILE: it records what FILE holds")
    if all_logs and limit is not None:
        raise click.UsageError("--all and --limit exclude each other: choose one")
    if output is None:
        chosen = resolve_format(format_, "jsonl")
        terminal = Stdout.is_terminal()
        capped = terminal and limit is None and not all_logs
        if capped:
            walk_options["max_items"] = DEFAULT_TERMINAL_LOGS
        shown = _Shown(color=settings.color, raw_cells=csv_raw_cells, terminal=terminal)
        with (
            settings.client() as client,
            _progress(show=not terminal, color=settings.color) as on_page,
            client.api_logs.list(**walk_options, **filters) as pager,
        ):
            _to_stdout(pager, chosen, shown, on_page)
        if capped:
            _say_how_to_see_more(pager)
        return
    chosen_file = format_ or ("csv" if output.suffix.lower() == ".csv" else "jsonl")
    if chosen_file not in {"jsonl", "csv"}:
        raise click.UsageError(f"--output writes jsonl or csv, not {chosen_file}")
    file_format: FileFormat = "csv" if chosen_file == "csv" else "jsonl"
    try:
        with settings.client() as client, _progress(show=True, color=settings.color) as on_page:
            written, held = export_to_file(
                client,
                output=output,
                state_path=state,
                format=file_format,
                filters=filters,
                walk_options=walk_options,
                on_page=on_page,
                raw_cells=csv_raw_cells,
            )
    except KeyboardInterrupt:
        if state is not None:  # said once the progress bar is gone
            click.echo(f"\nmeetbot: {_resume_line(output, state)}", err=True)
        raise
    except (MeetBotError, OSError) as failed:
        if state is not None:  # said after the error line, by the run's end
            raise ExportStopped(failed, _resume_line(output, state)) from failed
        raise
    click.echo(f"meetbot: wrote {_logs(written)} to {output} ({held:,} in the file)", err=True)


def _resume_line(output: Path, state: Path) -> str:
    return f"{output} and {state} agree; run the same command to go on"


def _logs(count: int) -> str:
    return "1 log" if count == 1 else f"{count:,} logs"


@attrs.frozen
class _Shown:
    """How logs go to stdout: colour in tables, csv cells raw, and for a terminal."""

    color: bool
    raw_cells: bool
    terminal: bool


def _to_stdout(pager: ApiLogPager, chosen: str, shown: _Shown, on_page: OnPage) -> None:
    from meetbot_sdk.cli._tables import LogTable  # import time: tables only for --format table

    out = Stdout()
    columns = columns_of(ApiLog)
    table = LogTable(color=shown.color) if chosen == "table" else None
    written = 0
    if chosen == "json":
        out.write(b"[")
    try:
        for page in pager.pages():
            if table is not None:
                table.print_logs(page.logs)
            elif chosen == "json":
                items = (json.dumps(plain(log), ensure_ascii=False) for log in page.logs)
                lead = b"\n  " if not written else b",\n  "
                out.write(lead + json_visible(",\n  ".join(items)).encode())
            else:
                rows = [plain(log) for log in page.logs]
                row_format: FileFormat = "csv" if chosen == "csv" else "jsonl"
                header = row_format == "csv" and not written
                out.write(
                    encode_rows(
                        rows,
                        row_format,
                        columns,
                        header=header,
                        raw_cells=shown.raw_cells,
                        terminal=shown.terminal,
                    )
                )
            written += len(page.logs)
            on_page(pager, written)
        if chosen == "csv" and not written:
            out.write(encode_rows([], "csv", columns, header=True))
    finally:
        if chosen == "json":
            out.write(b"\n]\n" if written else b"]\n")


def _say_how_to_see_more(pager: ApiLogPager) -> None:
    """After the default number of logs on a terminal: how many more match, and the flags."""
    total, shown = pager.total, pager.items_yielded
    if total is None or total <= shown:
        return
    click.echo(
        f"meetbot: {_logs(total - shown).replace(' ', ' more ', 1)} not shown (of {total:,});"
        " see them with --limit N or --all",
        err=True,
    )


@contextmanager
def _progress(show: bool, *, color: bool) -> Iterator[OnPage]:
    """A progress bar on stderr for a long export, when stderr is a terminal.

    It appears only once the export has run for a second, so that quick commands and
    ``| head`` (whose output shares the terminal) never flash one.
    """
    if not (show and sys.stderr.isatty()):
        yield lambda pager, written: None
        return
    from rich.console import Console  # extra: cli (rich), loaded for the progress line
    from rich.progress import (  # extra: cli (rich)
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    progress = Progress(
        TextColumn("exporting logs"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True, no_color=None if color else True),
        transient=True,
    )
    task = progress.add_task("logs", total=None)
    started = time.monotonic()

    def on_page(pager: ApiLogPager, written: int) -> None:
        if not progress.live.is_started:
            if time.monotonic() - started < _PROGRESS_AFTER_SECONDS:
                return
            progress.start()
        total = pager.total
        progress.update(
            task, completed=written, total=total if total and total >= written else None
        )

    try:
        yield on_page
    finally:
        progress.stop()


_PROGRESS_AFTER_SECONDS = 1.0
