"""The seeded account behind the fake: its API keys, bots and webhook deliveries.

Everything is drawn from one ``random.Random`` so that a seed and a ``now`` give the same
account every time. The request logs are drawn by ``_log_generation`` from the same stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from meetbot_sdk.testing._timestamps import MICROS_PER_DAY, MICROS_PER_SECOND, day_start

if TYPE_CHECKING:
    import random

WINDOW_DAYS = 90
"""The account's history covers the 90 UTC days ending with ``now``'s day."""

API_KEYS = ((1, "Production Key"), (2, "Staging Key"), (3, "CI Key"), (4, "Analytics Notebook"))

ACTIVE_STATUSES = frozenset({"IN_CALL", "JOINING"})

_PLATFORMS = ("google", "zoom", "teams")
_PLATFORM_WEIGHTS = (55, 30, 15)
# "webex" is a platform clients do not know about (spec §2); a few bots use it on purpose.
_UNKNOWN_PLATFORM = "webex"
_SETTLED_STATUSES = ("DONE", "FATAL")
_SETTLED_WEIGHTS = (88, 12)
# The newest bots are still live; WAITING_ROOM is a status clients do not know about.
_LIVE_STATUSES = ("IN_CALL", "JOINING", "WAITING_ROOM")
_TRANSCRIBED_SHARE = 0.75
_WEBHOOK_SUCCESS_SHARE = 0.97


@attrs.frozen
class ApiKey:
    """One of the account's API keys."""

    id: int
    name: str


@attrs.frozen
class Bot:
    """A meeting bot, with what it recorded and transcribed (``None`` when it did not)."""

    id: str
    platform: str
    status: str
    created_micros: int
    recording_seconds: int | None
    storage_mb: float | None
    transcript_id: str | None
    transcript_minutes: float | None


@attrs.frozen
class WebhookDeliveries:
    """Totals over every webhook delivery the account's bots caused."""

    total: int
    succeeded: int
    total_response_ms: int


@attrs.frozen
class Account:
    """Everything about the account except its request logs."""

    api_keys: tuple[ApiKey, ...]
    bots: tuple[Bot, ...]
    webhooks: WebhookDeliveries
    window_start_micros: int


def window_start(now_micros: int) -> int:
    """Return the first microsecond of the 90-day window that ends at ``now``."""
    return day_start(now_micros // MICROS_PER_DAY - WINDOW_DAYS + 1)


def generate_account(rng: random.Random, now_micros: int) -> Account:
    """Draw an account whose history lies in the 90 UTC days up to ``now``.

    Args:
        rng: The fake's random stream; drawing advances it.
        now_micros: The fake's current time, in microseconds since the epoch.

    Returns:
        The account.
    """
    start = window_start(now_micros)
    bots = _draw_bots(rng, start, now_micros)
    return Account(
        api_keys=tuple(ApiKey(key_id, name) for key_id, name in API_KEYS),
        bots=bots,
        webhooks=_draw_webhooks(rng, len(bots)),
        window_start_micros=start,
    )


def _draw_bots(rng: random.Random, start: int, end: int) -> tuple[Bot, ...]:
    count = rng.randint(140, 160)
    span = end - start
    created = sorted(
        start + int(rng.random() * span) // MICROS_PER_SECOND * MICROS_PER_SECOND
        for _ in range(count)
    )
    platforms = rng.choices(_PLATFORMS, weights=_PLATFORM_WEIGHTS, k=count)
    for index in rng.sample(range(count), k=rng.randint(3, 5)):
        platforms[index] = _UNKNOWN_PLATFORM
    statuses = rng.choices(_SETTLED_STATUSES, weights=_SETTLED_WEIGHTS, k=count)
    live = rng.randint(2, 4)
    statuses[-live:] = [_LIVE_STATUSES[0], *rng.choices(_LIVE_STATUSES, k=live - 1)]
    return tuple(
        _draw_bot(rng, platform, status, created_micros)
        for platform, status, created_micros in zip(platforms, statuses, created, strict=True)
    )


def _draw_bot(rng: random.Random, platform: str, status: str, created_micros: int) -> Bot:
    bot_id = f"bot_{rng.getrandbits(64):016x}"
    if status != "DONE":
        return Bot(bot_id, platform, status, created_micros, None, None, None, None)
    seconds = rng.randint(300, 5_400)
    storage_mb = round(seconds * rng.uniform(0.15, 0.45), 1)
    if rng.random() >= _TRANSCRIBED_SHARE:
        return Bot(bot_id, platform, status, created_micros, seconds, storage_mb, None, None)
    transcript_id = f"trn_{rng.getrandbits(64):016x}"
    minutes = round(seconds / 60, 1)
    return Bot(
        bot_id, platform, status, created_micros, seconds, storage_mb, transcript_id, minutes
    )


def _draw_webhooks(rng: random.Random, bot_count: int) -> WebhookDeliveries:
    total = sum(rng.randint(2, 6) for _ in range(bot_count))
    succeeded = sum(rng.random() < _WEBHOOK_SUCCESS_SHARE for _ in range(total))
    response_ms = sum(int(rng.lognormvariate(4.6, 0.45)) for _ in range(total))
    return WebhookDeliveries(total=total, succeeded=succeeded, total_response_ms=response_ms)
