"""What the commands print: models as records, and records as json, jsonl, csv or a table.

Records use the models' attribute names (snake_case) and ISO 8601 UTC timestamps, so json,
jsonl and csv say the same as the Python objects. Machine formats are written as bytes, a
batch per write, each with Ctrl-C held (:func:`~meetbot_sdk.cli._interrupts.shielded`): a
reader never sees half a line. A reader that goes away (``| head``) ends the command quietly.
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

__all__ = [
    "FORMATS",
    "Format",
    "PipeClosedError",
    "Stdout",
    "columns_of",
    "encode_rows",
    "plain",
    "reader_gone",
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
) -> bytes:
    """Rows as jsonl lines or csv rows, UTF-8; ``header`` puts the csv header row first."""
    if format == "jsonl":
        text = "".join(
            json.dumps(dict(row), ensure_ascii=False, separators=(",", ":")) + "\n" for row in rows
        )
        return text.encode()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(name) is None else row[name] for name in columns])
    return buffer.getvalue().encode()


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
        self.write((json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode())


@contextlib.contextmanager
def reader_gone() -> Iterator[None]:
    """Turn a closed stdout (``| head`` has read enough) into :class:`PipeClosedError`."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        raise PipeClosedError from None


def _silence_stdout() -> None:
    # Python flushes stdout once more at exit; pointing it at /dev/null keeps that quiet.
    with open(os.devnull, "wb") as devnull, contextlib.suppress(OSError, ValueError):
        os.dup2(devnull.fileno(), sys.stdout.fileno())  # ValueError: no real stdout (tests)
