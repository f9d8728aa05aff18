"""From a successful response to a model, and the raw-response view of a call."""

from __future__ import annotations

import datetime
import json
from typing import TYPE_CHECKING, Generic, TypeVar

from meetbot_sdk import _endpoints
from meetbot_sdk._decoding._converter import (
    MAX_JSON_DEPTH,
    DecodeError,
    exceeds_depth,
    explain,
    structure,
    structure_json,
)
from meetbot_sdk._exceptions import Secret, redact_value, validation_error

if TYPE_CHECKING:
    import httpx

__all__ = ["RawResponse", "decode"]

T = TypeVar("T")


def decode(call: _endpoints.APICall[T], response: httpx.Response, *, secret: Secret) -> T:
    """The model in a 2xx response's body, or :class:`APIResponseValidationError`.

    Only a failure pays for the guards: the depth check and the redaction of ``secret``
    (the credential) from the message and ``.body``.
    """
    model = structure_json(response.content, call.model)
    if model is not None:
        return model
    try:
        body = json.loads(response.content)
    except RecursionError:
        raise validation_error(
            f"{response.status_code} response to {call.method} {call.path} is JSON nested "
            f"deeper than {MAX_JSON_DEPTH} levels",
            response=response,
            body=None,
            secret=secret,
        ) from None
    except ValueError:  # JSONDecodeError and UnicodeDecodeError alike
        raise validation_error(
            f"{response.status_code} response to {call.method} {call.path} is not valid JSON",
            response=response,
            body=None,
            secret=secret,
        ) from None
    try:
        return structure(body, call.model)
    except DecodeError as exc:
        problem = exc
    if exceeds_depth(body):
        body = None  # nothing to show, and too deep to walk safely
    else:  # word the problem from the redacted body: no excerpt then shows the key
        problem = explain(redact_value(body, secret), call.model)
    raise validation_error(
        f"response does not fit {call.model.__name__}: {problem}",
        response=response,
        body=body,
        path=problem.path,
        secret=secret,
    )


class RawResponse(Generic[T]):
    """A successful response before decoding, from ``client.<resource>.with_raw_response``.

    Non-2xx statuses still raise (see :doc:`errors`); what this adds is the HTTP view:
    headers, the request id, how many retries the call took and how long it lasted.

    Example:
        >>> raw = client.analytics.with_raw_response.get(period="7d")  # doctest: +SKIP
        >>> raw.headers["x-ratelimit-remaining"], raw.retries_taken  # doctest: +SKIP
        ('58', 0)
        >>> analytics = raw.parse()  # doctest: +SKIP
    """

    def __init__(
        self,
        call: _endpoints.APICall[T],
        response: httpx.Response,
        *,
        retries_taken: int,
        elapsed: datetime.timedelta,
        secret: Secret,
    ) -> None:
        self._call = call
        self._secret = secret
        self._response = response
        self._retries_taken = retries_taken
        self._elapsed = elapsed
        self._parsed: list[T] = []

    def parse(self) -> T:
        """Decode the body into the model the method returns (once; later calls reuse it).

        Raises:
            APIResponseValidationError: The body is not JSON or does not fit the model.
        """
        if not self._parsed:
            self._parsed.append(decode(self._call, self._response, secret=self._secret))
        return self._parsed[0]

    @property
    def http_response(self) -> httpx.Response:
        """The underlying :class:`httpx.Response` of the last attempt."""
        return self._response

    @property
    def headers(self) -> httpx.Headers:
        """The response headers (case-insensitive)."""
        return self._response.headers

    @property
    def status_code(self) -> int:
        """The HTTP status code (2xx)."""
        return self._response.status_code

    @property
    def request_id(self) -> str | None:
        """The ``X-Request-Id`` header, when the server sent one."""
        request_id: str | None = self._response.headers.get("x-request-id")
        return request_id

    @property
    def retries_taken(self) -> int:
        """How many times the request was retried before this response (0: first try)."""
        return self._retries_taken

    @property
    def elapsed(self) -> datetime.timedelta:
        """The whole call: every attempt, and every backoff or rate-limit wait between them."""
        return self._elapsed

    def __repr__(self) -> str:
        request = self._response.request
        return (
            f"<RawResponse [{self.status_code}] {request.method} {self._call.path} "
            f"retries_taken={self._retries_taken}>"
        )
