"""The one seam to the HTTP library: ``httpx`` or its maintained continuation ``httpx2``.

Both have the same API under different import names. A :class:`Backend` names the library a
client uses and holds the classes the SDK needs from it; everything in the SDK that makes or
checks an HTTP object goes through one, so a client never mixes the two libraries' objects.

- :func:`backend_for` gives the backend of an injected ``http_client`` (or transport, or
  timeout): the library it belongs to.
- :func:`chosen_backend` is the library used without one: the user's choice
  (``http_library=`` or ``MEETBOT_HTTP_LIBRARY``), else httpx, the declared dependency.
  What else is installed never changes it: a project whose other dependencies pull in
  httpx2 keeps httpx, its mocks and its exception types.
- :func:`default_backend` is httpx, the one library ``import meetbot_sdk`` imports.
- The ``is_*`` helpers ask "of either library?" about an object without importing the
  other library: an object of a library nobody imported cannot exist.

For the type checker every class here is httpx's: the two libraries are the same API, so
the annotations in the SDK say ``httpx.Response`` and mean the response of either.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import platform
import sys
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, quote_plus, urlencode

from meetbot_sdk._version import __version__

if TYPE_CHECKING:
    import httpx

__all__ = [
    "HTTP_LIBRARY_ENV",
    "LIBRARIES",
    "Backend",
    "Library",
    "backend_for",
    "check_library",
    "chosen_backend",
    "chosen_library",
    "default_backend",
    "held_values",
    "is_timeout_error",
    "load",
    "refuse_mixed_client",
    "why_chosen",
]

Library = Literal["httpx", "httpx2"]
LIBRARIES: tuple[Library, ...] = ("httpx", "httpx2")
HTTP_LIBRARY_ENV = "MEETBOT_HTTP_LIBRARY"

# A child of the SDK's logger: which library each client uses, at DEBUG.
logger = logging.getLogger("meetbot_sdk.http")


class Backend:
    """One HTTP library: its name, version and the classes the SDK uses from it."""

    def __init__(self, module: ModuleType) -> None:
        lib: Any = module
        self.module = module
        self.name: Library = lib.__name__
        self.version: str = lib.__version__
        self.logger_name: str = module.__name__  # where the library logs each request
        self.Client: type[httpx.Client] = lib.Client
        self.AsyncClient: type[httpx.AsyncClient] = lib.AsyncClient
        self.Request: type[httpx.Request] = lib.Request
        self.Response: type[httpx.Response] = lib.Response
        self.Timeout: type[httpx.Timeout] = lib.Timeout
        self.URL: type[httpx.URL] = lib.URL
        self.Headers: type[httpx.Headers] = lib.Headers
        self.Cookies: type[httpx.Cookies] = lib.Cookies
        self.ByteStream: type[httpx.ByteStream] = lib.ByteStream
        self.MockTransport: type[httpx.MockTransport] = lib.MockTransport
        self.BaseTransport: type[httpx.BaseTransport] = lib.BaseTransport
        self.AsyncBaseTransport: type[httpx.AsyncBaseTransport] = lib.AsyncBaseTransport
        self.RequestError: type[httpx.RequestError] = lib.RequestError
        self.ConnectError: type[httpx.ConnectError] = lib.ConnectError
        self.TimeoutException: type[httpx.TimeoutException] = lib.TimeoutException
        self.InvalidURL: type[httpx.InvalidURL] = lib.InvalidURL
        self.ReadTimeout: type[httpx.ReadTimeout] = lib.ReadTimeout
        self.RemoteProtocolError: type[httpx.RemoteProtocolError] = lib.RemoteProtocolError
        self.USE_CLIENT_DEFAULT: Any = lib.USE_CLIENT_DEFAULT
        # Stands in for the stream of a response already read (see BaseClient._answered).
        self.spent_stream = lib.ByteStream(b"")
        # A query string as the library's build_request encodes params: a space is "+" in
        # httpx 0.28 and httpx2, "%20" in httpx 0.27.
        plus = str(lib.URL("http://h/", params={"q": " "})).endswith("=+")
        self.urlencode = functools.partial(urlencode, quote_via=quote_plus if plus else quote)
        self.user_agent = (
            f"meetbot-sdk-python/{__version__} {self.name}/{self.version} "
            f"python/{platform.python_version()}"
        )

    def url_joiner(self, base_url: str) -> Callable[[str, str | None], str]:
        """A function of ``(path, query)`` giving ``base_url + path`` (and ``"?" + query``),
        for the library to parse when it builds the request."""

        def joined(path: str, query: str | None) -> str:
            return base_url + path if query is None else f"{base_url}{path}?{query}"

        return joined

    def client_class(self, *, asynchronous: bool) -> type[httpx.Client | httpx.AsyncClient]:
        """The library's ``Client`` or ``AsyncClient``."""
        return self.AsyncClient if asynchronous else self.Client

    def timeout(self, timeout: Any) -> httpx.Timeout:
        """``timeout`` (a ``Timeout`` of either library) as this library's ``Timeout``."""
        if isinstance(timeout, self.Timeout):
            return timeout
        return self.Timeout(**timeout.as_dict())

    def response(self, response: httpx.Response, request: httpx.Request) -> httpx.Response:
        """``response`` (read, of either library) as this library's, for ``request``."""
        if isinstance(response, self.Response):
            return response
        return self.Response(
            response.status_code,
            headers=response.headers.multi_items(),
            content=response.content,
            request=request,
        )

    def __repr__(self) -> str:
        return f"<HTTP library {self.name} {self.version}>"


@functools.cache
def load(name: Library) -> Backend:
    """The backend of library ``name``, imported now if need be.

    Raises:
        ValueError: ``name`` is not one of :data:`LIBRARIES`.
        ImportError: ``name`` is not installed, or its import fails: the message has the line
            that installs it and the import's own error, which is also chained.
    """
    if name not in LIBRARIES:
        raise ValueError(f"library must be one of {', '.join(map(repr, LIBRARIES))}, got {name!r}")
    line = 'pip install "meetbot-sdk[httpx2]"' if name == "httpx2" else "pip install httpx"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:  # the library is there, one of its own imports is missing
            raise ImportError(_broken(name, exc, line)) from exc
        raise ImportError(f"the HTTP library {name} is not installed ({exc}): {line}") from exc
    except Exception as exc:  # a broken install: say so, with its own error
        raise ImportError(_broken(name, exc, line)) from exc
    if module.__name__ != name:
        # httpx2.alias_httpx() makes ``import httpx`` give httpx2: one library, one backend.
        return load(module.__name__)
    return Backend(module)


def _broken(name: str, exc: BaseException, line: str) -> str:
    return (
        f"the HTTP library {name} is installed but failed to import "
        f"({type(exc).__name__}: {exc}); reinstall it: {line}"
    )


def default_backend() -> Backend:
    """httpx: the declared dependency, imported by ``import meetbot_sdk``."""
    return load("httpx")


def check_library(http_library: object, *, name: str = "http_library") -> Library:
    """``http_library`` as a :data:`Library`, or a clear error naming the accepted ones."""
    if not isinstance(http_library, str):
        raise TypeError(
            f"{name} must be 'httpx' or 'httpx2' (a str), got {type(http_library).__name__}"
        )
    for library in LIBRARIES:
        if http_library == library:
            return library
    raise ValueError(f"{name} must be 'httpx' or 'httpx2', got {http_library!r}")


def chosen_library(http_library: object = None) -> Library:
    """The library a client without an ``http_client`` uses: ``http_library`` if given, else
    ``MEETBOT_HTTP_LIBRARY`` if set, else ``"httpx"``. Never what happens to be installed."""
    if http_library is not None:
        return check_library(http_library)
    from_env = os.environ.get(HTTP_LIBRARY_ENV)
    if from_env:
        return check_library(from_env.strip(), name=f"{HTTP_LIBRARY_ENV} (from the environment)")
    return "httpx"


def chosen_backend(http_library: object = None) -> Backend:
    """The backend of :func:`chosen_library`, imported now if need be.

    Raises:
        TypeError, ValueError: ``http_library`` (or the environment variable) names no library.
        ImportError: The library chosen is missing or broken (see :func:`load`).
    """
    return load(chosen_library(http_library))


def why_chosen(http_library: object = None) -> str:
    """Why :func:`chosen_library` chose as it did, for the DEBUG line of each client."""
    if http_library is not None:
        return f"http_library={http_library!r}"
    if os.environ.get(HTTP_LIBRARY_ENV):
        return f"{HTTP_LIBRARY_ENV}={os.environ[HTTP_LIBRARY_ENV].strip()}"
    return "the default"


def _imported() -> list[Backend]:
    """The backends of the libraries already imported (importing neither)."""
    return [load(name) for name in LIBRARIES if sys.modules.get(name) is not None]


def backend_for(obj: object) -> Backend | None:
    """The backend whose library ``obj`` (a client, transport or timeout) belongs to.

    ``None`` when it is none of those, of neither library.
    """
    for backend in _imported():
        kinds = (
            backend.Client,
            backend.AsyncClient,
            backend.BaseTransport,
            backend.AsyncBaseTransport,
            backend.Timeout,
            backend.URL,
            backend.Request,
        )
        if isinstance(obj, kinds):
            return backend
    return None


def held_values(http_client: object) -> list[tuple[str, object]] | None:
    """What a client holds, each value as ``("mount", value)`` when it sits in a mapping (as
    mounted transports do) or ``("held", value)``; ``None`` when it cannot be looked into.

    The libraries offer no public way to ask a client for its transports, so the values of
    its attributes are read without naming any of them.
    """
    try:
        attributes = vars(http_client)
    except TypeError:  # a client without __dict__
        return None
    held: list[tuple[str, object]] = []
    for value in attributes.values():
        if isinstance(value, dict):
            held.extend(("mount", each) for each in value.values() if _is_transport(each))
        else:
            held.append(("held", value))
    return held


def _is_transport(value: object) -> bool:
    return any(
        isinstance(value, (backend.BaseTransport, backend.AsyncBaseTransport))
        for backend in _imported()
    )


def refuse_mixed_client(http_client: object, backend: Backend) -> None:
    """Refuse an ``http_client`` of ``backend``'s library that holds another library's
    transport, mount or timeout: such a client fails on every request (with a bare
    ``AssertionError`` deep in the library), so it is refused before anything is sent.

    The libraries offer no public way to ask a client for its transports, so every value
    the client holds (and every value of a mapping it holds, as mounts are) is asked which
    library it belongs to; no attribute of the library is named.

    Raises:
        ValueError: Naming which object is of which library.
    """
    kind = type(http_client).__name__
    held = [("timeout", getattr(http_client, "timeout", None)), *(held_values(http_client) or [])]
    for role, value in held:
        owner = backend_for(value)
        if owner is None or owner is backend:
            continue
        what = {"timeout": "its timeout", "mount": "one of its mounts"}.get(role, "its transport")
        raise ValueError(
            f"refusing http_client: it is an {backend.name}.{kind}, but {what} is an "
            f"{owner.name}.{type(value).__name__} (of {owner.name}); a client and its "
            "transport, mounts and timeout must all come from one library: build them all "
            f"with {backend.name}, or all with {owner.name}"
        )


def is_timeout_error(exc: BaseException) -> bool:
    """Whether ``exc`` is a ``TimeoutException`` of either library."""
    return any(isinstance(exc, backend.TimeoutException) for backend in _imported())


def is_connect_error(exc: BaseException) -> bool:
    """Whether ``exc`` is a ``ConnectError`` of either library (no connection was made)."""
    return any(isinstance(exc, backend.ConnectError) for backend in _imported())
