"""The payloads of the MeetBot Usage & Analytics API as frozen attrs classes.

Annotations are real objects, not strings (no ``from __future__ import annotations``), so
``typing.get_type_hints`` works on the models although they report the public module
``meetbot_sdk``. The classes know nothing about JSON: wire names, timestamp formats and
tolerance of unknown fields live in :mod:`meetbot_sdk._decoding._converter`.
``to_dict``/``from_dict`` merely delegate there.
"""

import datetime
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from meetbot_sdk._decoding._converter import structure, unstructure
from meetbot_sdk._notebook import _repr

if TYPE_CHECKING:
    import matplotlib.axes
    import pandas
    import polars
    import pyarrow

    if sys.version_info >= (3, 11):
        from typing import Self
    else:
        from typing_extensions import Self

__all__ = [
    "Analytics",
    "ApiCallStats",
    "ApiKeyUsage",
    "ApiLog",
    "ApiLogPage",
    "BotStats",
    "DailyCount",
    "RecentRequest",
    "RecordingStats",
    "TranscriptionStats",
    "WebhookStats",
]


class _Model:
    """Adds the JSON-ready round trip and the compact ``repr`` shared by every payload class.

    The ``repr`` summarises lists longer than a handful of items (see
    :mod:`meetbot_sdk._notebook._repr`); equality, hashing and :meth:`to_dict` see every value.
    """

    # The weak-reference slot lives here, once, rather than in each model (attrs adds none
    # when a base has it).
    __slots__ = ("__weakref__",)

    def __repr__(self) -> str:
        return _repr.compact_repr(self)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready wire shape: wire key names, ISO 8601 strings for dates.

        ``type(m).from_dict(m.to_dict()) == m`` holds for every model.
        """
        return unstructure(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Self":
        """Build the model from its wire shape (as returned by the API or :meth:`to_dict`).

        Unknown keys are ignored; values of the wrong type are refused.

        Raises:
            ValueError: ``data`` does not fit the model; the message names the field path.
        """
        return structure(data, cls)


@attrs.frozen(repr=False)
class DailyCount(_Model):
    """A count for one calendar day (UTC)."""

    date: datetime.date
    count: int


@attrs.frozen(repr=False)
class ApiCallStats(_Model):
    """API calls made by the account."""

    today: int
    this_month: int
    total: int
    daily_breakdown: list[DailyCount]


@attrs.frozen(repr=False)
class BotStats(_Model):
    """Meeting bots of the account.

    The breakdowns are plain dicts so that platforms and statuses the SDK does not know yet
    (``"webex"``, ``"WAITING_ROOM"``) simply appear as new keys.
    """

    created: int
    active: int
    platform_breakdown: dict[str, int]
    status_breakdown: dict[str, int]
    daily_created: list[DailyCount]


@attrs.frozen(repr=False)
class RecordingStats(_Model):
    """Recordings made by the account's bots."""

    total: int
    total_duration_seconds: int
    storage_used_mb: float


@attrs.frozen(repr=False)
class TranscriptionStats(_Model):
    """Transcriptions of the account's recordings."""

    total: int
    total_minutes: float


@attrs.frozen(repr=False)
class WebhookStats(_Model):
    """Webhook deliveries to the account's endpoints."""

    total_deliveries: int
    success_rate: float
    avg_response_time_ms: float


@attrs.frozen(repr=False)
class Analytics(_Model):
    """Usage analytics of the account over a period (``GET /users/me/analytics``)."""

    api_calls: ApiCallStats
    bots: BotStats
    recordings: RecordingStats
    transcriptions: TranscriptionStats
    webhooks: WebhookStats

    def to_pandas(self) -> "pandas.DataFrame":
        """One row per day, indexed by ``date``: ``api_calls`` and ``bots_created``.

        Every day from the first to the last of either daily series has a row; a day
        missing from a series counts 0. Needs the ``pandas`` extra.
        """
        from meetbot_sdk._notebook import _frames  # with the first frame or chart

        return _frames.analytics_to_pandas(self)

    def to_polars(self) -> "polars.DataFrame":
        """As :meth:`to_pandas`, with ``date`` as the first column. Needs the ``polars`` extra."""
        from meetbot_sdk._notebook import _frames  # with the first frame or chart

        return _frames.analytics_to_polars(self)

    def to_arrow(self) -> "pyarrow.Table":
        """As :meth:`to_polars`, a :class:`pyarrow.Table`: ``date`` (``date32``), ``api_calls``
        and ``bots_created`` (``int64``). Needs the ``arrow`` extra."""
        from meetbot_sdk._notebook import _frames  # with the first frame or chart

        return _frames.analytics_to_arrow(self)

    def plot(self, ax: "matplotlib.axes.Axes | None" = None) -> "matplotlib.axes.Axes":
        """Chart API calls (line) and bots created (bars) per day. Needs the ``plot`` extra.

        Args:
            ax: The matplotlib Axes to draw on; a new figure's when ``None``.

        Returns:
            The Axes drawn on (the bars are on a twin Axes sharing its x axis).
        """
        from meetbot_sdk._notebook import _frames  # with the first frame or chart

        return _frames.plot_analytics(self, ax)

    def _repr_html_(self) -> str:
        from meetbot_sdk._notebook import _html  # with its html import, on the first notebook cell

        return _html.analytics_html(self)


@attrs.frozen(repr=False)
class ApiLog(_Model):
    """One request made to the MeetBot API by the account.

    ``api_key_id`` and ``api_key_name`` are ``None`` for requests made with an access token
    rather than an API key. ``created_at`` is timezone-aware, in UTC.
    """

    id: int
    method: str
    path: str
    status_code: int
    response_time_ms: int
    api_key_id: int | None
    api_key_name: str | None
    ip_address: str | None
    user_agent: str | None
    created_at: datetime.datetime

    def _repr_html_(self) -> str:
        from meetbot_sdk._notebook import _html  # with its html import, on the first notebook cell

        return _html.log_html(self)


@attrs.frozen(repr=False)
class ApiLogPage(_Model):
    """One page of request logs (``GET /users/me/api-logs``), newest first."""

    logs: list[ApiLog]
    total: int
    page: int
    page_size: int

    def to_pandas(self) -> "pandas.DataFrame":
        """The page's logs, one row each; columns are the :class:`ApiLog` attributes.

        ``created_at`` is timezone-aware UTC, ``api_key_id`` a nullable ``Int64``, text
        columns the ``string`` dtype. Needs the ``pandas`` extra.
        """
        from meetbot_sdk._notebook import _frames  # with the first frame or chart

        return _frames.records_to_pandas(self.logs, ApiLog, "ApiLogPage.to_pandas()")

    def to_polars(self) -> "polars.DataFrame":
        """As :meth:`to_pandas`, as a polars frame. Needs the ``polars`` extra."""
        from meetbot_sdk._notebook import _frames  # with the first frame or chart

        return _frames.records_to_polars(self.logs, ApiLog, "ApiLogPage.to_polars()")

    def to_arrow(self) -> "pyarrow.Table":
        """The page's logs as a :class:`pyarrow.Table`, one row each. Needs the ``arrow`` extra.

        Columns are the :class:`ApiLog` attributes: ``created_at``
        ``timestamp[us, tz=UTC]``, ``id``, ``status_code``, ``response_time_ms`` and
        ``api_key_id`` ``int64`` (``api_key_id`` null for access-token requests), text
        ``string``; only the ``... | None`` attributes are nullable.
        """
        from meetbot_sdk._notebook import _frames  # with the first frame or chart

        return _frames.records_to_arrow(self.logs, ApiLog, "ApiLogPage.to_arrow()")

    def _repr_html_(self) -> str:
        from meetbot_sdk._notebook import _html  # with its html import, on the first notebook cell

        return _html.page_html(self)


@attrs.frozen(repr=False)
class RecentRequest(_Model):
    """A recent request made with an API key. ``created_at`` is timezone-aware, in UTC."""

    method: str
    path: str
    status_code: int
    created_at: datetime.datetime


@attrs.frozen(repr=False)
class ApiKeyUsage(_Model):
    """Usage of one API key (``GET /api-keys/{key_id}/usage``)."""

    requests_today: int
    requests_this_month: int
    requests_total: int
    recent_requests: list[RecentRequest]

    def to_pandas(self) -> "pandas.DataFrame":
        """The recent requests, one row each; columns are the :class:`RecentRequest`
        attributes. Needs the ``pandas`` extra."""
        from meetbot_sdk._notebook import _frames  # with the first frame or chart

        return _frames.records_to_pandas(self.recent_requests, RecentRequest, _USAGE_PANDAS)

    def to_polars(self) -> "polars.DataFrame":
        """As :meth:`to_pandas`, as a polars frame. Needs the ``polars`` extra."""
        from meetbot_sdk._notebook import _frames  # with the first frame or chart

        return _frames.records_to_polars(self.recent_requests, RecentRequest, _USAGE_POLARS)

    def to_arrow(self) -> "pyarrow.Table":
        """As :meth:`to_pandas`, as a :class:`pyarrow.Table`. Needs the ``arrow`` extra."""
        from meetbot_sdk._notebook import _frames  # with the first frame or chart

        return _frames.records_to_arrow(self.recent_requests, RecentRequest, _USAGE_ARROW)

    def _repr_html_(self) -> str:
        from meetbot_sdk._notebook import _html  # with its html import, on the first notebook cell

        return _html.usage_html(self)


_USAGE_PANDAS, _USAGE_POLARS = "ApiKeyUsage.to_pandas()", "ApiKeyUsage.to_polars()"
_USAGE_ARROW = "ApiKeyUsage.to_arrow()"
