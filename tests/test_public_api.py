"""The public surface: exactly the names of the contract, documented, and twins that match."""

from __future__ import annotations

import datetime
import importlib
import importlib.metadata
import inspect
import pathlib
import subprocess
import sys
import traceback
import typing
from typing import Any

import httpx
import pytest

import meetbot_sdk
from meetbot_sdk import resources
from meetbot_sdk.testing import FakeMeetBot
from tests.support import needs_extra

SURFACE = {
    "MeetBot",
    "AsyncMeetBot",
    "Analytics",
    "ApiCallStats",
    "BotStats",
    "DailyCount",
    "RecordingStats",
    "TranscriptionStats",
    "WebhookStats",
    "ApiLog",
    "ApiLogPage",
    "ApiKeyUsage",
    "RecentRequest",
    "MeetBotError",
    "APIConnectionError",
    "APITimeoutError",
    "APIResponseValidationError",
    "APIStatusError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "UnprocessableEntityError",
    "RateLimitError",
    "InternalServerError",
    "WalkCheckpoint",
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "DEFAULT_MAX_RETRIES",
    "FileBudget",
    "RedisBudget",
    "__version__",
}
# Names the contract leaves to us, re-exported so that users can annotate with them.
OUR_ADDITIONS = {
    "DEFAULT_MAX_RETRY_WAIT",
    "RateLimit",
    "RawResponse",
    "ApiLogPager",
    "AsyncApiLogPager",
}
# Methods that send nothing themselves: they return an object to iterate (a plain ``def`` in
# both twins) and have no raw-response view, since a walk is many responses.
WALKS = {"list"}

TWINS = [
    (meetbot_sdk.MeetBot, meetbot_sdk.AsyncMeetBot),
    (resources.AnalyticsResource, resources.AsyncAnalyticsResource),
    (resources.ApiLogsResource, resources.AsyncApiLogsResource),
    (resources.ApiKeysResource, resources.AsyncApiKeysResource),
]
# Async-only names: ``aclose()``, the alias of ``close()`` that contextlib.aclosing calls.
ASYNC_ALIASES = {"aclose"}
CONTEXT_MANAGER = {"__enter__", "__exit__", "__aenter__", "__aexit__"}


def test_all_is_exactly_the_contract() -> None:
    assert set(meetbot_sdk.__all__) == SURFACE | OUR_ADDITIONS
    assert len(meetbot_sdk.__all__) == len(SURFACE | OUR_ADDITIONS)
    for name in meetbot_sdk.__all__:
        assert getattr(meetbot_sdk, name) is not None


def test_version_matches_the_installed_distribution() -> None:
    assert meetbot_sdk.__version__ == importlib.metadata.version("meetbot-sdk")


def test_the_package_is_typed() -> None:
    assert (pathlib.Path(meetbot_sdk.__file__).parent / "py.typed").is_file()


@pytest.mark.parametrize("name", sorted((SURFACE | OUR_ADDITIONS) - {"__version__"}))
def test_every_public_class_and_constant_is_documented(name: str) -> None:
    obj = getattr(meetbot_sdk, name)
    if inspect.isclass(obj):
        assert inspect.getdoc(obj), f"{name} has no docstring"
        for member_name, member in vars(obj).items():
            if callable(member) and not member_name.startswith("_"):
                assert inspect.getdoc(member), f"{name}.{member_name} has no docstring"


def _public_methods(cls: type) -> dict[str, Any]:
    return {
        name: member
        for name, member in inspect.getmembers(cls, callable)
        if (not name.startswith("_") or name == "__init__") and name not in CONTEXT_MANAGER
    }


def _shape(method: Any) -> list[tuple[str, Any, Any, str]]:
    """Parameters with annotations made flavour-neutral (httpx.AsyncClient ~ httpx.Client)."""
    signature = inspect.signature(method)
    shape = [
        (p.name, p.kind, p.default, str(p.annotation).replace("Async", ""))
        for p in signature.parameters.values()
    ]
    shape.append(("return", None, None, str(signature.return_annotation).replace("Async", "")))
    return shape


@pytest.mark.parametrize(("sync_cls", "async_cls"), TWINS, ids=lambda cls: cls.__name__)
def test_async_twin_has_the_same_methods_and_signatures(sync_cls: type, async_cls: type) -> None:
    sync_methods = _public_methods(sync_cls)
    async_methods = _public_methods(async_cls)
    assert sorted(sync_methods) == sorted(async_methods.keys() - ASYNC_ALIASES)
    for name, method in sync_methods.items():
        twin = async_methods[name]
        assert _shape(method) == _shape(twin), name
        if name in WALKS:
            assert not inspect.iscoroutinefunction(twin)
            assert inspect.getdoc(twin) == inspect.getdoc(method)
        elif name != "__init__" and not name.startswith("with_"):
            assert inspect.iscoroutinefunction(twin), f"{async_cls.__name__}.{name} is not async"
            assert not inspect.iscoroutinefunction(method)
            assert inspect.getdoc(twin) == inspect.getdoc(method)


# Pager methods that hand out an iterator or a value, not awaited in the async pager either.
PAGER_PLAIN = {"pages", "checkpoint"}


def test_the_async_pager_is_a_twin_of_the_pager() -> None:
    sync_methods = _public_methods(meetbot_sdk.ApiLogPager)
    async_methods = _public_methods(meetbot_sdk.AsyncApiLogPager)
    assert sorted(sync_methods) == sorted(async_methods.keys() - ASYNC_ALIASES)
    assert {"close", "pages", "checkpoint", "to_pandas", "to_polars"} <= set(sync_methods)
    for name, method in sync_methods.items():
        twin = async_methods[name]
        # The same parameters; return types differ by nature (Generator vs AsyncGenerator).
        assert _shape(method)[:-1] == _shape(twin)[:-1], name
        assert not inspect.iscoroutinefunction(method)
        if name not in PAGER_PLAIN | {"__init__"}:
            assert inspect.iscoroutinefunction(twin), f"AsyncApiLogPager.{name} is not async"


@pytest.mark.parametrize("cls", [meetbot_sdk.AsyncMeetBot, meetbot_sdk.AsyncApiLogPager])
def test_async_objects_close_by_one_name_with_the_aclosing_alias(cls: type) -> None:
    assert inspect.iscoroutinefunction(cls.close)
    assert inspect.iscoroutinefunction(cls.aclose)
    assert "close" in inspect.getdoc(cls.aclose)


def test_aclose_does_what_close_does() -> None:
    import asyncio
    import contextlib

    fake = FakeMeetBot(log_count=50)

    async def main() -> int:
        client = fake.async_client()
        async with contextlib.aclosing(client.api_logs.list(page_size=10)) as logs:
            async for _ in logs:
                break
        await client.aclose()
        with pytest.raises(meetbot_sdk.MeetBotError, match="closed"):
            await client.analytics.get()
        return logs.items_yielded

    assert asyncio.run(main()) == 1


def test_both_clients_carry_the_same_resources() -> None:
    sync = meetbot_sdk.MeetBot("k")
    async_ = meetbot_sdk.AsyncMeetBot("k")
    for name in ("analytics", "api_logs", "api_keys"):
        sync_resource, async_resource = getattr(sync, name), getattr(async_, name)
        assert (type(sync_resource), type(async_resource)) in TWINS


@pytest.mark.parametrize("resource", ["analytics", "api_logs", "api_keys"])
def test_raw_response_views_mirror_their_resources(resource: str) -> None:
    for client in (meetbot_sdk.MeetBot("k"), meetbot_sdk.AsyncMeetBot("k")):
        plain = getattr(client, resource)
        raw = plain.with_raw_response
        assert plain.with_raw_response is raw  # made once per resource
        methods = _public_methods(type(plain)).keys() - {"__init__"} - WALKS
        assert methods == {name for name in vars(raw) if not name.startswith("_")}
        for name in methods:
            method, raw_method = getattr(plain, name), getattr(raw, name)
            assert inspect.signature(method) == inspect.signature(raw_method), name
            assert inspect.iscoroutinefunction(method) == inspect.iscoroutinefunction(raw_method)


def test_importing_the_sdk_leaves_tenacity_and_asyncio_for_later() -> None:
    # Start-up cost: tenacity (which imports asyncio) loads on the first retry, and asyncio
    # with the first event loop, not with ``import meetbot_sdk``.
    code = "import sys, meetbot_sdk; print(sorted({'tenacity', 'asyncio'} & set(sys.modules)))"
    result = subprocess.run(  # noqa: S603 (this interpreter, a fixed command)
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


PUBLIC_MODULES = [
    "meetbot_sdk",
    "meetbot_sdk.cli",
    "meetbot_sdk.dlt",
    "meetbot_sdk.resources",
    "meetbot_sdk.types",
    "meetbot_sdk.testing",
]


def _public_packages() -> list[str]:
    """Every module of the package whose name has no private part: the public ones."""
    import pkgutil

    found = ["meetbot_sdk"]
    for info in pkgutil.walk_packages(meetbot_sdk.__path__, "meetbot_sdk."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            found.append(info.name)
    return sorted(found)


def test_the_public_modules_are_all_listed() -> None:
    assert _public_packages() == sorted(PUBLIC_MODULES)


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_class_and_function_reports_its_public_module(module_name: str) -> None:
    if module_name == "meetbot_sdk.dlt":  # the warehouse source imports dlt at the top
        needs_extra("dlt")
    module = importlib.import_module(module_name)
    named = [getattr(module, name) for name in module.__all__]
    # callable: also dlt's wrapper around the function its @dlt.source decorates
    named = [
        obj
        for obj in named
        if inspect.isclass(obj)
        or inspect.isfunction(obj)
        or type(obj).__module__.startswith("dlt.")
    ]
    assert named
    for obj in named:
        assert obj.__module__ == module_name, obj
        assert f"{module_name}.{obj.__qualname__}" in repr(obj) or not inspect.isclass(obj)


def test_public_functions_report_their_public_module() -> None:
    from meetbot_sdk import cli, testing

    assert testing.instant_waits.__module__ == "meetbot_sdk.testing"
    assert cli.main.__module__ == "meetbot_sdk.cli"


def test_tracebacks_and_reprs_show_public_paths() -> None:
    fake = FakeMeetBot()
    with meetbot_sdk.MeetBot(
        fake.api_key,
        http_client=httpx.Client(base_url=fake.base_url, transport=fake.transport("httpx")),
    ) as client:
        assert repr(client.analytics).startswith("<meetbot_sdk.resources.AnalyticsResource ")
        assert type(client.api_logs.list()).__module__ == "meetbot_sdk"
        with pytest.raises(meetbot_sdk.NotFoundError) as caught:
            client.api_keys.get_usage(987654)
    (line,) = traceback.format_exception_only(caught.type, caught.value)
    assert line.startswith("meetbot_sdk.NotFoundError: 404 Not Found")


def test_the_model_annotations_resolve_from_their_public_module() -> None:
    # Reporting the public module must not break what reads the annotations at run time.
    hints = typing.get_type_hints(meetbot_sdk.ApiLogPage)
    assert hints["logs"] == list[meetbot_sdk.ApiLog]
    assert typing.get_type_hints(meetbot_sdk.ApiLog)["created_at"] is datetime.datetime
