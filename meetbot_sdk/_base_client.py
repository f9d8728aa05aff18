"""``BaseClient``: everything a client does that is not I/O — holding the configuration
and the shared throttle, building requests, judging each attempt's outcome (retry, raise or
pass on), logging, decoding. :mod:`meetbot_sdk._client` adds the sending and the waiting.
"""

from __future__ import annotations

import datetime
import logging
import math
import sys
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar, cast

import attrs

from meetbot_sdk import _endpoints
from meetbot_sdk._config import (
    Config,
    make_config,
    resolve_max_response_bytes,
    resolve_max_retry_wait,
    resolve_throttle,
    resolve_timeout,
)
from meetbot_sdk._constants import DEFAULT_BASE_URL
from meetbot_sdk._decoding._response import RawResponse, decode
from meetbot_sdk._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    MeetBotError,
    RateLimitError,
    Secret,
    connection_error,
    host_and_port,
    redact,
    status_error,
    status_reason,
    validation_error,
)
from meetbot_sdk._ratelimit._budgets import SharedBudget, budget_key
from meetbot_sdk._ratelimit._throttle import Admit, RateLimit, Refuse, Throttle, Wait, lease_seconds
from meetbot_sdk._retry import (
    RETRYABLE_STATUSES,
    RetryableError,
    rate_headers,
    server_wait,
)
from meetbot_sdk._transport._bounds import BodyTooLarge, attempt_deadline
from meetbot_sdk._transport._http import (
    Backend,
    backend_for,
    check_library,
    chosen_backend,
    refuse_mixed_client,
    why_chosen,
)
from meetbot_sdk._transport._http import logger as http_logger
from meetbot_sdk._transport._pools import new_pool
from meetbot_sdk._transport._proxy import refuse_proxy_in_clear
from meetbot_sdk._utils._checks import check_int
from meetbot_sdk._utils._clock import CLOCK
from meetbot_sdk._utils._logs import logger, setup_from_env

if TYPE_CHECKING:
    import httpx
    import httpx2
    import tenacity

    if sys.version_info >= (3, 11):
        from typing import Self
    else:
        from typing_extensions import Self

__all__ = ["BaseClient", "T"]

T = TypeVar("T")

setup_from_env()
_HttpT = TypeVar("_HttpT", "httpx.Client", "httpx.AsyncClient")


class BaseClient(Generic[_HttpT]):
    """Configuration, request building and response handling: everything but sending."""

    _asynchronous: ClassVar[bool]
    _resource_classes: ClassVar[dict[str, type]]
    _config: Config
    # The HTTP library of ``_http``: every request, timeout and error check uses its classes.
    _backend: Backend
    _http: _HttpT
    _owns_http: bool
    _throttle: Throttle
    _headers: dict[str, str]
    # The headers of every request when the SDK created the pool, else None (see _build_request).
    _pool_headers: httpx.Headers | None
    # How to wait between attempts: on the SDK's clock (see _clock), so instant in tests.
    _sleep: Callable[[float], Any]
    # Set on a copy whose waits must give up once a walk stops (a pager's read-ahead).
    _stop: threading.Event | None

    def __init__(
        self,
        api_key: Secret | None,
        *,
        base_url: str | httpx.URL | httpx2.URL | None,
        timeout: float | httpx.Timeout | httpx2.Timeout,
        max_retries: int,
        max_retry_wait: float,
        throttle: bool | SharedBudget,
        http_client: httpx.Client | httpx.AsyncClient | httpx2.Client | httpx2.AsyncClient | None,
        http_library: str | None = None,
        max_response_bytes: int,
    ) -> None:
        if http_client is None:
            backend = chosen_backend(http_library)
        else:
            backend = self._backend_of(http_client, http_library)
        config = make_config(
            api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
            throttle=throttle,
            max_response_bytes=max_response_bytes,
            backend=backend,
        )
        if http_client is not None:
            refuse_proxy_in_clear(http_client, config.base_url, backend)
            # Typed as httpx's: the libraries are the same API (see meetbot_sdk._transport._http).
            http, owns_http = cast("_HttpT", http_client), False
        else:
            http, owns_http = self._new_pool(config, backend), True
        http_logger.debug(
            "%s on %s %s (%s)",
            type(self).__name__,
            backend.name,
            backend.version,
            "the library of the http_client given"
            if http_client is not None
            else why_chosen(http_library),
        )
        self._setup(
            config,
            http,
            backend,
            owns_http=owns_http,
            throttle=self._new_throttle(throttle, config),
            in_flight=set(),
        )
        if owns_http:
            self._pool_headers = self._headers_of_pool()

    @classmethod
    def _new_pool(cls, config: Config, backend: Backend) -> _HttpT:
        """A pool of ``backend``'s library that the client creates (and so closes).

        Proxy policy: environment proxies (HTTP_PROXY, ALL_PROXY) are honoured for https
        only, where a proxy tunnels TLS and never sees the token; a plain-http base URL is
        loopback, and the token goes nowhere else.
        """
        plain = config.base_url.startswith("http://")
        pool = new_pool(
            backend, asynchronous=cls._asynchronous, timeout=config.timeout, trust_env=not plain
        )
        return cast("_HttpT", pool)

    def _headers_of_pool(self) -> httpx.Headers:
        headers = self._backend.Headers(self._http.headers)
        headers.update(self._headers)
        return headers

    def _new_throttle(self, throttle: bool | SharedBudget, config: Config) -> Throttle:
        if not isinstance(throttle, SharedBudget):
            return Throttle()
        throttle.check_client(asynchronous=self._asynchronous)
        return Throttle(store=throttle, key=budget_key(config.base_url, config.api_key))

    @classmethod
    def _over_transport(cls, transport: Any, **options: Any) -> Self:
        """A client that owns a pool sending through ``transport`` (the testing kit's fake).

        Like ``cls(http_client=...)``, except that closing the client closes that pool.
        """
        backend = backend_for(transport) or chosen_backend()
        http_class = backend.client_class(asynchronous=cls._asynchronous)
        http = http_class(transport=transport, follow_redirects=False, trust_env=False)
        client = cls(http_client=cast("_HttpT", http), **options)
        client._owns_http = True
        return client

    @classmethod
    def _backend_of(cls, http_client: object, http_library: object = None) -> Backend:
        """The library of an injected ``http_client``: a TypeError for anything but a client
        of either library, a ValueError for a client that mixes the two or contradicts
        ``http_library``."""
        backend = backend_for(http_client)
        kind = "AsyncClient" if cls._asynchronous else "Client"
        if backend is None or not isinstance(
            http_client, backend.client_class(asynchronous=cls._asynchronous)
        ):
            raise TypeError(
                f"http_client must be an httpx.{kind} (or an httpx2.{kind}), "
                f"got {type(http_client).__name__}"
            )
        if http_library is not None and check_library(http_library) != backend.name:
            raise ValueError(
                f"http_library={http_library!r} contradicts the http_client given, an "
                f"{backend.name}.{kind}: pass one or the other (the client's library is used "
                "throughout)"
            )
        refuse_mixed_client(http_client, backend)
        return backend

    def _setup(
        self,
        config: Config,
        http: _HttpT,
        backend: Backend,
        *,
        owns_http: bool,
        throttle: Throttle,
        in_flight: set[Any],
        stop: threading.Event | None = None,
    ) -> None:
        self._config = config
        self._stop = stop
        # The read-ahead fetches of every walk over this pool (async only), shared by every
        # copy: closing the pool stops them first.
        self._in_flight = in_flight
        self._http = http
        self._backend = backend
        self._owns_http = owns_http
        self._throttle = throttle
        self._pool_headers = None
        self._timeout_extension = config.timeout.as_dict()
        # Seconds one attempt may take in all (see meetbot_sdk._transport._bounds).
        self._deadline = attempt_deadline(config.timeout)
        self._request_url = backend.url_joiner(config.base_url)
        self._headers = {
            "Authorization": f"Bearer {config.api_key}",
            "User-Agent": backend.user_agent,
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
    def max_response_bytes(self) -> int:
        """The largest response body the client reads; a larger one raises at once."""
        return self._config.max_response_bytes

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
        timeout: float | httpx.Timeout | httpx2.Timeout | None = None,
        max_retries: int | None = None,
        max_retry_wait: float | None = None,
        throttle: bool | SharedBudget | None = None,
        http_library: Literal["httpx", "httpx2"] | None = None,
        max_response_bytes: int | None = None,
    ) -> Self:
        """Return a copy of the client with some options changed.

        The copy shares the connection pool, the credential and the rate-limit budget of
        this client, so it is cheap: make one per call site that needs a different timeout.
        Closing the copy leaves the pool open; closing the client that created the pool
        closes it for every copy.

        Args:
            timeout: Seconds, or a ``Timeout`` of httpx or httpx2 (converted to the
                client's library); ``None`` keeps the current one.
            max_retries: ``None`` keeps the current value.
            max_retry_wait: ``None`` keeps the current value.
            throttle: ``True``, ``False``, or a shared budget for the copy alone (a
                :class:`~meetbot_sdk.FileBudget` or :class:`~meetbot_sdk.RedisBudget`);
                ``None`` keeps the current one.
            http_library: ``"httpx"`` or ``"httpx2"``; ``None`` keeps the current one. A
                pool cannot serve two libraries, so a copy on the other library creates a
                pool of its own, which it closes when it is closed (use it in a ``with``
                block). Refused for a client given an ``http_client``.
            max_response_bytes: ``None`` keeps the current value.
        """
        backend = self._backend
        if http_library is not None:
            backend = chosen_backend(http_library)
            if backend is not self._backend and self._pool_headers is None:
                raise ValueError(
                    f"with_options(http_library={http_library!r}): this client sends through "
                    f"an {self._backend.name} client given to it (http_client=, or the testing "
                    "kit's), which a copy cannot change; make a new client on the other "
                    "library instead"
                )
        changes: dict[str, Any] = {}
        if timeout is not None:
            changes["timeout"] = resolve_timeout(timeout, backend)
        elif backend is not self._backend:
            changes["timeout"] = resolve_timeout(self._config.timeout, backend)
        if max_retries is not None:
            changes["max_retries"] = check_int("max_retries", max_retries, minimum=0)
        if max_retry_wait is not None:
            changes["max_retry_wait"] = resolve_max_retry_wait(max_retry_wait)
        if max_response_bytes is not None:
            changes["max_response_bytes"] = resolve_max_response_bytes(max_response_bytes)
        shared_throttle = self._throttle
        if throttle is not None:
            changes["throttle"] = resolve_throttle(throttle)
            if isinstance(throttle, SharedBudget):
                shared_throttle = self._new_throttle(throttle, self._config)
        return self._copy(changes, throttle=shared_throttle, stop=self._stop, backend=backend)

    def _copy(
        self,
        changes: Mapping[str, Any] | None = None,
        *,
        throttle: Throttle | None = None,
        stop: threading.Event | None = None,
        backend: Backend | None = None,
    ) -> Self:
        """The one way to make a copy: the same pool, credential and walks in flight.

        ``changes`` are new config values; ``throttle`` defaults to this client's; a copy
        with a ``stop`` event gives up its retry sleeps and rate-limit waits once it is set
        (a pager's read-ahead makes one so; :meth:`with_options` passes its own on). A copy
        on another ``backend`` (library) cannot share the pool: it makes and owns its own.
        """
        config = attrs.evolve(self._config, **(changes or {}))
        clone = type(self).__new__(type(self))
        shared = backend is None or backend is self._backend
        library = self._backend if backend is None else backend
        clone._setup(
            config,
            self._http if shared else self._new_pool(config, library),
            library,
            owns_http=not shared,
            throttle=self._throttle if throttle is None else throttle,
            in_flight=self._in_flight if shared else set(),
            stop=stop,
        )
        clone._pool_headers = self._pool_headers if shared else clone._headers_of_pool()
        return clone

    def _build_request(self, call: _endpoints.APICall[Any]) -> httpx.Request:
        if self._pool_headers is not None:
            # A pool the SDK created has fixed headers and no use for cookies: build the
            # request directly, at under half the CPU of build_request's merging (which
            # parses the URL twice and copies the client's headers and cookies every time).
            # The same request either way; test_build_request holds the two to it.
            backend = self._backend
            query = backend.urlencode(call.params) if call.params else None
            return backend.Request(
                call.method,
                self._request_url(call.path, query),
                headers=self._pool_headers,
                extensions={"timeout": self._timeout_extension},
            )
        # An injected client's headers, cookies and params apply, as they may change any time.
        return self._http.build_request(
            call.method,
            self._config.base_url + call.path,
            params=call.params,
            headers=self._headers,
            timeout=self._config.timeout,
        )

    # --- one attempt, apart from the sending ----------------------------------------------

    def _check_open(self) -> None:
        if self._http.is_closed:
            raise MeetBotError(
                f"this {type(self).__name__} is closed (close() was called, its with-block "
                "ended, or the http_client given to it was closed); create a new client"
            )

    def _admitted(self, decision: Admit | Refuse, request: httpx.Request) -> Admit:
        """The throttle's answer: go, or raise the server's own refusal without sending."""
        if isinstance(decision, Admit):
            return decision
        # A refusal recorded by a shared budget is made with httpx's classes (the default library).
        error = self._status_error(self._backend.response(decision.response, request))
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
        error = connection_error(exc, request=request, secret=self._secret, attempts=attempt)
        reason = type(exc).__name__
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s -> %s after %.1f ms (attempt %d)",
                _target(request),
                reason,
                (CLOCK.monotonic() - started) * 1000,
                attempt,
            )
        return RetryableError(error, wait=None, target=_target(request), reason=reason)

    def _deadline_passed(
        self, request: httpx.Request, started: float, attempt: int
    ) -> RetryableError:
        """An attempt past its deadline: a timeout, retried as one."""
        seconds = cast("float", self._deadline)
        tries = f"{attempt} attempt" + ("" if attempt == 1 else "s")
        error = APITimeoutError(
            f"Request timed out: no whole response from {host_and_port(request)} after {tries}"
            f" (an attempt took longer than {seconds:g} s, the sum of the timeout's pool,"
            " connect, write and read parts)",
            request=request,
        )
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s -> past its %g s deadline after %.1f ms (attempt %d)",
                _target(request),
                seconds,
                (CLOCK.monotonic() - started) * 1000,
                attempt,
            )
        return RetryableError(
            error, wait=None, target=_target(request), reason="the attempt's deadline passed"
        )

    def _too_large(self, exc: BodyTooLarge, response: httpx.Response) -> APIResponseValidationError:
        """A body over ``max_response_bytes``: refused, never retried (it would be again)."""
        limit = self._config.max_response_bytes
        request = response.request
        named = f"max_response_bytes={limit} ({_size(limit)})"
        if exc.announced is not None:
            what = f"announces {exc.announced} bytes (Content-Length), over {named}"
            what += "; its body was not read"
        else:
            what = f"is larger than {named}; reading stopped there"
        empty = self._backend.Response(
            response.status_code,
            request=request,
            extensions=response.extensions,
        )
        empty.headers = response.headers
        return validation_error(
            f"{response.status_code} response to {_target(request)} {what}. Pass a larger "
            "max_response_bytes= to the client (or to with_options()) to accept it",
            response=empty,
            body=None,
            secret=self._secret,
        )

    def _bad_redirect(self, exc: Exception, request: httpx.Request) -> APIConnectionError:
        """A redirect whose ``Location`` is no URL: the library refuses it while answering
        (it prepares every redirect, even one not followed), so no response is left to show.
        Not retried: the server would answer the same."""
        return APIConnectionError(
            f"Connection error: {host_and_port(request)} answered with a redirect to a Location"
            f" that is not a URL ({redact(str(exc), self._secret)}); the SDK follows no redirect",
            request=request,
            cause=exc,
        )

    def _answered(self, response: httpx.Response, started: float, attempt: int) -> httpx.Response:
        """Pass a 2xx response on; raise a retry signal or the final error otherwise."""
        # httpx binds a response's stream back to the response (to time it): a reference
        # cycle that only the garbage collector frees, so a walk would keep dozens of spent
        # pages alive. The body is read and the stream closed by now; let the stream go.
        response.stream = self._backend.spent_stream
        request = response.request
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s -> %d in %.1f ms (attempt %d)",
                _target(request),
                response.status_code,
                (CLOCK.monotonic() - started) * 1000,
                attempt,
            )
        if response.is_success:
            return response
        error = self._status_error(response)
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
        reason = status_reason(response, self._secret)
        raise RetryableError(error, wait=wait, target=_target(request), reason=reason)

    def _status_error(self, response: httpx.Response) -> APIStatusError:
        hint = ""
        if response.status_code == 404 and str(response.request.url).startswith(
            self._config.base_url + _ACCOUNT_PATHS
        ):
            # /users/me/... always exists: a 404 there means the base URL is wrong.
            hint = (
                f"check base_url={self._config.base_url!r}: it must end in the API's version "
                f"prefix, as in {DEFAULT_BASE_URL!r}"
            )
        return status_error(response, secret=self._secret, hint=hint)

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
            elapsed = datetime.timedelta(seconds=CLOCK.monotonic() - started)
            return RawResponse(
                call,
                response,
                retries_taken=attempts - 1,
                elapsed=elapsed,
                secret=self._secret,
            )
        return decode(call, response, secret=self._secret)

    @property
    def _secret(self) -> Secret:
        """The API key, for the redaction: in a Secret, so no traceback local shows it."""
        return Secret(self._config.api_key)

    def __repr__(self) -> str:
        config = getattr(self, "_config", None)
        if config is None:  # a client whose construction failed, in a traceback's locals
            return f"<{type(self).__name__}: not constructed>"
        return (
            f"{type(self).__name__}(base_url={config.base_url!r}, "
            f"max_retries={config.max_retries}, http_library={self._backend.name!r})"
        )


_ACCOUNT_PATHS = "/users/me/"


def _size(limit: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if limit >= size:
            return f"{limit / size:.3g} {unit}"
    return f"{limit} bytes"


def _target(request: httpx.Request) -> str:
    return f"{request.method} {request.url.raw_path.decode('ascii')}"
