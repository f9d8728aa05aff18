"""Arrow tables: the columns of ``to_arrow()`` (the ``arrow`` extra, pyarrow).

:class:`ArrowColumns` is the third kind of columns a
:class:`~meetbot_sdk._notebook._frames.LogFrameBuilder` fills, a batch of rows at a time, next
to pandas' and polars'. Each batch becomes one :class:`pyarrow.RecordBatch` (pyarrow converts
the Python values in C, aware datetimes to UTC included); the table is those batches, not
copied into one chunk, as google-cloud-bigquery's ``to_arrow()`` returns its pages.

The schema follows the model's annotations: ``int`` -> ``int64``, ``int | None`` -> ``int64``
with nulls, ``str`` -> ``string``, ``str | None`` -> ``string`` with nulls, ``datetime`` ->
``timestamp[us, tz=UTC]`` (the precision of the API's timestamps). A field that cannot be
missing is declared non-nullable, so that a warehouse loading the table (dlt) makes it
``NOT NULL``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs

from meetbot_sdk._utils._extras import require

if TYPE_CHECKING:
    import pyarrow

__all__ = ["ArrowColumns", "arrow_schema", "pyarrow_module"]

Kind = Literal["int", "nullable_int", "text", "datetime"]


def pyarrow_module(feature: str) -> Any:
    """pyarrow, or the ImportError naming the ``arrow`` extra's install line."""
    return require("pyarrow", "arrow", feature=feature)


@functools.cache
def _nullable(model: Any) -> frozenset[str]:
    """The attributes of ``model`` annotated ``... | None``."""
    fields = attrs.fields(attrs.resolve_types(model))
    return frozenset(
        field.name for field in fields if type(None) in getattr(field.type, "__args__", ())
    )


def arrow_schema(pa: Any, schema: tuple[tuple[str, Kind], ...], model: Any) -> pyarrow.Schema:
    """The Arrow schema of a table of ``model`` records whose columns are ``schema``."""
    types = {
        "int": pa.int64(),
        "nullable_int": pa.int64(),
        "text": pa.string(),
        "datetime": pa.timestamp("us", tz="UTC"),
    }
    nullable = _nullable(model)
    result: pyarrow.Schema = pa.schema(
        [pa.field(name, types[kind], nullable=name in nullable) for name, kind in schema]
    )
    return result


class ArrowColumns:
    """One record batch per batch of rows; the table of them all at the end."""

    def __init__(self, pyarrow: Any, schema: tuple[tuple[str, Kind], ...], model: Any) -> None:
        self._pa = pyarrow
        self._schema = arrow_schema(pyarrow, schema, model)
        self._batches: list[Any] = []

    def add(self, columns: Sequence[Sequence[Any]]) -> None:
        pa = self._pa
        arrays = [
            pa.array(column, type=field.type)
            for field, column in zip(self._schema, columns, strict=True)
        ]
        self._batches.append(pa.RecordBatch.from_arrays(arrays, schema=self._schema))

    def take_batches(self) -> list[Any]:
        """The record batches made so far, handed over (the builder keeps none of them)."""
        batches, self._batches = self._batches, []
        return batches

    def frame(self) -> pyarrow.Table:
        table: pyarrow.Table = self._pa.Table.from_batches(self.take_batches(), schema=self._schema)
        return table
