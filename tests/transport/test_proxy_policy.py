"""An injected client is refused for a plain-http (loopback) base URL whenever it could send
the bearer token through a proxy; the check reads only public facts and fails closed."""

from __future__ import annotations

import httpx
import pytest

from meetbot_sdk import AsyncMeetBot, MeetBot
from meetbot_sdk._transport import _http, _proxy
from meetbot_sdk._transport._proxy import refuse_proxy_in_clear
from tests.support import API_KEY

LOOPBACK = "http://127.0.0.1:9/v1"
PROXY_VARS = ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy")


@pytest.fixture(autouse=True)
def _no_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*PROXY_VARS, "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)


def _refusal(http: object, base_url: str = LOOPBACK) -> str | None:
    try:
        refuse_proxy_in_clear(http, base_url, _http.load("httpx"))
    except ValueError as exc:
        return str(exc)
    return None


def _refused(http: object, base_url: str = LOOPBACK) -> bool:
    return _refusal(http, base_url) is not None


def test_a_plain_client_without_proxies_is_accepted() -> None:
    with httpx.Client() as http:
        assert not _refused(http)


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "ALL_PROXY", "all_proxy"])
def test_an_environment_proxy_is_refused_unless_no_proxy_names_the_host(
    variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The proxy address is never contacted: the check refuses before anything is sent.
    monkeypatch.setenv(variable, "http://127.0.0.1:1")
    with httpx.Client() as http:
        assert _refused(http)
    with httpx.Client(trust_env=False) as http:
        assert not _refused(http)
    for no_proxy in ("127.0.0.1", "localhost,127.0.0.1", "*", "all://127.0.0.1"):
        monkeypatch.setenv("NO_PROXY", no_proxy)
        with httpx.Client() as http:
            assert not _refused(http), no_proxy
    # A suffix rule is not followed: not matching is the safe side.
    monkeypatch.setenv("NO_PROXY", ".0.0.1")
    with httpx.Client() as http:
        assert _refused(http)


def test_a_proxy_or_mount_given_to_the_client_is_refused() -> None:
    with httpx.Client(proxy="http://127.0.0.1:1", trust_env=False) as http:
        assert _refused(http)
    with httpx.Client(mounts={"http://": httpx.HTTPTransport()}, trust_env=False) as http:
        assert _refused(http)


def test_https_is_never_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:1")
    with httpx.Client(proxy="http://127.0.0.1:1") as http:
        assert not _refused(http, "https://api.meetbot.dev/v1")


def test_a_client_that_cannot_be_looked_into_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _http.held_values(object()) is None  # no __dict__: nothing to look at
    monkeypatch.setattr(_proxy, "held_values", lambda http: None)
    with httpx.Client(trust_env=False) as http:
        assert _refused(http)


def test_the_refusal_says_why_and_how_without_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:1")
    with httpx.Client() as http:
        message = _refusal(http)
    assert message == (
        f"refusing http_client for plain http:// base_url {LOOPBACK!r}: it could send the "
        "requests, bearer token and all, through a proxy (from its proxy= or mounts= "
        "arguments, or the HTTP_PROXY/ALL_PROXY environment variables) in clear text. "
        "Create it without proxy= or mounts= and with trust_env=False (or "
        "NO_PROXY=127.0.0.1,localhost), or use https://."
    )


@pytest.mark.parametrize("client_class", [MeetBot, AsyncMeetBot])
def test_the_clients_apply_it(client_class: type[MeetBot] | type[AsyncMeetBot]) -> None:
    kind = httpx.AsyncClient if client_class is AsyncMeetBot else httpx.Client
    with pytest.raises(ValueError, match=r"^refusing http_client for plain http:// base_url"):
        client_class(API_KEY, base_url=LOOPBACK, http_client=kind(proxy="http://127.0.0.1:1"))
