"""Exports to a file that survive ``kill -9``: FILE and its STATE never disagree for long.

STATE records how many bytes of FILE are settled and the walk's checkpoint just after the
last of those logs. Each page goes: append its rows to FILE, flush and fsync it, then
replace STATE atomically (write a temporary file, fsync, rename, fsync the directory).
Killed anywhere in between, FILE holds at most some rows past what STATE records, perhaps a
partial last one; the next run cuts FILE back to the recorded length and resumes the walk
from the checkpoint, so those logs are fetched and written again, once. A run that finds an
unfinished walk in STATE finishes it and then takes the logs that arrived since it began.

One export at a time per STATE: a run holds an exclusive lock on ``.STATE.lock`` (next to
STATE, holding its pid) from before it reads STATE until it ends; another run on the same
STATE stops at once, naming that pid. Each write of STATE goes through a temporary file of
its own (``tempfile.mkstemp`` in STATE's directory). FILE, STATE and the lock file are never
reached through a symbolic link: one there is refused, and every open says ``O_NOFOLLOW``,
so a link planted in the directory cannot redirect a write.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO, Literal

import attrs
import click

from meetbot_sdk import ApiLog, ApiLogPager, MeetBot, MeetBotError, WalkCheckpoint
from meetbot_sdk._constants import MAX_JSON_DEPTH
from meetbot_sdk._utils._stored_json import excerpt, load_stored_json
from meetbot_sdk._walk._checkpoint import MAX_CHECKPOINT_BYTES, account_fingerprint
from meetbot_sdk.cli._files import locked, open_file, open_output, refuse_symlink, replace_durably
from meetbot_sdk.cli._interrupts import shielded
from meetbot_sdk.cli._output import columns_of, encode_rows, plain

__all__ = ["ExportState", "export_to_file", "read_state", "write_state"]

_FORMAT = "meetbot.ExportState"
_VERSION = 1
_COLUMNS = columns_of(ApiLog)
# The state holds the checkpoint as a JSON string: each character of it escaped at worst.
_MAX_STATE_BYTES = 2 * MAX_CHECKPOINT_BYTES + 1024

FileFormat = Literal["jsonl", "csv"]
OnPage = Callable[[ApiLogPager, int], None]


@attrs.frozen
class ExportState:
    """What FILE settledly holds: its format, length, log count and the walk's checkpoint."""

    format: FileFormat
    length: int
    logs: int
    checkpoint: WalkCheckpoint | None

    def to_json(self) -> str:
        """The state as one line of JSON."""
        return json.dumps(
            {
                "format": _FORMAT,
                "version": _VERSION,
                "file_format": self.format,
                "bytes": self.length,
                "logs": self.logs,
                "checkpoint": None if self.checkpoint is None else self.checkpoint.to_json(),
            }
        )


def read_state(path: Path) -> ExportState | None:
    """The state saved at ``path``, or ``None`` when there is none yet.

    Raises:
        click.UsageError: The file is not an export state, or is a symbolic link.
    """
    try:
        descriptor = open_file(path, os.O_RDONLY, "--checkpoint")
    except FileNotFoundError:
        return None
    with os.fdopen(descriptor, "rb") as source:
        text = source.read(_MAX_STATE_BYTES + 1)  # bounded: never more than a state can be
    try:
        document = load_stored_json(text, max_bytes=_MAX_STATE_BYTES, max_depth=MAX_JSON_DEPTH)
        if (
            not isinstance(document, dict)
            or document.get("format") != _FORMAT
            or document.get("version") != _VERSION
        ):
            raise ValueError("not written by meetbot logs --checkpoint")
        checkpoint = document["checkpoint"]
        state = ExportState(
            format=_file_format(document["file_format"]),
            length=_count(document["bytes"]),
            logs=_count(document["logs"]),
            checkpoint=None if checkpoint is None else WalkCheckpoint.from_json(checkpoint),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise click.UsageError(f"{path} is not a checkpoint of meetbot logs ({exc})") from None
    return state


def _file_format(value: object) -> FileFormat:
    if value == "jsonl":
        return "jsonl"
    if value == "csv":
        return "csv"
    raise ValueError(f"unknown file format {excerpt(value)}")


def _count(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"expected a count, got {excerpt(value)}")
    return value


def write_state(path: Path, state: ExportState) -> None:
    """Replace the state at ``path`` atomically and durably."""
    replace_durably(path, (state.to_json() + "\n").encode())


def _settle(output: Path, state_path: Path, format: FileFormat) -> ExportState:
    """Make FILE agree with STATE (or start both); return the state to go on from."""
    state = read_state(state_path)
    if state is None:
        if output.exists() and output.stat().st_size:  # FILE is no link: checked before
            raise click.UsageError(
                f"{output} exists but {state_path} does not, so what it holds is unknown:"
                " remove it, or choose another --output"
            )
        header = encode_rows([], "csv", _COLUMNS, header=True) if format == "csv" else b""
        with open_output(output, "wb") as out:
            _append(out, header)
        state = ExportState(format=format, length=len(header), logs=0, checkpoint=None)
        write_state(state_path, state)
        return state
    if state.format != format:
        raise click.UsageError(
            f"{state_path} is a checkpoint of a {state.format} export; pass --format {state.format}"
        )
    try:
        size = output.stat().st_size
    except FileNotFoundError:
        raise click.UsageError(
            f"{state_path} describes {output}, which is missing: restore it, or remove"
            f" {state_path} to export from scratch"
        ) from None
    if size < state.length:
        raise click.UsageError(
            f"{output} is shorter ({size} bytes) than {state_path} records ({state.length}):"
            f" it was changed by something else; restore it, or remove both to start again"
        )
    if size > state.length:
        with open_output(output, "r+b") as out:
            out.truncate(state.length)
            out.flush()
            os.fsync(out.fileno())
        click.echo(
            f"meetbot: cut {size - state.length} bytes written to {output} after its last"
            " checkpoint; those logs are fetched again",
            err=True,
        )
    return state


def _append(out: BinaryIO, data: bytes) -> None:
    out.write(data)
    out.flush()
    os.fsync(out.fileno())


class ExportStopped(Exception):  # noqa: N818 (not an error of its own: it carries one)
    """A checkpointed export stopped by a failure (the API's, the network's or a file's): FILE
    and STATE agree, so running the same command goes on. ``meetbot`` prints the failure's
    line, then ``resume``."""

    def __init__(self, failed: MeetBotError | OSError, resume: str) -> None:
        super().__init__(str(failed))
        self.failed = failed
        self.resume = resume


def export_to_file(
    client: MeetBot,
    *,
    output: Path,
    state_path: Path | None,
    format: FileFormat,
    filters: Mapping[str, Any],
    walk_options: Mapping[str, Any],
    on_page: OnPage,
    raw_cells: bool = False,
) -> tuple[int, int]:
    """Export the logs matching ``filters`` to ``output``; return (logs written, in FILE).

    Without ``state_path`` FILE is written afresh; with it, FILE is appended to and the
    export resumes where the last run stopped, however it stopped.

    Args:
        client: The client to walk with.
        output: FILE.
        state_path: STATE, or ``None``.
        format: ``"jsonl"`` or ``"csv"``.
        filters: The walk's filters.
        walk_options: ``page_size``, ``concurrency`` and ``max_items`` of ``list()``.
        on_page: Called after each page is settled, with the pager and the logs written.
        raw_cells: csv text cells as received, formulas included (``--csv-raw-cells``).
    """
    refuse_symlink(output, "--output")
    if state_path is None:
        header = encode_rows([], "csv", _COLUMNS, header=True) if format == "csv" else b""
        with open_output(output, "wb") as out:
            _append(out, header)
            pager = client.api_logs.list(**walk_options, **filters)
            written = 0
            for data, count in _batches(pager, format, raw_cells):
                with shielded():
                    _append(out, data)
                written += count
                on_page(pager, written)
        return written, written
    refuse_symlink(state_path, "--checkpoint")
    with locked(state_path):
        return _export_resumably(
            client,
            output=output,
            state_path=state_path,
            format=format,
            filters=filters,
            walk_options=walk_options,
            on_page=on_page,
            raw_cells=raw_cells,
        )


def _export_resumably(
    client: MeetBot,
    *,
    output: Path,
    state_path: Path,
    format: FileFormat,
    filters: Mapping[str, Any],
    walk_options: Mapping[str, Any],
    on_page: OnPage,
    raw_cells: bool,
) -> tuple[int, int]:
    state = _settle(output, state_path, format)
    if state.checkpoint is not None:
        _check_origin(state.checkpoint, state_path, client)
    limit = walk_options.get("max_items")
    written = 0
    walks = 2 if state.checkpoint is not None and not state.checkpoint.finished else 1
    with open_output(output, "ab") as out:
        for _ in range(walks):
            options = dict(walk_options)
            if limit is not None:
                options["max_items"] = limit - written
            try:
                pager = client.api_logs.list(resume_from=state.checkpoint, **options, **filters)
            except ValueError as refused:  # other filters than the checkpoint's
                raise click.UsageError(f"cannot resume from {state_path}: {refused}") from None
            for data, count in _batches(pager, format, raw_cells):
                with shielded():
                    _append(out, data)
                    state = ExportState(
                        format=format,
                        length=state.length + len(data),
                        logs=state.logs + count,
                        checkpoint=pager.checkpoint(),
                    )
                    write_state(state_path, state)
                written += count
                on_page(pager, written)
            final = pager.checkpoint()  # a last empty page may have ended the walk
            if final != state.checkpoint:
                state = attrs.evolve(state, checkpoint=final)
                write_state(state_path, state)
            if limit is not None and written >= limit:
                break
    return written, state.logs


def _check_origin(checkpoint: WalkCheckpoint, state_path: Path, client: MeetBot) -> None:
    """Refuse, before any request, a STATE written against another API or account."""
    another = "start another export (another --output and --checkpoint)"
    if checkpoint.base_url is not None and checkpoint.base_url != client.base_url:
        raise click.UsageError(
            f"{state_path} records an export from {checkpoint.base_url}, and this run talks"
            f" to {client.base_url}: pass that --base-url, or {another}"
        )
    account = account_fingerprint(client._config.api_key)
    if checkpoint.account is not None and checkpoint.account != account:
        raise click.UsageError(
            f"{state_path} records an export made with another API key (key fingerprint"
            f" {checkpoint.account}; this key's is {account}): pass that key, or {another}"
        )


def _batches(
    pager: ApiLogPager, format: FileFormat, raw_cells: bool
) -> Iterator[tuple[bytes, int]]:
    for page in pager.pages():
        rows = [plain(log) for log in page.logs]
        yield encode_rows(rows, format, _COLUMNS, raw_cells=raw_cells), len(rows)
