"""200 tasks x 3 calls sharing one AsyncMeetBot against the fake's 200-per-second window over
loopback, 5 % of requests answered 503 by a gateway that counts them against the window but
states no budget on them (``set_rate_limit(count_faults=True)``): the 429s met per run, over
several seeds (real time, no instant waits)."""

from __future__ import annotations

import asyncio
import sys
import time

import httpx

from meetbot_sdk import AsyncMeetBot
from meetbot_sdk.testing import FakeMeetBot, Fault

TASKS = 200
CALLS = 3
RATE = 200
SEEDS = range(8)


def main() -> None:
    counts = []
    for seed in SEEDS:
        refused, seconds = run(seed)
        counts.append(refused)
        print(f"seed {seed}: {refused} x 429 in {seconds:.2f} s", flush=True)
    label = f"{TASKS} tasks x {CALLS} calls, {RATE}/s window, 5 % counted 503s"
    print(f"{label}: 429s per run {counts}")


def run(seed: int) -> tuple[int, float]:
    fake = FakeMeetBot(log_count=10, seed=seed)
    fake.set_rate_limit(RATE, per=1.0, count_faults=True)
    fake.fail_randomly(0.05, Fault.status(503), seed=seed)
    statuses: list[int] = []

    async def record(response: httpx.Response) -> None:
        statuses.append(response.status_code)

    async def fan_out(base_url: str) -> None:
        async with AsyncMeetBot(fake.api_key, base_url=base_url, max_retries=10) as client:
            client._http.event_hooks = {"response": [record]}

            async def calls() -> None:
                for _ in range(CALLS):
                    await client.api_keys.get_usage(1)

            await asyncio.gather(*(calls() for _ in range(TASKS)))

    with fake.serve() as base_url:
        started = time.monotonic()
        asyncio.run(fan_out(base_url))
        seconds = time.monotonic() - started
    assert statuses.count(200) == TASKS * CALLS, statuses
    return statuses.count(429), seconds


if __name__ == "__main__":
    if sys.argv[1:]:
        SEEDS = range(int(sys.argv[1]))
    main()
