"""The request logs and usage of a MeetBot account as a dlt source (the ``dlt`` extra).

.. code-block:: python

   import dlt
   from meetbot_sdk.dlt import meetbot_source

   pipeline = dlt.pipeline("meetbot_pipeline", destination="duckdb", dataset_name="meetbot")
   pipeline.run(meetbot_source())

See :doc:`warehouse` for other destinations, scheduling and what "exactly once" covers.
"""

from __future__ import annotations

from meetbot_sdk._utils._extras import require

for _module in ("dlt", "pyarrow"):  # the install line rather than a bare ModuleNotFoundError
    require(_module, "dlt", feature="meetbot_sdk.dlt")
del _module

from collections.abc import Sequence  # noqa: E402 (after the extra's check)
from typing import TYPE_CHECKING  # noqa: E402

import dlt  # noqa: E402

from meetbot_sdk._warehouse._resources import SourceOptions, make_resources  # noqa: E402

if TYPE_CHECKING:
    from dlt.extract import DltResource
    from typing_extensions import Unpack

    from meetbot_sdk._endpoints import ApiLogFilters

__all__ = ["meetbot_source"]


@dlt.source(name="meetbot", section="meetbot")
def meetbot_source(
    api_key: str | None = dlt.secrets.value,
    base_url: str | None = dlt.config.value,
    *,
    key_ids: Sequence[int] = (),
    timeout: float | None = None,
    max_retries: int | None = None,
    concurrency: int = 1,
    **filters: Unpack[ApiLogFilters],
) -> list[DltResource]:
    """A dlt source of the account's request logs, daily usage and API key usage.

    Resources (each a table of the same name):

    - ``api_logs``: every request log matching ``filters``, one row per log (the columns
      and types of :meth:`ApiLogPager.to_arrow`), merged on ``id``. Incremental on the
      walk's own cursor: each run loads exactly the logs that arrived since the last one,
      and a run killed at any moment leaves no gap and no duplicate once the next run ends.
      ``start_date`` applies to the first run only; later runs go on from the state.
    - ``daily_usage``: the last 90 days, one row per ``date``: ``api_calls`` and
      ``bots_created`` (as :meth:`Analytics.to_arrow`), merged on ``date``, so the last
      (partial) day is brought up to date by the next run.
    - ``api_key_usage``: for each of ``key_ids``, one row per key and UTC day (merged on
      ``key_id`` and ``date``): ``requests_today``, ``requests_this_month``,
      ``requests_total``, ``fetched_at``, and the key's recent requests in the child table
      ``api_key_usage__recent_requests``. Empty without ``key_ids``.

    Args:
        api_key: The API key. Left out, dlt's configuration provides it
            (``[sources.meetbot] api_key`` in ``.dlt/secrets.toml``, or the environment
            variable ``SOURCES__MEETBOT__API_KEY``); ``None`` there (or passed) falls back
            to ``MEETBOT_API_KEY``.
        base_url: The API's base URL. Left out, from dlt's configuration (``base_url`` in
            the same section); ``None`` falls back to ``MEETBOT_BASE_URL``, then the
            public API.
        key_ids: The API keys whose usage ``api_key_usage`` loads.
        timeout: The client's timeout in seconds (default: the client's).
        max_retries: The client's retries per request (default: the client's).
        concurrency: Page requests in flight while walking the logs (read-ahead), 1 to 8.
        **filters: The filters of :meth:`ApiLogsResource.list` (``method``,
            ``status_code``, ``path``, ``api_key_id``, ``start_date``, ``end_date``).

    Returns:
        The resources, as a dlt source named ``meetbot`` (pass it to ``pipeline.run``).

    Raises:
        MeetBotError: No API key anywhere.
        ValueError: A filter, a key id, the base URL or an option is refused (before any
            request is sent).
        TypeError: The same, of the wrong type.
    """
    client_options = {
        name: value
        for name, value in (("timeout", timeout), ("max_retries", max_retries))
        if value is not None
    }
    options = SourceOptions.checked(
        api_key,
        base_url,
        dict(filters),
        key_ids=key_ids,
        client_options=client_options,
        concurrency=concurrency,
    )
    return make_resources(options)
