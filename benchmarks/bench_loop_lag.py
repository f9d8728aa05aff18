"""How long the first call of a new client blocks the event loop, against bare httpx.

Each sample is a fresh interpreter (so nothing is cached yet) with the library imported and
a server in another process: a ticker task measures the longest stretch the loop could not
run it while the client is created and makes its first call. Median over samples.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time

SAMPLES = 7
TARGET_MS = 20.0


async def _ticker(gaps: list[float], stop: asyncio.Event) -> None:
    last = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(0)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now


async def _first_call(kind: str, base_url: str, api_key: str) -> float:
    import httpx

    from meetbot_sdk import AsyncMeetBot

    gaps: list[float] = []
    stop = asyncio.Event()
    ticker = asyncio.create_task(_ticker(gaps, stop))
    await asyncio.sleep(0)
    if kind == "httpx":
        async with httpx.AsyncClient() as http:
            response = await http.get(
                f"{base_url}/users/me/api-logs",
                params={"page_size": 100},
                headers={"Authorization": f"Bearer {api_key}"},
            )
            response.json()
    else:
        async with AsyncMeetBot(api_key, base_url=base_url) as client:
            await client.api_logs.get_page(page_size=100)
    stop.set()
    await ticker
    return max(gaps) * 1000


def main() -> None:
    from benchmarks._server import server_process

    samples: dict[str, list[float]] = {"httpx": [], "meetbot": []}
    with server_process() as (base_url, api_key):
        for _ in range(SAMPLES):
            for kind, found in samples.items():
                out = subprocess.run(
                    [sys.executable, "-m", "benchmarks.bench_loop_lag", kind, base_url, api_key],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                found.append(float(out))
    bare, ours = (statistics.median(samples[kind]) for kind in ("httpx", "meetbot"))
    print(f"-- longest event-loop block, new client + first call (median of {SAMPLES})")
    print(f"   {'bare httpx.AsyncClient + get':46} {bare:7.1f} ms")
    print(f"   {'AsyncMeetBot + get_page(100)':46} {ours:7.1f} ms")
    verdict = "ok" if ours - bare <= TARGET_MS else "MISSED"
    print(f"   {'difference':46} {ours - bare:7.1f} ms  <= {TARGET_MS:.0f} ms {verdict}")


if __name__ == "__main__":
    if len(sys.argv) == 4:
        import httpx  # noqa: F401 - imported before the loop, as a service would

        import meetbot_sdk  # noqa: F401

        print(asyncio.run(_first_call(*sys.argv[1:])))
    else:
        main()
