"""What a client is configured with: the checks that turn arguments and environment
variables into an immutable :class:`Config` (or a clear error, before anything is sent).
The defaults and limits are in :mod:`meetbot_sdk._constants`.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from typing import TYPE_CHECKING

import attrs
import httpx

from meetbot_sdk._constants import API_KEY_ENV, BASE_URL_ENV, DEFAULT_BASE_URL
from meetbot_sdk._exceptions import MeetBotError, Secret, redact
from meetbot_sdk._ratelimit._budgets import SharedBudget
from meetbot_sdk._transport._http import Backend, backend_for
from meetbot_sdk._utils._checks import check_int

if TYPE_CHECKING:
    import httpx2

__all__ = [
    "Config",
    "make_config",
    "resolve_max_response_bytes",
    "resolve_max_retry_wait",
    "resolve_throttle",
    "resolve_timeout",
]


@attrs.frozen(eq=False)  # never compared nor hashed: attrs need not write __eq__/__hash__
class Config:
    """What a client is configured with; immutable, so copies can share it safely."""

    api_key: str = attrs.field(repr=False)
    base_url: str
    timeout: httpx.Timeout
    max_retries: int
    max_retry_wait: float
    throttle: bool
    max_response_bytes: int


_HEADER_VALUE = re.compile(r"[\x21-\x7e]+")  # visible ASCII: what a bearer token may hold


def _resolve_api_key(given: Secret | None) -> str:
    # The key stays in its Secret until it is checked: a traceback's locals show no key.
    name = "api_key"
    if given is None:
        given = Secret(os.environ[API_KEY_ENV]) if os.environ.get(API_KEY_ENV) else None
        name = f"{API_KEY_ENV} (from the environment)"
    if given is None:
        raise MeetBotError(
            f"No API key: pass api_key=... to the client or set the {API_KEY_ENV} "
            "environment variable."
        )
    if not _HEADER_VALUE.fullmatch(given.reveal()):
        # The key itself is never echoed, not even when it is malformed.
        raise ValueError(
            f"{name} must be a non-empty string of visible ASCII characters (no spaces, "
            "control or non-ASCII characters), as an HTTP header value must be; check for a "
            "stray quote, newline or a character pasted from a document"
        )
    return given.reveal()


def _resolve_base_url(base_url: str | httpx.URL | httpx2.URL | None, backend: Backend) -> str:
    name = "base_url"
    if base_url is None:
        from_env = os.environ.get(BASE_URL_ENV)
        if from_env:
            base_url, name = from_env, f"{BASE_URL_ENV} (from the environment)"
        else:
            base_url = DEFAULT_BASE_URL
    owner = None if isinstance(base_url, str) else backend_for(base_url)
    if not isinstance(base_url, str) and not (owner and isinstance(base_url, owner.URL)):
        raise TypeError(
            f"base_url must be a str or httpx.URL (or httpx2.URL), got {type(base_url).__name__}"
        )
    try:
        url = backend.URL(str(base_url))
    except backend.InvalidURL as exc:
        raise ValueError(f"{name} is not a valid URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"{name} must be an absolute http(s) URL, got {_shown(str(base_url))}")
    if url.userinfo:
        raise ValueError(f"{name} must not contain credentials; pass api_key instead")
    if url.query or url.fragment:
        raise ValueError(f"{name} must not have a query or fragment, got {_shown(str(url))}")
    if url.scheme == "http" and not _is_loopback(url.host):
        raise ValueError(
            f"refusing plain http:// {name} for host {url.host!r}: the bearer token would "
            "travel in clear text. Use https://, or http:// only for a loopback host "
            "(127.0.0.0/8, ::1, localhost)."
        )
    return str(url).rstrip("/")


def _shown(text: str) -> str:
    """A rejected base URL as an error message may quote it: credentials in it hidden, and
    not at all when it is no URL (an API key pasted into the wrong place, say)."""
    if "://" not in text:
        return f"{len(text)} characters that are not a URL (not shown: perhaps a credential)"
    return repr(redact(text))


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_timeout(
    timeout: float | httpx.Timeout | httpx2.Timeout, backend: Backend
) -> httpx.Timeout:
    """``timeout`` as a ``Timeout`` of ``backend``'s library (either library's is taken)."""
    owner = backend_for(timeout)
    if owner is not None and isinstance(timeout, owner.Timeout):
        return backend.timeout(timeout)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(
            "timeout must be seconds as a float or an httpx.Timeout (or httpx2.Timeout), "
            f"got {type(timeout).__name__}"
        )
    if not timeout > 0 or timeout == float("inf"):
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    return backend.Timeout(float(timeout))


def resolve_max_retry_wait(seconds: float) -> float:
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"max_retry_wait must be seconds as a float, got {type(seconds).__name__}")
    if not seconds >= 0 or math.isinf(seconds):
        raise ValueError(f"max_retry_wait must be a finite number of seconds >= 0, got {seconds!r}")
    return float(seconds)


def resolve_throttle(throttle: bool | SharedBudget) -> bool:
    """Whether requests wait for the budget (a shared budget means yes)."""
    if isinstance(throttle, SharedBudget):
        return True
    if not isinstance(throttle, bool):
        raise TypeError(
            "throttle must be True, False, a FileBudget or a RedisBudget, "
            f"got {type(throttle).__name__}"
        )
    return throttle


def resolve_max_response_bytes(limit: int) -> int:
    return check_int("max_response_bytes", limit, minimum=1)


def make_config(
    api_key: Secret | None,
    *,
    base_url: str | httpx.URL | httpx2.URL | None,
    timeout: float | httpx.Timeout | httpx2.Timeout,
    max_retries: int,
    max_retry_wait: float,
    throttle: bool | SharedBudget,
    max_response_bytes: int,
    backend: Backend,
) -> Config:
    return Config(
        api_key=_resolve_api_key(api_key),
        base_url=_resolve_base_url(base_url, backend),
        timeout=resolve_timeout(timeout, backend),
        max_retries=check_int("max_retries", max_retries, minimum=0),
        max_retry_wait=resolve_max_retry_wait(max_retry_wait),
        throttle=resolve_throttle(throttle),
        max_response_bytes=resolve_max_response_bytes(max_response_bytes),
    )
