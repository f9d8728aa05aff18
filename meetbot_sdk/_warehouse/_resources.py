"""The resources of the dlt source: ``api_logs``, ``daily_usage`` and ``api_key_usage``.

``api_logs`` is incremental on the walk's own cursor: the :class:`~meetbot_sdk.WalkCheckpoint`
of its walk, as JSON, is kept in dlt's resource state. dlt saves that state with the load
package its rows are extracted into (and in the destination when the package is loaded), so
the checkpoint moves on exactly when the rows it vouches for are on their way; an extraction
that fails or is killed leaves the old checkpoint, and the next run walks that band again.
Whatever is walked twice is merged on ``id``: every log lands once.

The rows of ``api_logs`` and ``daily_usage`` are Arrow tables (dlt writes them to Parquet
without looking at each row), built page by page as ``to_arrow()`` builds them: at most one
page of :class:`~meetbot_sdk.ApiLog` objects is alive, and a table is yielded every
:data:`~meetbot_sdk._notebook._frames.BATCH_ROWS` rows.
"""

from __future__ import annotations

import contextvars
import datetime
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

import attrs
import dlt
import pyarrow
from dlt.extract import DltResource

from meetbot_sdk import _endpoints
from meetbot_sdk._client import MeetBot
from meetbot_sdk._models import ApiLog
from meetbot_sdk._notebook._frames import LogFrameBuilder
from meetbot_sdk._utils._checks import check_int
from meetbot_sdk._utils._logs import logger
from meetbot_sdk._walk._checkpoint import WalkCheckpoint
from meetbot_sdk._walk._pagination import check_walk_arguments

__all__ = ["ON_LOGS", "STATE_KEY", "OnLogs", "SourceOptions", "make_resources"]

STATE_KEY = "checkpoint"  # the resource state's one key: the walk's checkpoint as JSON
FEATURE = "meetbot_sdk.dlt.meetbot_source()"


class OnLogs(Protocol):
    """Told, page by page, the logs extracted so far by this run and the walk's latest
    ``total``, and at the end (``done``) that the walk is over."""

    def __call__(self, extracted: int, total: int | None, *, done: bool) -> None: ...


ON_LOGS: contextvars.ContextVar[OnLogs | None] = contextvars.ContextVar("on_logs", default=None)
"""Who follows ``api_logs`` during a run (``meetbot load``'s progress line); dlt extracts in
the thread that calls ``pipeline.run``, so setting it around the run is enough."""


@attrs.frozen
class SourceOptions:
    """What the resources need: the client's settings (the key never in a repr) and filters.

    Build it with :meth:`checked`, which checks everything before any request.
    """

    api_key: str | None = attrs.field(repr=False)
    base_url: str | None
    filters: Mapping[str, str]  # as sent: checked, dates in UTC (a checkpoint's form)
    key_ids: tuple[int, ...] = ()
    client_options: Mapping[str, Any] = attrs.field(factory=dict)
    concurrency: int = 1

    @classmethod
    def checked(
        cls,
        api_key: str | None,
        base_url: str | None,
        filters: Mapping[str, object],
        *,
        key_ids: Sequence[int] = (),
        client_options: Mapping[str, Any] | None = None,
        concurrency: int = 1,
    ) -> SourceOptions:
        """Check the options as the client would, before any request.

        Raises:
            MeetBotError: No API key in the argument, dlt's config or ``MEETBOT_API_KEY``.
            ValueError: A filter, key id, base URL or option the SDK refuses.
            TypeError: The same, of the wrong type.
        """
        if isinstance(key_ids, (str, bytes)) or not isinstance(key_ids, Sequence):
            raise TypeError(f"key_ids must be a sequence of ints, got {key_ids!r}")
        ids = tuple(check_int("key_ids item", key_id, minimum=1) for key_id in key_ids)
        options = dict(client_options or {})
        with MeetBot(api_key, base_url=base_url, **options):  # checks the key and the URL
            pass
        query = _endpoints.log_query(filters)
        check_walk_arguments(_endpoints.MAX_PAGE_SIZE, 1, None, concurrency)
        return cls(api_key, base_url, query, ids, options, concurrency)

    def client(self) -> MeetBot:
        return MeetBot(self.api_key, base_url=self.base_url, **self.client_options)


def make_resources(options: SourceOptions) -> list[DltResource]:
    """The source's three resources, with ``options``."""

    @dlt.resource(name="api_logs", primary_key="id", write_disposition="merge")
    def api_logs() -> Iterator[pyarrow.Table]:
        yield from _walk_logs(options, dlt.current.resource_state(), ON_LOGS.get())

    @dlt.resource(name="daily_usage", primary_key="date", write_disposition="merge")
    def daily_usage() -> Iterator[pyarrow.Table]:
        with options.client() as client:
            yield client.analytics.get(period="90d").to_arrow()

    @dlt.resource(name="api_key_usage", primary_key=("key_id", "date"), write_disposition="merge")
    def api_key_usage() -> Iterator[dict[str, Any]]:
        if not options.key_ids:
            return
        with options.client() as client:
            for key_id in options.key_ids:
                usage = client.api_keys.get_usage(key_id)
                fetched_at = datetime.datetime.now(datetime.timezone.utc)
                yield {
                    "key_id": key_id,
                    "date": fetched_at.date(),
                    "fetched_at": fetched_at,
                    "requests_today": usage.requests_today,
                    "requests_this_month": usage.requests_this_month,
                    "requests_total": usage.requests_total,
                    "recent_requests": [attrs.asdict(r) for r in usage.recent_requests],
                }

    return [api_logs, daily_usage, api_key_usage]


def _walk_logs(
    options: SourceOptions, state: dict[str, Any], on_logs: OnLogs | None
) -> Iterator[pyarrow.Table]:
    checkpoint = _saved_checkpoint(state, options.filters)
    filters: dict[str, Any] = dict(checkpoint.filters) if checkpoint else dict(options.filters)
    builder = LogFrameBuilder("arrow", feature=FEATURE, model=ApiLog)
    extracted = 0
    with options.client() as client:
        pager = client.api_logs.list(
            page_size=_endpoints.MAX_PAGE_SIZE,
            concurrency=options.concurrency,
            resume_from=checkpoint,
            **filters,
        )
        for page in pager.pages():
            builder.add_page(page)
            extracted += len(page.logs)
            if on_logs is not None:
                on_logs(extracted, pager.total, done=False)
            batches = builder.take_batches()
            if batches:
                # Set before the yield: once dlt has the rows, the state vouches for them.
                state[STATE_KEY] = pager.checkpoint().to_json()
                yield pyarrow.Table.from_batches(batches)
        rest: pyarrow.Table = builder.frame()
        state[STATE_KEY] = pager.checkpoint().to_json()
        if on_logs is not None:
            on_logs(extracted, pager.total, done=True)
        if rest.num_rows:
            yield rest


def _saved_checkpoint(
    state: Mapping[str, Any], filters: Mapping[str, str]
) -> WalkCheckpoint | None:
    """The checkpoint of the last run, if any; its filters must be these (but ``start_date``).

    ``start_date`` is for the first run: later runs go on from the checkpoint, with the
    ``start_date`` it was made with.

    Raises:
        ValueError: The state holds a walk with other filters.
    """
    saved = state.get(STATE_KEY)
    if saved is None:
        return None
    checkpoint = WalkCheckpoint.from_json(saved)
    had = {name: value for name, value in checkpoint.filters if name != "start_date"}
    has = {name: value for name, value in filters.items() if name != "start_date"}
    if had != has:
        raise ValueError(
            f"this pipeline's api_logs state holds a walk with {_describe(had)}, and this source"
            f" has {_describe(has)}: pass the same filters, or load the other filters with"
            " another pipeline name (or drop the api_logs resource's state and table)"
        )
    given, kept = filters.get("start_date"), dict(checkpoint.filters).get("start_date")
    if given is not None and given != kept:
        logger.info(
            "start_date %s is for the first run: api_logs goes on from its state (start_date %s)",
            given,
            kept,
        )
    return checkpoint


def _describe(filters: Mapping[str, str]) -> str:
    if not filters:
        return "no filters"
    return "filters " + ", ".join(f"{name}={value!r}" for name, value in sorted(filters.items()))
