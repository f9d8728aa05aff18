"""The payloads of the MeetBot Usage & Analytics API as frozen attrs classes.

Annotations are real objects, not strings (no ``from __future__ import annotations``), so
``typing.get_type_hints`` works on the models although they report the public module
``meetbot_sdk``. The classes know nothing about JSON: wire names, timestamp formats and
tolerance of unknown fields live in :mod:`meetbot_sdk._converter`. ``to_dict``/``from_dict``
merely delegate there.
"""

import datetime
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
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
    """Adds the JSON-ready round trip shared by every payload class."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready wire shape: wire key names, ISO 8601 strings for dates.

        ``type(m).from_dict(m.to_dict()) == m`` holds for every model.
        """
        from meetbot_sdk._converter import unstructure

        return unstructure(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Self":
        """Build the model from its wire shape (as returned by the API or :meth:`to_dict`).

        Unknown keys are ignored; values of the wrong type are refused.

        Raises:
            ValueError: ``data`` does not fit the model; the message names the field path.
        """
        from meetbot_sdk._converter import structure

        return structure(data, cls)


@attrs.frozen
class DailyCount(_Model):
    """A count for one calendar day (UTC)."""

    date: datetime.date
    count: int


@attrs.frozen
class ApiCallStats(_Model):
    """API calls made by the account."""

    today: int
    this_month: int
    total: int
    daily_breakdown: list[DailyCount]


@attrs.frozen
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


@attrs.frozen
class RecordingStats(_Model):
    """Recordings made by the account's bots."""

    total: int
    total_duration_seconds: int
    storage_used_mb: float


@attrs.frozen
class TranscriptionStats(_Model):
    """Transcriptions of the account's recordings."""

    total: int
    total_minutes: float


@attrs.frozen
class WebhookStats(_Model):
    """Webhook deliveries to the account's endpoints."""

    total_deliveries: int
    success_rate: float
    avg_response_time_ms: float


@attrs.frozen
class Analytics(_Model):
    """Usage analytics of the account over a period (``GET /users/me/analytics``)."""

    api_calls: ApiCallStats
    bots: BotStats
    recordings: RecordingStats
    transcriptions: TranscriptionStats
    webhooks: WebhookStats


@attrs.frozen
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


@attrs.frozen
class ApiLogPage(_Model):
    """One page of request logs (``GET /users/me/api-logs``), newest first."""

    logs: list[ApiLog]
    total: int
    page: int
    page_size: int


@attrs.frozen
class RecentRequest(_Model):
    """A recent request made with an API key. ``created_at`` is timezone-aware, in UTC."""

    method: str
    path: str
    status_code: int
    created_at: datetime.datetime


@attrs.frozen
class ApiKeyUsage(_Model):
    """Usage of one API key (``GET /api-keys/{key_id}/usage``)."""

    requests_today: int
    requests_this_month: int
    requests_total: int
    recent_requests: list[RecentRequest]
