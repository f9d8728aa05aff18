"""The exceptions the SDK raises. Every failure of a call is one of these::

    MeetBotError
    ├── APIConnectionError          the request did not get a response; .request .cause
    │   └── APITimeoutError
    ├── APIResponseValidationError  a 2xx body that is not JSON or does not fit the model,
    │                               or any body over max_response_bytes
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

A connection error is raised ``from None``: its message says what failed, where and after how
many attempts, and the traceback stops at the SDK's own frames instead of running through the
HTTP library's. The library's exception, with its own traceback and chain, stays reachable as
:attr:`APIConnectionError.cause`.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

from meetbot_sdk._constants import MAX_JSON_DEPTH
from meetbot_sdk._decoding._converter import exceeds_depth
from meetbot_sdk._retry import rate_headers, server_wait
from meetbot_sdk._transport._http import is_connect_error, is_timeout_error

if TYPE_CHECKING:
    import httpx

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
    "Secret",
    "UnprocessableEntityError",
    "redact",
]


class MeetBotError(Exception):
    """Base class of every exception the SDK raises on purpose."""


class APIConnectionError(MeetBotError):
    """The request got no response: the connection failed, dropped or timed out.

    ``str(exc)`` names the host, the port and the attempts made, e.g. ``Connection error:
    could not connect to 127.0.0.1:9 after 3 attempts ([Errno 111] Connection refused)``.

    Attributes:
        request: The request that failed (its repr shows no credential).
        cause: The HTTP library's exception behind the last attempt (``httpx.ConnectError``,
            ``httpx.ReadTimeout``, ...), or ``None`` for an error built by hand. It is not
            chained as ``__cause__``, so that a traceback shows the SDK's call and not the
            library's internals; ``traceback.print_exception(exc.cause)`` shows those.
    """

    def __init__(
        self,
        message: str = "Connection error.",
        *,
        request: httpx.Request,
        cause: BaseException | None = None,
    ) -> None:
        super().__init__(message)
        self.request = request
        self.cause = cause


class APITimeoutError(APIConnectionError):
    """The request timed out (connecting, writing, reading or waiting for the pool)."""

    def __init__(
        self,
        message: str = "Request timed out.",
        *,
        request: httpx.Request,
        cause: BaseException | None = None,
    ) -> None:
        super().__init__(message, request=request, cause=cause)


class APIResponseValidationError(MeetBotError):
    """A successful (2xx) response whose body is not JSON or does not fit the model, or a
    response of any status whose body is larger than the client's ``max_response_bytes``
    (then ``body`` is ``None`` and ``response`` has the headers only).

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
        reason = f"{response.status_code} {response.reason_phrase}".rstrip()
        super().__init__(_status_line(reason, message, self.request_id))


def _status_line(reason: str, message: str, request_id: str | None) -> str:
    text = reason
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


# --- the one redaction ------------------------------------------------------------------------
#
# Every text the SDK builds from what a server sent (messages, ``.body``, ``.request_id``, log
# lines), every URL it names (a Redis URL, a base URL in an error) and every message the CLI
# prints passes through :func:`redact` here, so neither a server echoing the credential nor a
# password in a URL can make it leak.
#
# The credential itself travels as a :class:`Secret`: a traceback formatted with its frames'
# locals (pytest --showlocals, rich, IPython's verbose mode, error trackers) shows a local by
# its repr, and a Secret's repr hides the value; redaction code never binds the value to a
# plain local of its own.

_REDACTED = "[redacted]"
# ``scheme://user:password@host``: the userinfo is everything up to the last "@" before the
# path, as URL parsers read it (a password may hold an "@"; a "/", "?" or "#" ends the host).
_URL_USERINFO = re.compile(r"(?<=://)[^\s/?#]*@")
# ``?password=...`` and its kin in a query (redis-py reads ``password`` there).
_URL_QUERY_CREDENTIAL = re.compile(
    r"(?i)([?&;](?:password|passwd|pass|pwd|secret|token|access_token|api_key|apikey|auth)=)"
    r"(?!\[redacted\])[^&;#\s]*"
)


class Secret:
    """A credential that no ``repr``, ``str`` or traceback local shows.

    The clients keep the API key in one and hand it to the redaction below, so a traceback
    formatted with locals shows ``Secret('[redacted]')`` wherever the key is passed.
    """

    __slots__ = ("_pattern", "_value")

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"api_key must be a str, got {type(value).__name__}")
        self._value = value
        self._pattern: re.Pattern[str] | None = None

    def __repr__(self) -> str:
        return f"Secret({_REDACTED!r})"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def reveal(self) -> str:
        """The credential itself, for the ``Authorization`` header and fingerprints."""
        return self._value

    def redact(self, text: str) -> str:
        """``text`` with the credential (also percent-encoded) replaced by ``[redacted]``."""
        if not self._value:
            return text
        if self._pattern is None:  # the forms, longest first; never bound to a local
            self._pattern = re.compile(
                "|".join(
                    map(
                        re.escape,
                        sorted(
                            {
                                self._value,
                                quote(self._value, safe=""),
                                quote_plus(self._value, safe=""),
                            },
                            key=len,
                            reverse=True,
                        ),
                    )
                )
            )
        return self._pattern.sub(_REDACTED, text)


def redact(text: str, secret: Secret | None = None) -> str:
    """``text`` with the credentials of any URL in it (``user:password@``, ``?password=``)
    shown as ``***`` and, if given, ``secret`` (also percent-encoded) as ``[redacted]``."""
    if secret is not None:  # first: a key in a URL reads "[redacted]", whatever holds it
        text = secret.redact(text)
    if "://" in text:
        text = _URL_USERINFO.sub("***@", text)
    if "=" in text:
        text = _URL_QUERY_CREDENTIAL.sub(r"\1***", text)
    return text


def redact_value(value: object, secret: Secret) -> object:
    """Decoded JSON with the credential redacted from every string, keys included."""
    if not secret:
        return value
    if isinstance(value, str):
        return secret.redact(value)
    if isinstance(value, list):
        return [redact_value(item, secret) for item in value]
    if isinstance(value, dict):
        return {secret.redact(str(k)): redact_value(v, secret) for k, v in value.items()}
    return value


# --- from a response to an exception ---------------------------------------------------------
# Summaries look at a bounded window of the body with linear-time scans: a hostile page
# of any size costs milliseconds.

_EXCERPT_LENGTH = 200
_SUMMARY_WINDOW = 16_384  # characters of a body looked at for its message
_LOCATION_LENGTH = 200
# Linear scans: a tag ends at the next ``<`` or ``>``, so no position is scanned twice.
_TAG = re.compile(r"<[^<>]*>")
_CUT_TAG = re.compile(r"<[^<>]*\Z")  # a tag the window cut in two
_TITLE_OPEN = re.compile(r"<title[^<>]*>", re.IGNORECASE)
_TITLE_CLOSE = re.compile(r"</title", re.IGNORECASE)


def status_error(response: httpx.Response, *, secret: Secret, hint: str = "") -> APIStatusError:
    """The typed exception for a non-2xx response, its message taken from any body shape.

    Args:
        response: The non-2xx response, read.
        secret: The credential, redacted from everything the exception shows.
        hint: What to check, appended to ``str(exc)`` (not to ``.message``, the server's).
    """
    body, message = _read_body(response, secret)
    if response.is_redirect:
        location = redact(response.headers.get("location", ""), secret)
        if len(location) > _LOCATION_LENGTH:
            location = location[: _LOCATION_LENGTH - 3] + "..."
        message = f"unexpected redirect to {location!r}; the SDK does not follow redirects"
    cls = status_error_class(response.status_code)
    kwargs: dict[str, Any] = {}
    if cls is RateLimitError:
        kwargs["retry_after"] = server_wait(429, rate_headers(response.headers))
    error = cls(message, response=response, body=body, **kwargs)
    _redact_error(error, secret)
    if hint:
        error.args = (f"{error.args[0]} ({redact(hint, secret)})",)
    return error


def validation_error(
    message: str, *, response: httpx.Response, body: object, path: str = "", secret: Secret
) -> APIResponseValidationError:
    """:class:`APIResponseValidationError` with the credential redacted from what it shows."""
    error = APIResponseValidationError(
        redact(message, secret),
        response=response,
        body=redact_value(body, secret),
        path=redact(path, secret),
    )
    _redact_error(error, secret)
    return error


def connection_error(
    exc: httpx.RequestError, *, request: httpx.Request, secret: Secret, attempts: int = 1
) -> APIConnectionError:
    """The SDK's error for a failed send: where it went, after how many attempts, and the
    library's wording, redacted (in the library's exception, kept as ``cause``, too).

    Args:
        exc: The HTTP library's exception.
        request: The request that failed.
        secret: The credential, redacted from everything the exception shows.
        attempts: How many attempts the call made, this one included.
    """
    where = host_and_port(request)
    tries = f"{attempts} attempt" + ("" if attempts == 1 else "s")
    error: APIConnectionError
    if is_timeout_error(exc):
        error = APITimeoutError(
            f"Request timed out: no response from {where} after {tries} ({type(exc).__name__})",
            request=request,
            cause=exc,
        )
        return error
    detail = str(exc)
    shown = redact(detail, secret)
    if shown != detail:
        exc.args = tuple(redact(a, secret) if isinstance(a, str) else a for a in exc.args)
    if is_connect_error(exc):
        what = f"could not connect to {where}"
    else:
        what = f"the connection to {where} failed"
    message = f"Connection error: {what} after {tries} ({shown or type(exc).__name__})"
    return APIConnectionError(redact(message, secret), request=request, cause=exc)


def host_and_port(request: httpx.Request) -> str:
    """``api.meetbot.dev:443``, ``127.0.0.1:9``, ``[::1]:8080``: where the request went."""
    url = request.url
    host = url.host
    if ":" in host:
        host = f"[{host}]"
    port = url.port or {"https": 443, "http": 80}.get(url.scheme)
    return host if port is None else f"{host}:{port}"


def status_reason(response: httpx.Response, secret: Secret) -> str:
    """``"503 Service Unavailable"``: the status line as the server sent it, redacted."""
    return redact(f"{response.status_code} {response.reason_phrase}".rstrip(), secret)


def _redact_error(error: APIStatusError | APIResponseValidationError, secret: Secret) -> None:
    request_id = error.request_id
    if request_id is not None and secret:
        error.request_id = redact(request_id, secret)
    if isinstance(error, APIStatusError):
        error.message = redact(error.message, secret)
        reason = status_reason(error.response, secret)
        error.args = (redact(_status_line(reason, error.message, error.request_id), secret),)


def _read_body(response: httpx.Response, secret: Secret) -> tuple[object, str]:
    """The body (JSON-decoded when possible) and the server's message in it, redacted."""
    content = response.content
    if not content.strip():
        return None, ""
    too_deep = False
    try:
        body: object = json.loads(content)
    except RecursionError:  # nested deeper than Python's stack goes
        too_deep = True
    except ValueError:
        return _as_text(content, secret)
    else:
        too_deep = exceeds_depth(body)
    if too_deep:  # no payload of the API nests so: kept as text, not walked
        text, _ = _as_text(content, secret)
        return text, f"the body is JSON nested deeper than {MAX_JSON_DEPTH} levels"
    body = redact_value(body, secret)
    return body, _json_message(body, content, secret)


def _as_text(content: bytes, secret: Secret) -> tuple[str, str]:
    text = secret.redact(content.decode("utf-8", errors="replace"))  # .body: as sent, but the key
    return text, _excerpt(text)


def _json_message(body: object, content: bytes, secret: Secret) -> str:
    """``{"detail": ...}``, ``{"error": {"message": ...}}`` or ``{"message": ...}``."""
    if isinstance(body, dict):
        detail = body.get("detail")
        if isinstance(detail, list):  # a list of validation problems, FastAPI style
            parts = [d.get("msg") if isinstance(d, dict) else d for d in detail[:20]]
            return _excerpt("; ".join(str(p) for p in parts if p))
        error = body.get("error")
        if isinstance(error, dict):
            error = error.get("message")
        for candidate in (detail, error, body.get("message")):
            if isinstance(candidate, str):
                return _excerpt(candidate) if len(candidate) > _EXCERPT_LENGTH else candidate
    if len(content) > _SUMMARY_WINDOW:  # only its start is shown: no need to encode it all
        return _excerpt(secret.redact(content.decode("utf-8", errors="replace")))
    return _excerpt(json.dumps(body))


def _excerpt(text: str) -> str:
    """A one-line excerpt of a body: an HTML page's title, or its first words.

    Looks at the first :data:`_SUMMARY_WINDOW` characters only, in linear time.
    """
    if len(text) > _SUMMARY_WINDOW:
        text = _CUT_TAG.sub("", text[:_SUMMARY_WINDOW])
    title = _TITLE_OPEN.search(text)
    if title:
        close = _TITLE_CLOSE.search(text, title.end())
        if close:
            text = text[title.end() : close.start()]
    text = " ".join(_TAG.sub(" ", text).split())
    if len(text) > _EXCERPT_LENGTH:
        text = text[: _EXCERPT_LENGTH - 3] + "..."
    return text
