"""DataFrames, Arrow tables and charts: ``to_pandas()``, ``to_polars()``, ``to_arrow()`` and
``Analytics.plot()``.

Each imports its extra (``pandas``, ``polars``, ``arrow``, ``plot``) when called, through
:func:`meetbot_sdk._utils._extras.require`, so ``import meetbot_sdk`` needs none of them.

Columns are the model's attribute names in order, typed from its annotations: ``int`` ->
64-bit integers, ``int | None`` -> nullable integers (pandas ``Int64``; polars integers are
all nullable), ``str`` and ``str | None`` -> the string dtype with missing values missing,
``datetime`` -> timezone-aware UTC datetimes in microseconds (the precision of the API's
timestamps). A walk is turned into columns page by page (:class:`LogFrameBuilder`): each
page's values are taken from its :class:`~meetbot_sdk.ApiLog` objects, which are garbage
once it is added, and every :data:`BATCH_ROWS` rows become compact column arrays.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
from collections.abc import Iterator, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Literal

import attrs

from meetbot_sdk._notebook._arrow import ArrowColumns, pyarrow_module
from meetbot_sdk._notebook._progress import Progress, start_progress
from meetbot_sdk._utils._extras import require

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    import matplotlib.axes
    import pandas
    import polars
    import pyarrow

    from meetbot_sdk._models import Analytics, ApiLogPage
    from meetbot_sdk._walk._pagination import Walk

    FrameBuilding = AbstractContextManager["LogFrameBuilder"]

__all__ = [
    "FrameSlot",
    "LogFrameBuilder",
    "analytics_to_arrow",
    "analytics_to_pandas",
    "analytics_to_polars",
    "columns_of",
    "daily_rows",
    "plot_analytics",
    "records_to_arrow",
    "records_to_pandas",
    "records_to_polars",
]

Library = Literal["pandas", "polars", "arrow"]
Kind = Literal["int", "nullable_int", "text", "datetime"]

# Rows gathered (as a list of values per column) before they become column arrays: enough
# to spread the cost of each array over many rows, few enough to stay a few MiB.
BATCH_ROWS = 8_192
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_MICROSECOND = datetime.timedelta(microseconds=1)
_KINDS: dict[object, Kind] = {
    int: "int",
    int | None: "nullable_int",
    str: "text",
    str | None: "text",
    datetime.datetime: "datetime",
}


@functools.cache
def columns_of(model: Any) -> tuple[tuple[str, Kind], ...]:
    """The column names and kinds of a frame of ``model`` records, in attribute order."""
    fields = attrs.fields(attrs.resolve_types(model))  # the models use string annotations
    return tuple((field.name, _KINDS[field.type]) for field in fields)


def _pandas(feature: str) -> Any:
    return require("pandas", "pandas", feature=feature)


def _polars(feature: str) -> Any:
    return require("polars", "polars", feature=feature)


class _PandasColumns:
    """Numpy arrays for each column, a batch of rows at a time; one concatenation at the end."""

    def __init__(self, pandas: Any, schema: tuple[tuple[str, Kind], ...]) -> None:
        import numpy  # a dependency of pandas

        self._pd, self._np, self._schema = pandas, numpy, schema
        self._chunks: list[list[Any]] = [[] for _ in schema]
        self._masks: list[list[Any]] = [[] for _ in schema]  # True where missing

    def add(self, columns: Sequence[Sequence[Any]]) -> None:
        np = self._np
        for (_, kind), chunks, masks, column in zip(
            self._schema, self._chunks, self._masks, columns, strict=True
        ):
            if kind == "int":
                chunks.append(np.array(column, dtype=np.int64))
            elif kind == "nullable_int":
                values = np.array(column, dtype=object)
                missing = np.equal(values, None)
                masks.append(missing)
                chunks.append(np.where(missing, 0, values).astype(np.int64))
            elif kind == "datetime":
                # In C, exact, and any offset to UTC (numpy refuses aware datetimes).
                moments = self._pd.to_datetime(np.array(column, dtype=object), utc=True)
                chunks.append(moments.as_unit("us").asi8)
            else:
                chunks.append(np.array(column, dtype=object))

    def frame(self) -> pandas.DataFrame:
        pd, np = self._pd, self._np
        data: dict[str, Any] = {}
        for (name, kind), chunks, masks in zip(
            self._schema, self._chunks, self._masks, strict=True
        ):
            values = self._concatenate(chunks, object if kind == "text" else np.int64)
            if kind == "int":
                data[name] = values
            elif kind == "nullable_int":
                data[name] = pd.arrays.IntegerArray(values, self._concatenate(masks, np.bool_))
            elif kind == "datetime":
                data[name] = pd.DatetimeIndex(values.view("M8[us]"), tz="UTC")
            else:
                data[name] = pd.array(values, dtype=pd.StringDtype())
        frame: pandas.DataFrame = pd.DataFrame(data, copy=False)
        return frame

    def _concatenate(self, chunks: list[Any], dtype: Any) -> Any:
        whole = self._np.concatenate(chunks) if chunks else self._np.empty(0, dtype=dtype)
        chunks.clear()  # each page's arrays go as soon as their column is whole
        return whole


class _PolarsColumns:
    """One polars frame per batch of rows; concatenated (and rechunked) at the end.

    Datetimes go in as integer microseconds, turned into UTC datetimes once at the end:
    polars converts Python datetimes one by one, several times slower than the walk.
    """

    def __init__(self, polars: Any, schema: tuple[tuple[str, Kind], ...]) -> None:
        types = {
            "int": polars.Int64,
            "nullable_int": polars.Int64,
            "text": polars.String,
            "datetime": polars.Int64,
        }
        self._pl = polars
        self._schema = {name: types[kind] for name, kind in schema}
        self._datetimes = [name for name, kind in schema if kind == "datetime"]
        self._chunks: list[Any] = []

    def add(self, columns: Sequence[Sequence[Any]]) -> None:
        data = dict(zip(self._schema, columns, strict=True))
        for name in self._datetimes:
            data[name] = [(moment - _EPOCH) // _MICROSECOND for moment in data[name]]
        self._chunks.append(self._pl.DataFrame(data, schema=self._schema))

    def frame(self) -> polars.DataFrame:
        pl = self._pl
        whole = (
            pl.concat(self._chunks, rechunk=True)
            if self._chunks
            else pl.DataFrame(schema=self._schema)
        )
        self._chunks.clear()
        frame: polars.DataFrame = whole.with_columns(
            pl.col(name).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
            for name in self._datetimes
        )
        return frame


class LogFrameBuilder:
    """Turns records (logs, recent requests) into one frame, a batch at a time.

    Args:
        library: ``"pandas"``, ``"polars"`` or ``"arrow"``; imported now, so a missing extra raises
            before any request is sent.
        feature: What the user called, for the ImportError (``"ApiLogPager.to_pandas()"``).
        model: The record class: its attributes are the columns.
        limit: At most this many logs will be added (the walk's ``max_items`` left), which
            caps a progress bar's total; ``None`` for no limit.

    Raises:
        ImportError: The library is not installed; the message is the install line.
    """

    def __init__(
        self, library: Library, *, feature: str, model: Any, limit: int | None = None
    ) -> None:
        schema = columns_of(model)
        self.library, self._feature = library, feature
        self._columns: _PandasColumns | _PolarsColumns | ArrowColumns
        if library == "pandas":
            self._columns = _PandasColumns(_pandas(feature), schema)
        elif library == "polars":
            self._columns = _PolarsColumns(_polars(feature), schema)
        else:
            self._columns = ArrowColumns(pyarrow_module(feature), schema, model)
        # One getter per column, mapped over a page: in C, with no row tuple in between.
        self._getters = [attrgetter(name) for name, _ in schema]
        # The batch: one list of values per column (no model, no row tuple is kept).
        self._batch: list[list[Any]] = [[] for _ in schema]
        self._limit, self._added = limit, 0
        self._progress: Progress | None = None

    def start_progress(self, enabled: object) -> None:
        """Show a progress bar from now on, advanced by :meth:`add_page`, if ``enabled``.

        Raises:
            TypeError: ``enabled`` is not a bool.
            ImportError: tqdm is missing; the message is the install line.
        """
        self._progress = start_progress(
            enabled, extra=self.library, feature=self._feature, already=self._added
        )

    def stop_progress(self) -> None:
        """Close the progress bar, if any."""
        if self._progress is not None:
            self._progress.close()
            self._progress = None

    def add(self, records: Sequence[Any]) -> None:
        """Add the values of ``records`` (models of the builder's ``model``)."""
        batch = self._batch
        for values, get in zip(batch, self._getters, strict=True):
            values.extend(map(get, records))
        if len(batch[0]) >= BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        batch, self._batch = self._batch, [[] for _ in self._batch]
        if batch[0]:
            self._columns.add(batch)

    def add_page(self, page: ApiLogPage) -> None:
        """Add a page's logs and advance the progress bar (which learns the total from it)."""
        self.add(page.logs)
        count = len(page.logs)
        self._added += count
        if self._progress is not None:
            remaining = max(page.total - (page.page - 1) * page.page_size - count, 0)
            if self._limit is not None:
                remaining = min(remaining, max(self._limit - self._added, 0))
            self._progress.advance(count, remaining=remaining)

    def take_batches(self) -> list[pyarrow.RecordBatch]:
        """The Arrow record batches completed since the last call, handed over.

        For an ``"arrow"`` builder fed page by page (the dlt source): the batches hold every
        row added up to the last :data:`BATCH_ROWS` boundary; :meth:`frame` has the rest.
        """
        if not isinstance(self._columns, ArrowColumns):
            raise TypeError("take_batches() is for an arrow builder")
        return self._columns.take_batches()

    def frame(self) -> Any:
        """The frame of every record added (its per-batch parts are released)."""
        if self._progress is not None:
            self._progress.finish()
        self._flush()
        return self._columns.frame()


class FrameSlot:
    """A pager's frame in the making, kept when its walk fails part-way.

    Calling ``to_pandas()`` again then goes on with it, so the frame has every log once;
    unless the walk was moved on by other means since (iterating the pager), or the other
    library is asked for: then a new frame starts from where the walk stands.
    """

    def __init__(self) -> None:
        self._kept: tuple[LogFrameBuilder, int] | None = None

    @contextlib.contextmanager
    def building(
        self, walk: Walk, library: Library, progress: object, *, feature: str, model: Any
    ) -> Iterator[LogFrameBuilder]:
        """The builder to add the walk's pages to; kept if the block fails.

        Raises:
            ImportError: The library (or tqdm) is missing; the message is the install line.
            TypeError: ``progress`` is not a bool.
        """
        kept, self._kept = self._kept, None
        if kept is not None and kept[0].library == library and kept[1] == walk.items_yielded:
            builder = kept[0]
        else:
            limit = None if walk.max_items is None else walk.max_items - walk.items_yielded
            builder = LogFrameBuilder(library, feature=feature, model=model, limit=limit)
        builder.start_progress(progress)
        try:
            yield builder
        except BaseException:
            self._kept = (builder, walk.items_yielded)
            raise
        finally:
            builder.stop_progress()


def records_to_pandas(records: Sequence[Any], model: type[Any], feature: str) -> pandas.DataFrame:
    """A pandas frame of ``records`` in one go (a page's logs, a key's recent requests)."""
    builder = LogFrameBuilder("pandas", feature=feature, model=model)
    builder.add(records)
    frame: pandas.DataFrame = builder.frame()
    return frame


def records_to_arrow(records: Sequence[Any], model: type[Any], feature: str) -> pyarrow.Table:
    """An Arrow table of ``records`` in one go."""
    builder = LogFrameBuilder("arrow", feature=feature, model=model)
    builder.add(records)
    table: pyarrow.Table = builder.frame()
    return table


def records_to_polars(records: Sequence[Any], model: type[Any], feature: str) -> polars.DataFrame:
    """A polars frame of ``records`` in one go."""
    builder = LogFrameBuilder("polars", feature=feature, model=model)
    builder.add(records)
    frame: polars.DataFrame = builder.frame()
    return frame


def daily_rows(analytics: Analytics) -> tuple[list[datetime.date], list[int], list[int]]:
    """Every day from the first to the last of either series, with both counts.

    Returns:
        The dates, ascending, the API calls and the bots created of each; a day missing
        from a series counts 0.
    """
    calls = {day.date: day.count for day in analytics.api_calls.daily_breakdown}
    bots = {day.date: day.count for day in analytics.bots.daily_created}
    known = calls.keys() | bots.keys()
    if not known:
        return [], [], []
    first, last = min(known), max(known)
    dates = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    return dates, [calls.get(d, 0) for d in dates], [bots.get(d, 0) for d in dates]


def analytics_to_pandas(analytics: Analytics) -> pandas.DataFrame:
    """``Analytics.to_pandas()``: one row per day (see :func:`daily_rows`), indexed by date."""
    pd = _pandas("Analytics.to_pandas()")
    dates, calls, bots = daily_rows(analytics)
    index = pd.DatetimeIndex(pd.to_datetime(dates), name="date")
    counts = {"api_calls": calls, "bots_created": bots}
    frame: pandas.DataFrame = pd.DataFrame(counts, index=index, dtype="int64")
    return frame


def analytics_to_polars(analytics: Analytics) -> polars.DataFrame:
    """``Analytics.to_polars()``: as :func:`analytics_to_pandas`, the date a first column."""
    pl = _polars("Analytics.to_polars()")
    dates, calls, bots = daily_rows(analytics)
    schema = {"date": pl.Date, "api_calls": pl.Int64, "bots_created": pl.Int64}
    data = {"date": dates, "api_calls": calls, "bots_created": bots}
    frame: polars.DataFrame = pl.DataFrame(data, schema=schema)
    return frame


def analytics_to_arrow(analytics: Analytics) -> pyarrow.Table:
    """``Analytics.to_arrow()``: as :func:`analytics_to_polars`, an Arrow table."""
    pa = pyarrow_module("Analytics.to_arrow()")
    dates, calls, bots = daily_rows(analytics)
    schema = pa.schema(
        [
            pa.field("date", pa.date32(), nullable=False),
            pa.field("api_calls", pa.int64(), nullable=False),
            pa.field("bots_created", pa.int64(), nullable=False),
        ]
    )
    table: pyarrow.Table = pa.Table.from_arrays(
        [pa.array(dates, pa.date32()), pa.array(calls, pa.int64()), pa.array(bots, pa.int64())],
        schema=schema,
    )
    return table


def plot_analytics(analytics: Analytics, ax: matplotlib.axes.Axes | None) -> matplotlib.axes.Axes:
    """``Analytics.plot()``: API calls per day as a line, bots created as bars behind it."""
    pyplot = require("matplotlib.pyplot", "plot", feature="Analytics.plot()")
    dates_module: Any = require("matplotlib.dates", "plot", feature="Analytics.plot()")

    dates, calls, bots = daily_rows(analytics)
    if ax is None:
        ax = pyplot.subplots(figsize=(8, 3.5), layout="constrained")[1]
    bars = ax.twinx()
    bars.bar(dates, bots, color="C1", alpha=0.35, label="bots created")  # type: ignore[arg-type]
    bars.set_ylabel("bots created per day")
    ax.plot(dates, calls, color="C0", marker=".", label="API calls")  # type: ignore[arg-type]
    ax.set_ylabel("API calls per day")
    ax.set_ylim(bottom=0)
    ax.set_zorder(bars.get_zorder() + 1)  # the line over the bars
    ax.patch.set_visible(False)
    locator = dates_module.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(dates_module.ConciseDateFormatter(locator))
    handles = ax.get_legend_handles_labels()[0] + bars.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper left")
    ax.set_title(f"Daily usage, {len(dates)} days")
    return ax
