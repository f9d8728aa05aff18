"""The exceptions the SDK raises. Every failure of a call is one of these::

    MeetBotError
    ├── APIConnectionError          the request did not get a response; .request
    │   └── APITimeoutError
    ├── APIResponseValidationError  a 2xx body that is not JSON or does not fit the model
    └── APIStatusError              a non-2xx response; .status_code .response .body .message
        │                           .request_id
        ├── BadRequestError             400
        ├── AuthenticationError         401
        ├── PermissionDeniedError       403
        ├── NotFoundError               404
        ├── ConflictError               409
        ├── UnprocessableEntityError    422
        ├── RateLimitError              429; .retry_after
        └── InternalServerError         >= 500

Invalid arguments are not API errors: they raise :class:`ValueError` or :class:`TypeError`
before any request is sent.
"""

from __future__ import annotations

import json
import re

import httpx

from meetbot_sdk._retry import rate_headers, server_wait

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "InternalServerError",
    "MeetBotError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnprocessableEntityError",
]


class MeetBotError(Exception):
    """Base class of every exception the SDK raises on purpose."""


class APIConnectionError(MeetBotError):
    """The request got no response: the connection failed, dropped or timed out.

    Attributes:
        request: The request that failed (its repr shows no credential).
    """

    def __init__(self, message: str = "Connection error.", *, request: httpx.Request) -> None:
        super().__init__(message)
        self.request = request


class APITimeoutError(APIConnectionError):
    """The request timed out (connecting, writing, reading or waiting for the pool)."""

    def __init__(self, message: str = "Request timed out.", *, request: httpx.Request) -> None:
        super().__init__(message, request=request)


class APIResponseValidationError(MeetBotError):
    """A successful (2xx) response whose body is not JSON or does not fit the model.

    Attributes:
        response: The HTTP response.
        status_code: Its status code.
        body: The decoded JSON body, or ``None`` when it was not JSON.
        path: The offending field as the wire spells it (``"logs[3].createdAt"``), or ``""``
            when the body as a whole is wrong.
        request_id: The ``X-Request-Id`` header, when the server sent one.
    """

    def __init__(
        self, message: str, *, response: httpx.Response, body: object, path: str = ""
    ) -> None:
        super().__init__(message)
        self.response = response
        self.status_code = response.status_code
        self.body = body
        self.path = path
        self.request_id: str | None = response.headers.get("x-request-id")


class APIStatusError(MeetBotError):
    """The API answered with a non-2xx status.

    ``str(exc)`` reads like ``404 Not Found: API key 99 not found (request_id=req_7)``.

    Attributes:
        status_code: The HTTP status code.
        response: The HTTP response.
        body: The decoded JSON body, the text of a non-JSON body, or ``None`` when empty.
        message: The server's message (from ``detail``, ``error.message`` or ``message``),
            or a short excerpt of a non-JSON body.
        request_id: The ``X-Request-Id`` header, when the server sent one.
    """

    def __init__(self, message: str, *, response: httpx.Response, body: object) -> None:
        self.status_code = response.status_code
        self.response = response
        self.body = body
        self.message = message
        self.request_id: str | None = response.headers.get("x-request-id")
        super().__init__(_status_line(response, message, self.request_id))


def _status_line(response: httpx.Response, message: str, request_id: str | None) -> str:
    text = f"{response.status_code} {response.reason_phrase}".rstrip()
    if message:
        text += f": {message}"
    if request_id:
        text += f" (request_id={request_id})"
    return text


class BadRequestError(APIStatusError):
    """400: the request was malformed."""


class AuthenticationError(APIStatusError):
    """401: the credential is missing, wrong or revoked."""


class PermissionDeniedError(APIStatusError):
    """403: the credential may not do this."""


class NotFoundError(APIStatusError):
    """404: no such resource (for example an API key id that is not the account's)."""


class ConflictError(APIStatusError):
    """409: a conflict on the server (for this API, usually a lock that timed out)."""


class UnprocessableEntityError(APIStatusError):
    """422: the server refused the parameters."""


class RateLimitError(APIStatusError):
    """429: too many requests.

    Attributes:
        retry_after: Seconds the server asked to wait before retrying (``Retry-After``,
            ``retry-after-ms`` or a rate-limit reset header), or ``None`` when it did not say.
    """

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: object,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, response=response, body=body)
        self.retry_after = retry_after


class InternalServerError(APIStatusError):
    """A 5xx status: the server or a proxy in front of it failed."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status_code: int) -> type[APIStatusError]:
    """The exception class for a non-2xx status code."""
    if status_code >= 500:
        return InternalServerError
    return _BY_STATUS.get(status_code, APIStatusError)


# --- from a response to an exception ---------------------------------------------------------

_EXCERPT_LENGTH = 200
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_REDACTED = "[redacted]"


def status_error(response: httpx.Response, *, secret: str) -> APIStatusError:
    """The typed exception for a non-2xx response, its message taken from any body shape.

    ``secret`` (the credential) is redacted from the message should the server echo it.
    """
    body, message = _read_body(response)
    if secret:
        body, message = _redact(body, secret), message.replace(secret, _REDACTED)
    if response.is_redirect:
        location = response.headers.get("location", "")
        message = f"unexpected redirect to {location!r}; the SDK does not follow redirects"
    cls = status_error_class(response.status_code)
    if cls is RateLimitError:
        return RateLimitError(
            message,
            response=response,
            body=body,
            retry_after=server_wait(429, rate_headers(response.headers)),
        )
    return cls(message, response=response, body=body)


def _redact(value: object, secret: str) -> object:
    """``value`` with every occurrence of ``secret`` in its strings replaced."""
    if isinstance(value, str):
        return value.replace(secret, _REDACTED)
    if isinstance(value, list):
        return [_redact(item, secret) for item in value]
    if isinstance(value, dict):
        return {key: _redact(item, secret) for key, item in value.items()}
    return value


def _read_body(response: httpx.Response) -> tuple[object, str]:
    """The body (JSON-decoded when possible) and the server's message in it."""
    content = response.content
    if not content.strip():
        return None, ""
    try:
        body: object = json.loads(content)
    except ValueError:
        text = content.decode("utf-8", errors="replace")
        return text, _excerpt(text)
    return body, _json_message(body)


def _json_message(body: object) -> str:
    """``{"detail": ...}``, ``{"error": {"message": ...}}`` or ``{"message": ...}``."""
    if isinstance(body, dict):
        detail = body.get("detail")
        if isinstance(detail, list):  # a list of validation problems, FastAPI style
            parts = [d.get("msg") if isinstance(d, dict) else d for d in detail]
            return "; ".join(str(p) for p in parts if p)
        error = body.get("error")
        if isinstance(error, dict):
            error = error.get("message")
        for candidate in (detail, error, body.get("message")):
            if isinstance(candidate, str):
                return candidate
    return _excerpt(json.dumps(body))


def _excerpt(text: str) -> str:
    """A one-line excerpt of a non-JSON body: an HTML page's title, or its first words."""
    title = _TITLE.search(text)
    if title:
        text = title.group(1)
    text = " ".join(_TAG.sub(" ", text).split())
    if len(text) > _EXCERPT_LENGTH:
        text = text[: _EXCERPT_LENGTH - 3] + "..."
    return text
