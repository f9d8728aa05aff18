"""Clients answered by a handler of the test's own (an ``httpx.MockTransport``), for what a broken
or hostile server sends; the key such a server may echo, and the check that it never shows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support import Twin

KEY = "mb_live_Sup3rSecretKey_0123456789abcdef"


def serve(handler: Callable[[httpx.Request], httpx.Response], twin: Twin) -> dict[str, Any]:
    """Client kwargs for ``twin.run``: an injected client answered by ``handler``."""
    transport = httpx.MockTransport(handler)
    http = httpx.Client(transport=transport) if twin.kind == "sync" else None
    return {
        "api_key": KEY,
        "max_retries": 0,
        "http_client": http or httpx.AsyncClient(transport=transport),
    }


def answer(status: int, content: bytes, headers: dict[str, str] | None = None) -> Any:
    return lambda request: httpx.Response(status, content=content, headers=headers or {})


def failure(twin: Twin, call: Callable[[Any], Any], **kwargs: Any) -> BaseException:
    try:
        twin.run(call, **kwargs)
    except Exception as exc:  # the test checks which exception this is
        return exc
    raise AssertionError("the call did not fail")


def get_analytics(client: Any) -> Any:
    return client.analytics.get()


def assert_no_key(error: BaseException, caplog: pytest.LogCaptureFixture) -> None:
    texts = [str(error), repr(error), repr(getattr(error, "body", None))]
    texts += [str(getattr(error, name, "")) for name in ("message", "request_id", "path")]
    texts += [record.getMessage() for record in caplog.records]
    for text in texts:
        assert KEY not in text
        assert KEY[:20] not in text  # not even the start of it, cut to an excerpt
