"""``meetbot load``: the request logs and usage into a warehouse, through dlt (``dlt`` extra)."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from meetbot_sdk import MeetBotError
from meetbot_sdk._utils._extras import require
from meetbot_sdk.cli._options import Settings, pass_settings

if TYPE_CHECKING:
    from meetbot_sdk._warehouse._resources import OnLogs

__all__ = ["command"]

DEFAULT_PIPELINE_DIR = ".dlt_pipelines"


EPILOG = """\b
Examples:
  meetbot load                                   # into ./meetbot_pipeline.duckdb, dataset meetbot
  meetbot load --start-date 2026-01-01 --key-id 3
  meetbot load --destination postgres --dataset meetbot

\b
Each run loads the logs that arrived since the last one, every log exactly once, even when a
run was killed: run it again and it finishes the interrupted load, then goes on. Destinations
other than duckdb read their credentials from dlt's configuration (.dlt/secrets.toml or
environment variables such as DESTINATION__POSTGRES__CREDENTIALS) and need their dlt extra
(pip install "dlt[postgres]"). DuckDB writes PIPELINE-NAME.duckdb in the current directory,
and dlt's working files (the pipeline's state) go beside it, in .dlt_pipelines: a folder holds
one whole pipeline, and a run in another folder starts a pipeline of its own."""


@click.command("load", epilog=EPILOG)
@click.option(
    "--destination",
    default="duckdb",
    show_default=True,
    help="A dlt destination: duckdb, postgres, bigquery, snowflake, ...",
)
@click.option("--dataset", default="meetbot", show_default=True, help="The dataset (schema).")
@click.option(
    "--pipeline-name",
    default="meetbot_pipeline",
    show_default=True,
    help="The dlt pipeline: its state, and DuckDB's file name.",
)
@click.option(
    "--pipeline-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where dlt keeps the pipeline's working files  [default: ./.dlt_pipelines]",
)
@click.option(
    "--start-date", metavar="DATE", help="The first run loads only logs after it (2026-01-08)."
)
@click.option(
    "--key-id",
    "key_ids",
    type=click.IntRange(min=1),
    multiple=True,
    help="Load this API key's usage too (repeat for more keys).",
)
@pass_settings
def command(
    settings: Settings,
    /,
    *,
    destination: str,
    dataset: str,
    pipeline_name: str,
    pipeline_dir: Path | None,
    start_date: str | None,
    key_ids: Sequence[int],
) -> None:
    """Load the request logs, daily usage and key usage into a warehouse, each log once."""
    try:
        require("dlt", "dlt", feature="meetbot load")
    except ImportError as missing:
        raise _MissingExtra(str(missing)) from None
    from dlt.common.exceptions import DltException  # extra: dlt

    from meetbot_sdk import dlt as meetbot_dlt  # extra: dlt
    from meetbot_sdk._warehouse import _resources, _runs  # extra: dlt

    # Left out when not given, so that dlt's configuration can provide them.
    options: dict[str, Any] = {"key_ids": list(key_ids)}
    if settings.api_key is not None:
        options["api_key"] = settings.api_key
    if settings.base_url is not None:
        options["base_url"] = settings.base_url
    if start_date is not None:
        options["start_date"] = start_date
    if settings.timeout is not None:
        options["timeout"] = settings.timeout
    if settings.max_retries is not None:
        options["max_retries"] = settings.max_retries
    source = meetbot_dlt.meetbot_source(**options)
    pipeline = _runs.make_pipeline(
        destination=destination,
        dataset=dataset,
        pipeline_name=pipeline_name,
        # Beside the DuckDB file by default, not dlt's ~/.dlt/pipelines: a pipeline's state
        # there remembers the DuckDB file of the folder it first ran in, so a run from another
        # folder loaded into (or failed on) that file.
        pipelines_dir=str(Path(DEFAULT_PIPELINE_DIR) if pipeline_dir is None else pipeline_dir),
    )
    with _progress() as on_logs:
        reset = _resources.ON_LOGS.set(on_logs)
        try:
            report = _runs.run_to_the_end(pipeline, source, on_pending=_say_pending)
        except DltException as failed:
            raise _cause_of(failed, DltException) from None
        finally:
            _resources.ON_LOGS.reset(reset)
    where = f" ({report.destination})" if report.destination else ""
    click.echo(f"meetbot: loaded into {destination}, dataset {dataset}{where}", err=True)
    width = max((len(table) for table in report.row_counts), default=0)
    for table, count in sorted(report.row_counts.items()):
        click.echo(f"  {table:<{width}}  {count:>10,} rows", err=True)


class _MissingExtra(click.ClickException):
    exit_code = 2  # bad usage, as for the cli extra itself

    def show(self, file: Any = None) -> None:
        click.echo(f"meetbot: {self.message}", err=True)


def _cause_of(failed: BaseException, dlt_error: type[BaseException]) -> Exception:
    """The SDK's error under dlt's wrappers (the app reports it), else dlt's, on one line.

    Raises:
        KeyboardInterrupt: The run was interrupted (dlt wraps that too): status 130.
    """
    seen: BaseException | None = failed
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            raise KeyboardInterrupt from None
        if isinstance(seen, (MeetBotError, ValueError, TypeError)) and not isinstance(
            seen, dlt_error
        ):
            return seen
        seen = seen.__cause__ or seen.__context__
    return click.ClickException(" ".join(str(failed).split()))


def _say_pending() -> None:
    click.echo("meetbot: finishing the load an interrupted run left", err=True)


@contextmanager
def _progress() -> Iterator[OnLogs]:
    """The progress line: logs extracted (of the walk's total), then normalising and loading.

    A live line on a terminal; otherwise one line when the extraction ends.
    """
    if not sys.stderr.isatty():

        def said_once(extracted: int, total: int | None, *, done: bool) -> None:
            if done:
                click.echo(f"meetbot: extracted {extracted:,} new logs; loading", err=True)

        yield said_once
        return
    from rich.console import Console  # extra: cli (rich), loaded for the progress line

    status = Console(stderr=True).status("meetbot: extracting logs")
    status.start()

    def on_logs(extracted: int, total: int | None, *, done: bool) -> None:
        if done:
            status.update(f"meetbot: extracted {extracted:,} new logs; normalising and loading")
        else:
            of = f" (the walk has {total:,})" if total else ""
            status.update(f"meetbot: extracting logs: {extracted:,}{of}")

    try:
        yield on_logs
    finally:
        status.stop()
