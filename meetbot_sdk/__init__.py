"""The official typed Python SDK for the MeetBot Usage & Analytics API.

>>> from meetbot_sdk import MeetBot
>>> with MeetBot() as client:  # doctest: +SKIP
...     analytics = client.analytics.get(period="7d")

The public API is what ``__all__`` lists here, with :mod:`meetbot_sdk.types` (argument
types), :mod:`meetbot_sdk.resources` (the resource classes) and :mod:`meetbot_sdk.testing`
(the fake server); every ``_module`` is private. Each public class reports its public module,
so reprs and tracebacks read ``meetbot_sdk.NotFoundError``.
"""

import importlib
from types import FunctionType as _FunctionType
from typing import TYPE_CHECKING, Any

from meetbot_sdk._client import AsyncMeetBot, MeetBot
from meetbot_sdk._constants import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_WAIT,
    DEFAULT_TIMEOUT,
)
from meetbot_sdk._decoding._response import RawResponse
from meetbot_sdk._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    MeetBotError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from meetbot_sdk._models import (
    Analytics,
    ApiCallStats,
    ApiKeyUsage,
    ApiLog,
    ApiLogPage,
    BotStats,
    DailyCount,
    RecentRequest,
    RecordingStats,
    TranscriptionStats,
    WebhookStats,
)
from meetbot_sdk._ratelimit._budgets import FileBudget
from meetbot_sdk._ratelimit._throttle import RateLimit
from meetbot_sdk._version import __version__

if TYPE_CHECKING:
    from meetbot_sdk._ratelimit._redis_budget import RedisBudget
    from meetbot_sdk._walk._checkpoint import WalkCheckpoint
    from meetbot_sdk._walk._pagers import ApiLogPager, AsyncApiLogPager

# Loaded on first use (PEP 562), which keeps `import meetbot_sdk` light: the walk's modules
# come with the first `list()`, the Redis budget with its first mention.
_LAZY = {
    "ApiLogPager": "meetbot_sdk._walk._pagers",
    "AsyncApiLogPager": "meetbot_sdk._walk._pagers",
    "RedisBudget": "meetbot_sdk._ratelimit._redis_budget",
    "WalkCheckpoint": "meetbot_sdk._walk._checkpoint",
}

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MAX_RETRY_WAIT",
    "DEFAULT_TIMEOUT",
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "Analytics",
    "ApiCallStats",
    "ApiKeyUsage",
    "ApiLog",
    "ApiLogPage",
    "ApiLogPager",
    "AsyncApiLogPager",
    "AsyncMeetBot",
    "AuthenticationError",
    "BadRequestError",
    "BotStats",
    "ConflictError",
    "DailyCount",
    "FileBudget",
    "InternalServerError",
    "MeetBot",
    "MeetBotError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimit",
    "RateLimitError",
    "RawResponse",
    "RecentRequest",
    "RecordingStats",
    "RedisBudget",
    "TranscriptionStats",
    "UnprocessableEntityError",
    "WalkCheckpoint",
    "WebhookStats",
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


# Public names (classes and functions) report their public module (as httpx does), so reprs,
# tracebacks and the docs read ``meetbot_sdk.NotFoundError`` rather than a private path. (The
# lazy ones say so themselves, as they may be met before this module hands them out.)
for _name in __all__:
    if _name not in _LAZY and isinstance(_obj := globals()[_name], type | _FunctionType):
        _obj.__module__ = __name__
del _name, _obj
