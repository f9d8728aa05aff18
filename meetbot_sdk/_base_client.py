"""``BaseClient``: everything a client does that is not I/O — holding the configuration
and the shared throttle, building requests, judging each attempt's outcome (retry, raise or
pass on), logging, decoding. :mod:`meetbot_sdk._client` adds the sending and the waiting.
"""

from __future__ import annotations

import datetime
import logging
import math
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

import attrs
import httpx

from meetbot_sdk import _endpoints
from meetbot_sdk._budgets import SharedBudget, budget_key
from meetbot_sdk._config import (
    USER_AGENT,
    Config,
    make_config,
    resolve_max_retry_wait,
    resolve_throttle,
    resolve_timeout,
)
from meetbot_sdk._exceptions import (
    APIConnectionError,
    APITimeoutError,
    RateLimitError,
    status_error,
)
from meetbot_sdk._logs import logger, setup_from_env
from meetbot_sdk._response import RawResponse, decode
from meetbot_sdk._retry import (
    RETRYABLE_STATUSES,
    RetryableError,
    rate_headers,
    server_wait,
)
from meetbot_sdk._throttle import Admit, RateLimit, Refuse, Throttle, Wait, lease_seconds

if TYPE_CHECKING:
    import tenacity

    if sys.version_info >= (3, 11):
        from typing import Self
    else:
        from typing_extensions import Self

__all__ = ["BaseClient", "T", "async_sleep"]

T = TypeVar("T")

setup_from_env()
_HttpT = TypeVar("_HttpT", httpx.Client, httpx.AsyncClient)


_SPENT_STREAM = httpx.ByteStream(b"")  # stands in for the stream of a response already read


class BaseClient(Generic[_HttpT]):
    """Configuration, request building and response handling: everything but sending."""

    _http_class: ClassVar[type[httpx.Client | httpx.AsyncClient]]
    _resource_classes: ClassVar[dict[str, type]]
    _config: Config
    _http: _HttpT
    _owns_http: bool
    _throttle: Throttle
    # How to wait between attempts; a test may swap it for a recorder.
    _sleep: Callable[[float], Any]

    def __init__(
        self,
        api_key: str | None,
        *,
        base_url: str | httpx.URL | None,
        timeout: float | httpx.Timeout,
        max_retries: int,
        max_retry_wait: float,
        throttle: bool | SharedBudget,
        http_client: _HttpT | None,
    ) -> None:
        config = make_config(
            api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
            throttle=throttle,
        )
        if http_client is not None:
            if not isinstance(http_client, self._http_class):
                expected = f"httpx.{self._http_class.__qualname__}"
                raise TypeError(
                    f"http_client must be an {expected}, got {type(http_client).__name__}"
                )
            http, owns_http = http_client, False
        else:
            http = cast("_HttpT", self._http_class(timeout=config.timeout, follow_redirects=False))
            owns_http = True
        self._setup(
            config, http, owns_http=owns_http, throttle=self._new_throttle(throttle, config)
        )

    def _new_throttle(self, throttle: bool | SharedBudget, config: Config) -> Throttle:
        if not isinstance(throttle, SharedBudget):
            return Throttle()
        throttle.check_client(asynchronous=self._http_class is httpx.AsyncClient)
        return Throttle(store=throttle, key=budget_key(config.base_url, config.api_key))

    def _setup(self, config: Config, http: _HttpT, *, owns_http: bool, throttle: Throttle) -> None:
        self._config = config
        self._http = http
        self._owns_http = owns_http
        self._throttle = throttle
        self._headers = {
            "Authorization": f"Bearer {config.api_key}",
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }
        for name, resource_class in self._resource_classes.items():
            setattr(self, name, resource_class(self))

    @property
    def base_url(self) -> str:
        """The API's base URL, without a trailing slash."""
        return self._config.base_url

    @property
    def timeout(self) -> httpx.Timeout:
        """The timeout applied to every attempt."""
        return self._config.timeout

    @property
    def max_retries(self) -> int:
        """How many times a failed request may be retried."""
        return self._config.max_retries

    @property
    def max_retry_wait(self) -> float:
        """The longest wait (seconds) the client sleeps for; a longer one raises at once."""
        return self._config.max_retry_wait

    @property
    def throttle(self) -> bool:
        """Whether requests wait for a spent rate-limit budget to reset before being sent."""
        return self._config.throttle

    @property
    def rate_limit(self) -> RateLimit | None:
        """The rate-limit budget the last response stated, or ``None`` when none is known.

        Shared with every ``with_options`` copy. A response without rate-limit headers sets
        it back to ``None`` (no known limit); a 5xx without them leaves it as it was.
        """
        return self._throttle.last_seen

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        max_retry_wait: float | None = None,
        throttle: bool | SharedBudget | None = None,
    ) -> Self:
        """Return a copy of the client with some options changed.

        The copy shares the connection pool, the credential and the rate-limit budget of
        this client, so it is cheap: make one per call site that needs a different timeout.
        Closing the copy leaves the pool open; closing the client that created the pool
        closes it for every copy.

        Args:
            timeout: Seconds, or an :class:`httpx.Timeout`; ``None`` keeps the current one.
            max_retries: ``None`` keeps the current value.
            max_retry_wait: ``None`` keeps the current value.
            throttle: ``True``, ``False``, or a shared budget for the copy alone (a
                :class:`~meetbot_sdk.FileBudget` or :class:`~meetbot_sdk.RedisBudget`);
                ``None`` keeps the current one.
        """
        changes: dict[str, Any] = {}
        if timeout is not None:
            changes["timeout"] = resolve_timeout(timeout)
        if max_retries is not None:
            changes["max_retries"] = _endpoints.check_int("max_retries", max_retries, minimum=0)
        if max_retry_wait is not None:
            changes["max_retry_wait"] = resolve_max_retry_wait(max_retry_wait)
        shared_throttle = self._throttle
        if throttle is not None:
            changes["throttle"] = resolve_throttle(throttle)
            if isinstance(throttle, SharedBudget):
                shared_throttle = self._new_throttle(throttle, self._config)
        clone = type(self).__new__(type(self))
        clone._setup(
            attrs.evolve(self._config, **changes),
            self._http,
            owns_http=False,
            throttle=shared_throttle,
        )
        if "_sleep" in vars(self):
            clone._sleep = self._sleep
        return clone

    def _build_request(self, call: _endpoints.APICall[Any]) -> httpx.Request:
        return self._http.build_request(
            call.method,
            self._config.base_url + call.path,
            params=call.params,
            headers=self._headers,
            timeout=self._config.timeout,
        )

    # --- one attempt, apart from the sending ----------------------------------------------

    def _admitted(self, decision: Admit | Refuse, request: httpx.Request) -> Admit:
        """The throttle's answer: go, or raise the server's own refusal without sending."""
        if isinstance(decision, Admit):
            return decision
        error = status_error(decision.response, secret=self._config.api_key)
        if isinstance(error, RateLimitError):
            error.retry_after = decision.seconds
        logger.info(
            "Not sending %s: the server asked to wait %.1f s more, over max_retry_wait=%g s",
            _target(request),
            decision.seconds,
            self._config.max_retry_wait,
        )
        raise error

    @property
    def _lease_seconds(self) -> float:
        return lease_seconds(self._config.timeout)

    def _log_wait(self, decision: Wait, *, request: httpx.Request) -> None:
        if math.isinf(decision.seconds):
            logger.debug("Holding %s: %s", _target(request), decision.reason)
        else:
            logger.info(
                "Waiting %.2f s before %s: %s", decision.seconds, _target(request), decision.reason
            )

    def _connection_failed(
        self, exc: httpx.RequestError, request: httpx.Request, started: float, attempt: int
    ) -> RetryableError:
        """A failed send becomes the user's error, always worth a retry."""
        error: APIConnectionError
        if isinstance(exc, httpx.TimeoutException):
            error = APITimeoutError(f"Request timed out ({type(exc).__name__})", request=request)
        else:
            detail = str(exc) or type(exc).__name__
            error = APIConnectionError(f"Connection error: {detail}", request=request)
        error.__cause__ = exc
        reason = type(exc).__name__
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s -> %s after %.1f ms (attempt %d)",
                _target(request),
                reason,
                (time.monotonic() - started) * 1000,
                attempt,
            )
        return RetryableError(error, wait=None, target=_target(request), reason=reason)

    def _answered(self, response: httpx.Response, started: float, attempt: int) -> httpx.Response:
        """Pass a 2xx response on; raise a retry signal or the final error otherwise."""
        # httpx binds a response's stream back to the response (to time it): a reference
        # cycle that only the garbage collector frees, so a walk would keep dozens of spent
        # pages alive. The body is read and the stream closed by now; let the stream go.
        response.stream = _SPENT_STREAM
        request = response.request
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s -> %d in %.1f ms (attempt %d)",
                _target(request),
                response.status_code,
                (time.monotonic() - started) * 1000,
                attempt,
            )
        if response.is_success:
            return response
        error = status_error(response, secret=self._config.api_key)
        if response.status_code not in RETRYABLE_STATUSES:
            raise error
        wait = server_wait(response.status_code, rate_headers(response.headers))
        if wait is not None and wait > self._config.max_retry_wait:
            logger.info(
                "Not retrying %s: the server asks to wait %.1f s, over max_retry_wait=%g s",
                _target(request),
                wait,
                self._config.max_retry_wait,
            )
            raise error
        reason = f"{response.status_code} {response.reason_phrase}".rstrip()
        raise RetryableError(error, wait=wait, target=_target(request), reason=reason)

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        if not logger.isEnabledFor(logging.INFO):
            return
        outcome, action = state.outcome, state.next_action
        signal = outcome.exception() if outcome is not None else None
        if not isinstance(signal, RetryableError) or action is None:  # pragma: no cover
            return
        given = " (the wait the server asked for)" if signal.wait is not None else ""
        logger.info(
            "Retrying %s in %.2f s%s, retry %d of %d: %s",
            signal.target,
            action.sleep,
            given,
            state.attempt_number,
            self._config.max_retries,
            signal.reason,
        )

    def _result(
        self,
        call: _endpoints.APICall[T],
        response: httpx.Response,
        *,
        attempts: int,
        started: float,
        raw: bool,
    ) -> T | RawResponse[T]:
        if raw:
            elapsed = datetime.timedelta(seconds=time.monotonic() - started)
            return RawResponse(call, response, retries_taken=attempts - 1, elapsed=elapsed)
        return decode(call, response)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self._config.base_url!r}, "
            f"max_retries={self._config.max_retries})"
        )


async def async_sleep(seconds: float) -> None:
    import asyncio  # loaded already: an event loop is running (see _retry)

    await asyncio.sleep(seconds)


def _target(request: httpx.Request) -> str:
    return f"{request.method} {request.url.raw_path.decode('ascii')}"
