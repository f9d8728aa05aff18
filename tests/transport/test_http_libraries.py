"""The SDK on either HTTP library, httpx or httpx2: httpx unless the user asks for httpx2
(whatever else is installed), an injected client of each, timeouts of the other converted,
and never a mix of the two libraries' objects."""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import subprocess
import sys
from types import ModuleType
from typing import Any

import pytest

import meetbot_sdk as mb
from meetbot_sdk import AsyncMeetBot, MeetBot
from meetbot_sdk._transport import _http, _pools
from meetbot_sdk.testing import FakeMeetBot, Fault
from tests.support import API_KEY, BARE_RUN, needs_extra

pytestmark = pytest.mark.filterwarnings("error")


def _httpx2() -> ModuleType:
    return needs_extra("httpx2")


def _httpx() -> ModuleType:
    return importlib.import_module("httpx")


def _libraries() -> list[ModuleType]:
    return [_httpx()] if BARE_RUN else [_httpx(), _httpx2()]


@pytest.fixture(params=["httpx", "httpx2"])
def lib(request: pytest.FixtureRequest) -> ModuleType:
    """Each library in turn (one skips visibly in the runs without it)."""
    return _httpx() if request.param == "httpx" else _httpx2()


def _python(code: str, **env: str) -> list[str]:
    """The words ``code`` prints in a fresh interpreter, without MEETBOT_* variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MEETBOT_")}
    return subprocess.run(  # noqa: S603 - this Python, a fixed script
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**clean, **env},
    ).stdout.split()


def test_the_default_is_httpx_whatever_else_is_installed() -> None:
    # With httpx2 installed beside httpx (the normal run), nothing changes: the library is
    # httpx, and httpx2 is not even imported.
    code = (
        "import sys, meetbot_sdk as mb\n"
        "client = mb.MeetBot('k')\n"
        "print(repr(client).rpartition(' ')[2], client._headers['User-Agent'].split()[1],"
        " type(mb.DEFAULT_TIMEOUT).__module__, 'httpx2' in sys.modules)"
    )
    assert _python(code) == [
        "http_library='httpx')",
        f"httpx/{_httpx().__version__}",
        "httpx",
        "False",
    ]


def test_import_meetbot_sdk_imports_httpx2_only_when_asked() -> None:
    code = "import sys, meetbot_sdk; print('httpx' in sys.modules, 'httpx2' in sys.modules)"
    expected = ["True", "False"]
    assert _python(code) == expected
    assert _python(code, MEETBOT_HTTP_LIBRARY="httpx2") == expected  # asked at the first client


def test_http_library_httpx2_routes_through_httpx2(monkeypatch: pytest.MonkeyPatch) -> None:
    httpx2 = _httpx2()
    fake = FakeMeetBot(log_count=3)
    agent = f" httpx2/{httpx2.__version__} "
    with (
        fake.serve() as base_url,
        MeetBot(fake.api_key, base_url=base_url, http_library="httpx") as on_httpx,
    ):
        for client in (
            MeetBot(fake.api_key, base_url=base_url, http_library="httpx2"),
            on_httpx.with_options(http_library="httpx2"),
        ):
            with client:
                raw = client.api_logs.with_raw_response.get_page(page_size=2)
                assert type(raw.http_response) is httpx2.Response
                assert agent in raw.http_response.request.headers["User-Agent"]
                assert repr(client).endswith("http_library='httpx2')")
        monkeypatch.setenv("MEETBOT_HTTP_LIBRARY", "httpx2")
        with MeetBot(fake.api_key, base_url=base_url) as client:
            raw = client.api_logs.with_raw_response.get_page(page_size=2)
            assert agent in raw.http_response.request.headers["User-Agent"]
        # an argument beats the environment
        with MeetBot(fake.api_key, base_url=base_url, http_library="httpx") as client:
            assert client._backend.name == "httpx"


def test_the_testing_kit_follows_the_same_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeMeetBot(log_count=3)
    monkeypatch.delenv("MEETBOT_HTTP_LIBRARY", raising=False)
    assert isinstance(fake.transport(), _httpx().MockTransport)
    with fake.client() as client:
        assert client._backend.name == "httpx"
    httpx2 = _httpx2()
    monkeypatch.setenv("MEETBOT_HTTP_LIBRARY", "httpx2")
    assert isinstance(fake.transport(), httpx2.MockTransport)
    with fake.client() as client:
        assert client._backend.name == "httpx2"


@pytest.mark.parametrize("client_class", [MeetBot, AsyncMeetBot])
def test_an_unknown_library_name_is_refused_before_anything(
    client_class: type[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MEETBOT_HTTP_LIBRARY", raising=False)
    with pytest.raises(
        ValueError, match=r"^http_library must be 'httpx' or 'httpx2', got 'requests'$"
    ):
        client_class(API_KEY, http_library="requests")
    with pytest.raises(
        TypeError, match=r"^http_library must be 'httpx' or 'httpx2' \(a str\), got int$"
    ):
        client_class(API_KEY, http_library=2)
    monkeypatch.setenv("MEETBOT_HTTP_LIBRARY", "HTTPX")
    with pytest.raises(
        ValueError,
        match=r"^MEETBOT_HTTP_LIBRARY \(from the environment\) must be 'httpx' or 'httpx2', "
        r"got 'HTTPX'$",
    ):
        client_class(API_KEY)
    with pytest.raises(ValueError, match=r"with_options\(\)|must be 'httpx' or 'httpx2'"):
        client_class(API_KEY, http_library="httpx").with_options(http_library="h2")


_BROKEN_HTTPX2 = 'raise RuntimeError("half-installed wheel")\n'


def test_a_missing_or_broken_httpx2_names_the_extra_and_the_real_error(tmp_path: Any) -> None:
    ask = (
        "import meetbot_sdk as mb\n"
        "try:\n"
        "    mb.MeetBot('k', http_library='httpx2')\n"
        "except ImportError as e:\n"
        "    print(e, '|', type(e.__cause__).__name__)\n"
    )
    missing = _python("import sys; sys.modules['httpx2'] = None\n" + ask)
    assert " ".join(missing) == (
        "the HTTP library httpx2 is not installed (import of httpx2 halted; None in "
        'sys.modules): pip install "meetbot-sdk[httpx2]" | ModuleNotFoundError'
    )
    (tmp_path / "httpx2").mkdir()
    (tmp_path / "httpx2" / "__init__.py").write_text(_BROKEN_HTTPX2)
    broken = _python(f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n" + ask)
    assert " ".join(broken) == (
        "the HTTP library httpx2 is installed but failed to import (RuntimeError: "
        'half-installed wheel); reinstall it: pip install "meetbot-sdk[httpx2]" | RuntimeError'
    )
    # and `import meetbot_sdk` itself never trips over it
    assert _python(
        f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import meetbot_sdk; print(1)"
    ) == ["1"]


@pytest.mark.parametrize("asynchronous", [False, True])
def test_a_client_mixing_the_two_libraries_is_refused(asynchronous: bool) -> None:
    httpx, httpx2 = _httpx(), _httpx2()
    kind = "AsyncClient" if asynchronous else "Client"
    client_class = AsyncMeetBot if asynchronous else MeetBot
    transport = "AsyncHTTPTransport" if asynchronous else "HTTPTransport"
    for outer, inner in ((httpx, httpx2), (httpx2, httpx)):
        made = getattr(inner, transport)()
        for http, what in (
            (getattr(outer, kind)(transport=made), "its transport"),
            (getattr(outer, kind)(mounts={"https://": made}), "one of its mounts"),
        ):
            with pytest.raises(ValueError, match=r"^refusing http_client") as info:
                client_class(API_KEY, http_client=http)
            assert str(info.value) == (
                f"refusing http_client: it is an {outer.__name__}.{kind}, but {what} is an "
                f"{inner.__name__}.{transport} (of {inner.__name__}); a client and its "
                "transport, mounts and timeout must all come from one library: build them "
                f"all with {outer.__name__}, or all with {inner.__name__}"
            )
    with pytest.raises(ValueError, match=r"^http_library='httpx2' contradicts the http_client"):
        client_class(API_KEY, http_client=getattr(httpx, kind)(), http_library="httpx2")
    same = client_class(API_KEY, http_client=getattr(httpx, kind)(), http_library="httpx")
    assert same._backend.name == "httpx"
    with pytest.raises(ValueError, match=r"^with_options\(http_library='httpx2'\): this client"):
        same.with_options(http_library="httpx2")


def test_a_copy_on_the_other_library_has_a_pool_of_its_own(lib: ModuleType) -> None:
    other = "httpx2" if lib.__name__ == "httpx" else "httpx"
    _httpx2() if other == "httpx2" else _httpx()
    client = MeetBot(API_KEY, http_library=lib.__name__, timeout=lib.Timeout(3.0, read=7.0))
    same = client.with_options(http_library=lib.__name__, max_retries=5)
    assert same._http is client._http
    assert same.max_retries == 5
    copy = client.with_options(http_library=other)
    assert copy._http is not client._http
    assert copy._backend.name == other
    assert copy.timeout == _http.load(other).Timeout(3.0, read=7.0)
    assert copy.rate_limit is client.rate_limit
    assert copy._throttle is client._throttle
    copy.close()
    assert copy._http.is_closed
    assert not client._http.is_closed
    client.close()


def _recording(lib: ModuleType, seen: list[Any], status: int = 200) -> Any:
    def handler(request: Any) -> Any:
        seen.append(request)
        body = {"requestsToday": 1, "requestsThisMonth": 2, "requestsTotal": 3}
        return lib.Response(status, json={**body, "recentRequests": []})

    return lib.MockTransport(handler)


def test_an_injected_client_fixes_the_library_of_everything(lib: ModuleType) -> None:
    # Every Timeout given (of either library) ends up as the client's library's: a client of
    # one library never gets requests, timeouts or responses of the other.
    for timeout_lib in _libraries():
        seen: list[Any] = []
        http = lib.Client(transport=_recording(lib, seen))
        client = MeetBot(API_KEY, http_client=http, timeout=timeout_lib.Timeout(3.0))
        assert type(client.timeout) is lib.Timeout
        assert client.timeout == lib.Timeout(3.0)
        assert repr(client).endswith(f"http_library={lib.__name__!r})")
        raw = client.api_keys.with_raw_response.get_usage(1)
        assert type(raw.http_response) is lib.Response
        assert type(raw.http_response.request) is lib.Request
        copy = client.with_options(timeout=timeout_lib.Timeout(1.0, read=2.0))
        assert type(copy.timeout) is lib.Timeout
        copy.api_keys.get_usage(1)
        assert [type(request) for request in seen] == [lib.Request, lib.Request]
        assert [r.extensions["timeout"]["read"] for r in seen] == [3.0, 2.0]
        agent = seen[0].headers["User-Agent"]
        assert f" {lib.__name__}/{lib.__version__} " in agent
        assert agent.startswith("meetbot-sdk-python/")


def test_errors_are_the_sdks_carrying_the_librarys_objects(lib: ModuleType) -> None:
    http = lib.Client(transport=_recording(lib, [], status=404))
    client = MeetBot(API_KEY, http_client=http, max_retries=0)
    with pytest.raises(mb.NotFoundError) as info:
        client.api_keys.get_usage(1)
    assert type(info.value.response) is lib.Response
    assert type(info.value.response.request) is lib.Request


def test_a_timeout_of_the_library_is_the_sdks_timeout_error(lib: ModuleType) -> None:
    fake = FakeMeetBot()
    fake.inject(Fault.delay(1.0))
    http = lib.Client(transport=fake.transport(lib.__name__))
    client = MeetBot(fake.api_key, http_client=http, timeout=0.01, max_retries=0)
    with pytest.raises(mb.APITimeoutError) as info:
        client.analytics.get()
    assert type(info.value.cause) is lib.ReadTimeout
    assert type(info.value.request) is lib.Request


def test_an_async_client_of_either_library(lib: ModuleType) -> None:
    seen: list[Any] = []

    async def main() -> None:
        http = lib.AsyncClient(transport=_recording(lib, seen))
        async with AsyncMeetBot(API_KEY, http_client=http) as client:
            assert repr(client).endswith(f"http_library={lib.__name__!r})")
            await client.api_keys.get_usage(1)
        await http.aclose()

    asyncio.run(main())
    assert [type(request) for request in seen] == [lib.Request]


def test_the_wrong_flavour_of_either_library_is_refused(lib: ModuleType) -> None:
    with pytest.raises(TypeError, match=r"an httpx\.Client \(or an httpx2\.Client\)"):
        MeetBot(API_KEY, http_client=lib.AsyncClient())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"an httpx\.AsyncClient \(or an httpx2\.AsyncClient\)"):
        AsyncMeetBot(API_KEY, http_client=lib.Client())  # type: ignore[arg-type]


def test_a_url_of_either_library_is_a_base_url(lib: ModuleType) -> None:
    client = MeetBot(API_KEY, base_url=lib.URL("https://api.example.test/v1/"))
    assert client.base_url == "https://api.example.test/v1"
    with pytest.raises(ValueError, match=r"base_url is not a valid URL: Invalid port"):
        MeetBot(API_KEY, base_url="http://[::1]:x/v1", http_client=lib.Client())
    backend = _http.load(lib.__name__)
    assert repr(backend) == f"<HTTP library {lib.__name__} {lib.__version__}>"


def test_the_choice_is_logged_at_debug(lib: ModuleType, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="meetbot_sdk.http")
    MeetBot(API_KEY, http_client=lib.Client())
    MeetBot(API_KEY)
    chosen = _http.chosen_backend()
    assert [r.getMessage() for r in caplog.records if r.name == "meetbot_sdk.http"] == [
        f"MeetBot on {lib.__name__} {lib.__version__} (the library of the http_client given)",
        f"MeetBot on {chosen.name} {chosen.version} ({_http.why_chosen()})",
    ]


def test_the_fakes_transport_and_client_on_either_library(lib: ModuleType) -> None:
    fake = FakeMeetBot(log_count=3)
    transport = fake.transport(lib.__name__)
    assert isinstance(transport, lib.MockTransport)
    with fake.client(library=lib.__name__) as client:
        assert client._backend.name == lib.__name__
        assert client.api_logs.get_page(page_size=2).total == 3
    # the transport of one library also answers a client of the other, in that one's objects
    for other in _libraries():
        with other.Client(base_url=fake.base_url, transport=transport) as http:
            response = http.get("/users/me/analytics", headers={"Authorization": "x"})
            assert type(response) is other.Response


def test_the_fakes_async_client_on_either_library(lib: ModuleType) -> None:
    fake = FakeMeetBot(log_count=3)

    async def main() -> int:
        async with fake.async_client(library=lib.__name__) as client:
            assert client._backend.name == lib.__name__
            return (await client.api_logs.get_page(page_size=2)).total

    assert asyncio.run(main()) == 3


@pytest.mark.loopback
def test_over_loopback_with_either_library(lib: ModuleType) -> None:
    fake = FakeMeetBot(log_count=3)
    with fake.serve() as base_url, lib.Client(trust_env=False) as http:
        client = MeetBot(fake.api_key, base_url=base_url, http_client=http)
        assert client.api_logs.get_page(page_size=2).total == 3


def test_an_unknown_library_is_refused() -> None:
    with pytest.raises(ValueError, match=r"library must be one of 'httpx', 'httpx2'"):
        FakeMeetBot().transport("requests")  # type: ignore[arg-type]


def test_httpx_aliased_to_httpx2_is_one_library(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx2.alias_httpx() makes `import httpx` give httpx2: the backend is httpx2's.
    httpx2 = _httpx2()
    monkeypatch.setitem(sys.modules, "httpx", httpx2)
    assert _http.load.__wrapped__("httpx") is _http.load("httpx2")


def test_a_missing_library_gives_its_install_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "httpx2", None)  # as if not installed
    with pytest.raises(ImportError, match=r'pip install "meetbot-sdk\[httpx2\]"'):
        _http.load.__wrapped__("httpx2")
    monkeypatch.setitem(sys.modules, "httpx", None)
    with pytest.raises(ImportError, match=r"not installed \(.*\): pip install httpx$"):
        _http.load.__wrapped__("httpx")


@pytest.mark.skipif(not BARE_RUN, reason="only the run without httpx2 (make test-bare)")
def test_without_httpx2_asking_for_it_gives_the_install_line() -> None:
    with pytest.raises(ImportError, match=r'pip install "meetbot-sdk\[httpx2\]"'):
        FakeMeetBot().transport("httpx2")


def _answer(lib: ModuleType) -> Any:
    def handler(request: Any) -> Any:
        if request.url.path.endswith("/moved"):
            return lib.Response(302, headers={"Location": "/v1/elsewhere"})
        return lib.Response(200, json={"ok": True}, headers={"Set-Cookie": "s=1; Path=/"})

    return lib.MockTransport(handler)


@pytest.mark.parametrize("path", ["/v1/x", "/v1/moved"])
def test_the_lean_pool_of_either_library_leaves_what_its_send_leaves(
    lib: ModuleType, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    sync_pool, _ = _pools.pool_classes(_http.load(lib.__name__))
    views, logs = [], []
    for client in (lib.Client(transport=_answer(lib)), sync_pool(transport=_answer(lib))):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger=lib.__name__):
            timeout = {"timeout": lib.Timeout(5.0).as_dict()}
            request = lib.Request("GET", f"http://127.0.0.1:9{path}", extensions=timeout)
            response = client.send(request, auth=None, follow_redirects=False)
        moved = response.next_request
        redirect = None if moved is None else str(moved.url)
        views.append(
            (response.status_code, response.content, response.request is request, redirect)
        )
        logs.append([r.getMessage() for r in caplog.records if r.name == lib.__name__])
    assert views[0] == views[1]
    assert logs[0] == logs[1]
    assert len(logs[0]) == 1


def test_the_sdks_own_pool_is_the_lean_one_of_its_library(lib: ModuleType) -> None:
    backend = _http.load(lib.__name__)
    for client_class, asynchronous in ((MeetBot, False), (AsyncMeetBot, True)):
        backend_pool = _pools.pool_classes(backend)[asynchronous]
        assert issubclass(backend_pool, backend.client_class(asynchronous=asynchronous))
        client = client_class(API_KEY, http_library=lib.__name__)
        assert type(client._http) is backend_pool
    pool = _pools.pool_classes(backend)[False]()
    pool.cookies = {"a": "1"}
    assert not pool.cookies
