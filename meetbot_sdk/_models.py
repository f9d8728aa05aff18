"""The payloads of the MeetBot Usage & Analytics API as frozen attrs classes.

Annotations are real objects, not strings (no ``from __future__ import annotations``), so
``typing.get_type_hints`` works on the models although they report the public module
``meetbot_sdk``. The classes know nothing about JSON: wire names, timestamp formats and
tolerance of unknown fields live in :mod:`meetbot_sdk._decoding._converter`.
``to_dict``/``from_dict`` merely delegate there.
"""

import datetime
import operator
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from meetbot_sdk._decoding._converter import structure, unstructure, unstructure_json

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


def _values_of(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    """The function giving the values of an instance's fields, in field order, as a tuple."""
    try:
        return _VALUES[cls]
    except KeyError:
        names = [field.name for field in attrs.fields(cls)]
        getter = operator.attrgetter(*names)
        values = getter if len(names) > 1 else lambda instance: (getter(instance),)
        return _VALUES.setdefault(cls, values)


_VALUES: dict[type, Callable[[Any], tuple[Any, ...]]] = {}


class _Model:
    """Adds the JSON-ready round trip, the compact ``repr``, equality and hashing shared by
    every payload class.

    The ``repr`` summarises lists longer than a handful of items (see
    :mod:`meetbot_sdk._notebook._repr`); equality, hashing and :meth:`to_dict` see every value.
    """

    # The weak-reference slot lives here, once, rather than in each model (attrs adds none
    # when a base has it).
    __slots__ = ("__weakref__",)

    # Equality and hashing, once for every model, as attrs writes them (instances of the same
    # class whose fields are equal, in order), so that attrs need not compile a pair for each
    # model at import: the models are declared with ``eq=False`` and inherit these.
    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        values = _values_of(self.__class__)
        return values(self) == values(other)

    def __hash__(self) -> int:
        # a model holding a list is unhashable, as with attrs: hashing the list raises
        return hash((self.__class__, *_values_of(self.__class__)(self)))

    def __repr__(self) -> str:
        from meetbot_sdk._notebook import _repr  # import time: with the first repr

        return _repr.compact_repr(self)

    def to_dict(self, *, use_api_names: bool = True) -> dict[str, Any]:
        """Return the model as JSON-ready dicts, lists, numbers and ISO 8601 strings.

        Args:
            use_api_names: ``True`` (the default): the wire's key names (``apiCalls``,
                ``thisMonth``), the shape :meth:`from_dict` reads back, so that
                ``type(m).from_dict(m.to_dict()) == m`` holds for every model. ``False``:
                the attribute names (``api_calls``, ``this_month``), as ``meetbot ... --format
                json`` prints them; what a web framework should return.

        Example:
            >>> from meetbot_sdk import DailyCount
            >>> import datetime
            >>> day = DailyCount(date=datetime.date(2026, 1, 15), count=42)
            >>> day.to_dict()
            {'date': '2026-01-15', 'count': 42}
        """
        return unstructure(self, use_api_names=use_api_names)

    def to_json(self, *, use_api_names: bool = True) -> str:
        """Return :meth:`to_dict` as compact JSON text.

        Args:
            use_api_names: Wire key names (the default) or attribute names, as for
                :meth:`to_dict`.
        """
        return unstructure_json(self, use_api_names=use_api_names)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Self":
        """Build the model from its wire shape (as returned by the API or :meth:`to_dict`).

        Unknown keys are ignored; values of the wrong type are refused.

        Raises:
            ValueError: ``data`` does not fit the model; the message names the field path.
        """
        return structure(data, cls)


@attrs.frozen(repr=False, eq=False)
class DailyCount(_Model):
    """A count for one calendar day (UTC)."""

    date: datetime.date
    """The day, a UTC calendar date."""
    count: int
    """How many there were on that day (API calls, or bots created)."""


@attrs.frozen(repr=False, eq=False)
class ApiCallStats(_Model):
    """API calls made by the account.

    Only :attr:`daily_breakdown` covers the requested period; the three counts do not
    depend on it.
    """

    today: int
    """API calls made today (the current UTC day), whatever the period."""
    this_month: int
    """API calls made this UTC calendar month, whatever the period."""
    total: int
    """Every API call the account ever made: all time, not the requested period (the sum of
    :attr:`daily_breakdown` is the period's)."""
    daily_breakdown: list[DailyCount]
    """API calls per UTC day of the requested period, oldest first."""


@attrs.frozen(repr=False, eq=False)
class BotStats(_Model):
    """Meeting bots of the account.

    The breakdowns are plain dicts so that platforms and statuses the SDK does not know yet
    (``"webex"``, ``"WAITING_ROOM"``) simply appear as new keys.
    """

    created: int
    """Bots created in the requested period."""
    active: int
    """Bots in a meeting right now (joining or in the call), whatever the period."""
    platform_breakdown: dict[str, int]
    """Every bot the account ever created, counted by meeting platform (``"google"``,
    ``"zoom"``, ``"teams"``, ...): all time, not the period."""
    status_breakdown: dict[str, int]
    """Every bot the account ever created, counted by its current status (``"DONE"``,
    ``"IN_CALL"``, ``"FATAL"``, ...): all time, not the period."""
    daily_created: list[DailyCount]
    """Bots created per UTC day of the requested period, oldest first."""


@attrs.frozen(repr=False, eq=False)
class RecordingStats(_Model):
    """Recordings made by the account's bots, all time (not the requested period)."""

    total: int
    """Recordings the account's bots ever made: all time."""
    total_duration_seconds: int
    """Their length added up, in seconds: all time."""
    storage_used_mb: float
    """Storage the recordings take now, in megabytes."""


@attrs.frozen(repr=False, eq=False)
class TranscriptionStats(_Model):
    """Transcriptions of the account's recordings, all time (not the requested period)."""

    total: int
    """Recordings ever transcribed: all time."""
    total_minutes: float
    """Minutes of audio transcribed, added up: all time."""


@attrs.frozen(repr=False, eq=False)
class WebhookStats(_Model):
    """Webhook deliveries to the account's endpoints, all time (not the requested period)."""

    total_deliveries: int
    """Webhook deliveries ever attempted: all time."""
    success_rate: float
    """The share of deliveries that succeeded, in percent, 0 to 100 (``97.3`` is 97.3 %):
    all time."""
    avg_response_time_ms: float
    """How long the account's endpoints took to answer a delivery, the mean, in
    milliseconds: all time."""


@attrs.frozen(repr=False, eq=False)
class Analytics(_Model):
    """Usage analytics of the account (``GET /users/me/analytics``).

    The ``period`` asked for (7, 30 or 90 days up to today) sets the daily series and
    :attr:`BotStats.created` only; every other figure says whether it is today's, this
    month's, current or all time. ``analytics.api_calls.total`` in particular is every call
    the account ever made, while the sum of ``api_calls.daily_breakdown`` is the period's.
    """

    api_calls: ApiCallStats
    """API calls: today, this month, all time, and per day of the period."""
    bots: BotStats
    """Meeting bots: created in the period and per day of it, active now, all of them by
    platform and status."""
    recordings: RecordingStats
    """Recordings, all time."""
    transcriptions: TranscriptionStats
    """Transcriptions, all time."""
    webhooks: WebhookStats
    """Webhook deliveries, all time."""

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


@attrs.frozen(repr=False, eq=False)
class ApiLog(_Model):
    """One request made to the MeetBot API by the account.

    ``api_key_id`` and ``api_key_name`` are ``None`` for requests made with an access token
    rather than an API key. ``created_at`` is timezone-aware, in UTC.
    """

    id: int
    """The log's id: unique, and higher for newer logs."""
    method: str
    """The request's HTTP method, upper case (``"GET"``, ``"POST"``, ...)."""
    path: str
    """The path requested, e.g. ``"/api/v1/bots"``."""
    status_code: int
    """The HTTP status the API answered with."""
    response_time_ms: int
    """How long the API took to answer, in milliseconds."""
    api_key_id: int | None
    """The API key the request was made with; ``None`` for an access token."""
    api_key_name: str | None
    """That key's name; ``None`` for an access token."""
    ip_address: str | None
    """The caller's IP address as text (IPv4 or IPv6); ``None`` when not recorded."""
    user_agent: str | None
    """The caller's ``User-Agent`` header; ``None`` when it sent none."""
    created_at: datetime.datetime
    """When the request was made: timezone-aware, in UTC."""

    def _repr_html_(self) -> str:
        from meetbot_sdk._notebook import _html  # with its html import, on the first notebook cell

        return _html.log_html(self)


@attrs.frozen(repr=False, eq=False)
class ApiLogPage(_Model):
    """One page of request logs (``GET /users/me/api-logs``), newest first."""

    logs: list[ApiLog]
    """This page's logs, newest first; at most :attr:`page_size` of them."""
    total: int
    """How many logs match the filters, on every page, when this page was answered."""
    page: int
    """This page's number, from 1."""
    page_size: int
    """The most logs a page holds (1 to 100)."""

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


@attrs.frozen(repr=False, eq=False)
class RecentRequest(_Model):
    """A recent request made with an API key. ``created_at`` is timezone-aware, in UTC."""

    method: str
    """The request's HTTP method, upper case."""
    path: str
    """The path requested, e.g. ``"/api/v1/bots"``."""
    status_code: int
    """The HTTP status the API answered with."""
    created_at: datetime.datetime
    """When the request was made: timezone-aware, in UTC."""


@attrs.frozen(repr=False, eq=False)
class ApiKeyUsage(_Model):
    """Usage of one API key (``GET /api-keys/{key_id}/usage``)."""

    requests_today: int
    """Requests made with the key today (the current UTC day)."""
    requests_this_month: int
    """Requests made with the key this UTC calendar month."""
    requests_total: int
    """Every request ever made with the key: all time."""
    recent_requests: list[RecentRequest]
    """The key's latest requests, newest first (the API returns a handful, e.g. 10)."""

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
