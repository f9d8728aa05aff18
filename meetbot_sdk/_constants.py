"""Every default and limit of the SDK, stated once: the modules that use one import it from
here, and the docs quote them. This module imports nothing of the package, so any module can
import it.
"""

from __future__ import annotations

import httpx

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_LIST_PAGE_SIZE",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MAX_RETRY_WAIT",
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_TERMINAL_LOGS",
    "DEFAULT_TIMEOUT",
    "HTTP_LIBRARY_ENV",
    "INITIAL_BACKOFF",
    "INT64_MAX",
    "INT64_MIN",
    "MAX_BACKOFF",
    "MAX_CONCURRENCY",
    "MAX_JSON_DEPTH",
    "MAX_PAGE_SIZE",
    "PERIODS",
]

DEFAULT_BASE_URL = "https://api.meetbot.dev/v1"
"""Where the API lives unless ``base_url`` or ``MEETBOT_BASE_URL`` says otherwise."""

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
"""5 s to connect, 30 s for each read, write and wait for a pooled connection (an
``httpx.Timeout``; a client on httpx2 converts it)."""

DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
"""The largest response body a client reads (16 MiB), as received and once decompressed. A
page of 100 logs is tens of kilobytes (about 2 MB even if every string were 8 KB long);
nothing the API sends comes near it."""

DEFAULT_MAX_RETRIES = 2
"""How many times a client retries a failed request (connection errors, timeouts, 408, 409,
429, 500, 502, 503, 504), so a call makes at most three attempts."""

DEFAULT_MAX_RETRY_WAIT = 60.0
"""The longest server-given wait a client sleeps for; a longer one raises at once."""

INITIAL_BACKOFF = 0.5
"""Seconds before the first retry when the server names no wait; doubled for each retry."""

MAX_BACKOFF = 8.0
"""The longest backoff between two attempts."""

PERIODS: tuple[str, ...] = ("7d", "30d", "90d")
"""The periods ``client.analytics.get()`` accepts."""

DEFAULT_PAGE_SIZE = 20
"""Logs per page of ``client.api_logs.get_page()`` (the API's own default)."""

DEFAULT_LIST_PAGE_SIZE = 100
"""Logs per page request of ``client.api_logs.list()``: the fewest requests for a walk."""

MAX_PAGE_SIZE = 100
"""The largest ``page_size`` the API serves."""

MAX_CONCURRENCY = 16
"""The most page requests ``list(concurrency=...)`` keeps in flight."""

MAX_JSON_DEPTH = 64
"""Nesting deeper than this (the API's payloads nest 4 levels) is not a payload of the API."""

API_KEY_ENV = "MEETBOT_API_KEY"
BASE_URL_ENV = "MEETBOT_BASE_URL"
HTTP_LIBRARY_ENV = "MEETBOT_HTTP_LIBRARY"

DEFAULT_TERMINAL_LOGS = 50
"""Logs ``meetbot logs`` shows on a terminal without ``--limit`` or ``--all`` (piped, all)."""

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
"""The integers the SDK accepts from the API (ids, counts, statuses, milliseconds): those of
a signed 64-bit integer, the frames' ``int64``/``Int64`` and most databases' ``BIGINT``.
Another integer in a response is an :class:`~meetbot_sdk.APIResponseValidationError`."""
