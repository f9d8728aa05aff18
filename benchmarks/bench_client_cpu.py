"""What a user pays per call: client CPU and wall time against a server in another process.

Sync and async, ``get_page(page_size=100)`` and a walk of 2,000 logs in pages of 100, next to
raw httpx + pydantic v2 (``model_validate_json``) on the same server, and the Stainless
runtime (the anthropic SDK's base client, ``get(path, cast_to=...)``, with the same pydantic
model). Each flavour runs in a fresh interpreter, once as a plain install (the ``speedups``
extra hidden) and once with it, and on each HTTP library installed (httpx, httpx2): the SDK's
own pool on that library against the raw client of the same library:
``python -m benchmarks.bench_client_cpu [plain|speedups] [httpx|httpx2]``.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from benchmarks import bench_decode
from benchmarks._timing import Cost, interleaved, interleaved_async, print_table

# Rounds: enough that a ratio moves by about a per cent between runs on a shared 2-core
# machine (with 15 rounds of one walk each, the walk's moved by up to 10 %).
ROUNDS = 31
WALK_ROUNDS = 41
CALL_BATCH = 10
WALK_BATCH = 1
PAGE_SIZE = 100
PATH = "/users/me/api-logs"
PARAMS = {"page": 1, "page_size": PAGE_SIZE}
# What the speedups extra installs, hidden in the plain run. Not sniffio, which the extra also
# installs: the Stainless yardstick (anthropic) needs it, and httpcore uses it in both runs.
SPEEDUPS = ("msgspec",)

TARGETS = {  # the lines the Performance page holds the SDK to
    "plain": {"call": 1.00, "walk": 1.00},
    "speedups": {"call": 0.80, "walk": 0.80},
}


def main() -> None:
    libraries = [name for name in ("httpx", "httpx2") if importlib.util.find_spec(name)]
    for mode in ("plain", "speedups"):
        for library in libraries:
            command = [sys.executable, "-m", "benchmarks.bench_client_cpu", mode, library]
            subprocess.run(command, check=True)


def run(mode: str, library: str = "httpx") -> None:
    if mode == "plain":
        import benchmarks._msgspec_models  # noqa: F401 - the yardstick keeps its msgspec

        for name in SPEEDUPS:
            sys.modules[name] = None  # type: ignore[assignment]  # import fails: not installed
    from benchmarks._server import server_process
    from meetbot_sdk._decoding import _converter
    from meetbot_sdk._transport import _http

    # The library the SDK's clients use, asked for as a user would.
    os.environ[_http.HTTP_LIBRARY_ENV] = library
    print(
        f"== client CPU per call on {library}, {mode} install (JSON: {_converter.json_library()})"
    )
    with server_process() as (base_url, api_key):
        sync_costs = _sync(base_url, api_key, library)
        async_costs = asyncio.run(_async(base_url, api_key, library))
    goals = TARGETS[mode]
    print_table(
        "sync get_page(page_size=100)",
        sync_costs["call"],
        f"raw {library}.Client + pydantic",
        {"MeetBot get_page": goals["call"]},
    )
    print_table(
        "async get_page(page_size=100)",
        async_costs["call"],
        f"raw {library}.AsyncClient + pydantic",
        {"AsyncMeetBot get_page": goals["call"]},
    )
    print_table(
        f"walk of 2,000 logs, pages of {PAGE_SIZE} (per walk)",
        sync_costs["walk"],
        f"raw {library}.Client loop + pydantic",
        {"MeetBot list()": goals["walk"]},
    )
    print_table(
        "async walk (per walk)",
        async_costs["walk"],
        f"raw {library}.AsyncClient loop + pydantic",
        {"AsyncMeetBot list()": goals["walk"]},
    )
    if library == "httpx":  # decoding does not touch the HTTP library: once is enough
        bench_decode.run(mode)


def _sync(base_url: str, api_key: str, library: str) -> dict[str, dict[str, Cost]]:
    import anthropic

    lib: Any = importlib.import_module(library)

    from benchmarks._pydantic_models import PPage, stainless_page_model
    from meetbot_sdk import MeetBot

    SPage = stainless_page_model()  # noqa: N806 - a class
    auth = {"Authorization": f"Bearer {api_key}"}
    with (
        MeetBot(api_key, base_url=base_url) as sdk,
        lib.Client(base_url=base_url, headers=auth) as raw,
        anthropic.Anthropic(auth_token=api_key, base_url=base_url) as stainless,
    ):

        def raw_page() -> PPage:
            response = raw.get(PATH, params=PARAMS)
            response.raise_for_status()
            return PPage.model_validate_json(response.content)

        def raw_walk() -> int:
            walked, page = 0, 1
            while True:
                response = raw.get(PATH, params={"page": page, "page_size": PAGE_SIZE})
                response.raise_for_status()
                body = PPage.model_validate_json(response.content)
                walked += sum(1 for _ in body.logs)
                if page * PAGE_SIZE >= body.total:
                    return _checked(walked)
                page += 1

        calls: dict[str, Callable[[], object]] = {
            f"raw {library}.Client + pydantic": raw_page,
            "MeetBot get_page": lambda: sdk.api_logs.get_page(page_size=PAGE_SIZE),
            "Stainless (anthropic) get(cast_to=)": lambda: stainless.get(
                PATH, cast_to=SPage, options={"params": PARAMS}
            ),
        }
        walks: dict[str, Callable[[], object]] = {
            f"raw {library}.Client loop + pydantic": raw_walk,
            "MeetBot list()": lambda: _checked(
                sum(1 for _ in sdk.api_logs.list(page_size=PAGE_SIZE))
            ),
        }
        return {
            "call": interleaved(calls, rounds=ROUNDS, batch=CALL_BATCH),
            "walk": interleaved(walks, rounds=WALK_ROUNDS, batch=WALK_BATCH),
        }


async def _async(base_url: str, api_key: str, library: str) -> dict[str, dict[str, Cost]]:
    import anthropic

    lib: Any = importlib.import_module(library)

    from benchmarks._pydantic_models import PPage, stainless_page_model
    from meetbot_sdk import AsyncMeetBot

    SPage = stainless_page_model()  # noqa: N806 - a class
    auth = {"Authorization": f"Bearer {api_key}"}
    async with (
        AsyncMeetBot(api_key, base_url=base_url) as sdk,
        lib.AsyncClient(base_url=base_url, headers=auth) as raw,
        anthropic.AsyncAnthropic(auth_token=api_key, base_url=base_url) as stainless,
    ):

        async def raw_page() -> PPage:
            response = await raw.get(PATH, params=PARAMS)
            response.raise_for_status()
            return PPage.model_validate_json(response.content)

        async def raw_walk() -> int:
            walked, page = 0, 1
            while True:
                response = await raw.get(PATH, params={"page": page, "page_size": PAGE_SIZE})
                response.raise_for_status()
                body = PPage.model_validate_json(response.content)
                walked += sum(1 for _ in body.logs)
                if page * PAGE_SIZE >= body.total:
                    return _checked(walked)
                page += 1

        async def sdk_walk() -> int:
            return _checked(sum([1 async for _ in sdk.api_logs.list(page_size=PAGE_SIZE)]))

        async def stainless_page() -> Any:
            return await stainless.get(PATH, cast_to=SPage, options={"params": PARAMS})

        calls: dict[str, Callable[[], Awaitable[object]]] = {
            f"raw {library}.AsyncClient + pydantic": raw_page,
            "AsyncMeetBot get_page": lambda: sdk.api_logs.get_page(page_size=PAGE_SIZE),
            "Stainless (anthropic) async get(cast_to=)": stainless_page,
        }
        walks: dict[str, Callable[[], Awaitable[object]]] = {
            f"raw {library}.AsyncClient loop + pydantic": raw_walk,
            "AsyncMeetBot list()": sdk_walk,
        }
        return {
            "call": await interleaved_async(calls, rounds=ROUNDS, batch=CALL_BATCH),
            "walk": await interleaved_async(walks, rounds=WALK_ROUNDS, batch=WALK_BATCH),
        }


def _checked(walked: int) -> int:
    if walked != 2_000:
        msg = f"walked {walked:,} logs, expected 2,000"
        raise RuntimeError(msg)
    return walked


if __name__ == "__main__":
    if len(sys.argv) > 1:
        run(*sys.argv[1:3])
    else:
        main()
