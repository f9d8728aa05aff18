"""What the commands print: models as records, and records as json, jsonl, csv or a table.

Records use the models' attribute names (snake_case) and ISO 8601 UTC timestamps, so json,
jsonl and csv say the same as the Python objects. Machine formats are written as bytes, a
batch per write, each with Ctrl-C held (:func:`~meetbot_sdk.cli._interrupts.shielded`): a
reader never sees half a line. A reader that goes away (``| head``) ends the command quietly.
Server text is written so that a terminal shows it rather than acts on it, and csv text cells
are not formulas (:mod:`meetbot_sdk.cli._literal`).
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import json
import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, BinaryIO, Literal

import attrs

from meetbot_sdk._decoding._converter import as_utc, format_timestamp
from meetbot_sdk.cli._interrupts import shielded
from meetbot_sdk.cli._literal import json_visible, neutralise_formula, visible

__all__ = [
    "FORMATS",
    "Format",
    "PipeClosedError",
    "Stdout",
    "columns_of",
    "encode_rows",
    "plain",
    "reader_gone",
    "silence_stdout",
]

Format = Literal["table", "json", "jsonl", "csv"]
FORMATS: tuple[Format, ...] = ("table", "json", "jsonl", "csv")
Record = dict[str, Any]


class PipeClosedError(Exception):
    """The reader of stdout has gone away; the command ends quietly."""


def plain(value: Any) -> Any:
    """A model (or a value in one) as JSON-ready data with the models' attribute names."""
    if attrs.has(type(value)):
        fields = attrs.fields(type(value))
        return {field.name: plain(getattr(value, field.name)) for field in fields}
    if isinstance(value, datetime.datetime):
        return format_timestamp(as_utc(value))
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    return value


def columns_of(model: type) -> list[str]:
    """The attribute names of a model class, in order: the columns of its rows."""
    return [field.name for field in attrs.fields(model)]


def encode_rows(
    rows: Iterable[Mapping[str, Any]],
    format: Literal["jsonl", "csv"],
    columns: Sequence[str],
    *,
    header: bool = False,
    raw_cells: bool = False,
    terminal: bool = False,
) -> bytes:
    """Rows as jsonl lines or csv rows, UTF-8.

    Args:
        rows: The records.
        format: ``"jsonl"`` or ``"csv"``.
        columns: The csv columns, in order.
        header: Put the csv header row first.
        raw_cells: Write csv text cells as they are, formulas included (``--csv-raw-cells``);
            by default one starting with ``=``, ``+``, ``-``, ``@``, TAB or CR gets a ``'``.
        terminal: The rows are for a terminal: csv text shows control and BIDI characters
            as escapes, as tables do. (jsonl always escapes them, the JSON way.)
    """
    if format == "jsonl":
        text = "".join(
            json_visible(json.dumps(dict(row), ensure_ascii=False, separators=(",", ":"))) + "\n"
            for row in rows
        )
        return text.encode()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow(columns)
    for row in rows:
        cells = ["" if row.get(name) is None else row[name] for name in columns]
        if not raw_cells:
            cells = [neutralise_formula(cell) for cell in cells]
        if terminal:
            cells = [visible(cell) if isinstance(cell, str) else cell for cell in cells]
        writer.writerow(cells)
    # A lone surrogate (JSON allows "\ud800") cannot be UTF-8; it is written as its escape.
    return buffer.getvalue().encode("utf-8", "backslashreplace")


class Stdout:
    """The command's standard output, written in whole batches."""

    def __init__(self, stream: BinaryIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdout.buffer

    @staticmethod
    def is_terminal() -> bool:
        """Whether a person is reading: the default format is then a table."""
        return sys.stdout.isatty()

    def write(self, data: bytes) -> None:
        """Write and flush one batch, with Ctrl-C held; raise PipeClosedError if nobody reads."""
        with reader_gone(), shielded():
            self._stream.write(data)
            self._stream.flush()

    def write_json(self, document: Any) -> None:
        """One JSON document, indented for reading."""
        text = json_visible(json.dumps(document, ensure_ascii=False, indent=2))
        self.write((text + "\n").encode())


@contextlib.contextmanager
def reader_gone() -> Iterator[None]:
    """Turn a closed stdout (``| head`` has read enough) into :class:`PipeClosedError`."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
        raise PipeClosedError from None


def silence_stdout() -> None:
    """Point stdout at /dev/null: Python flushes it once more at exit, which would fail."""
    with open(os.devnull, "wb") as devnull, contextlib.suppress(OSError, ValueError):
        os.dup2(devnull.fileno(), sys.stdout.fileno())  # ValueError: no real stdout (tests)
