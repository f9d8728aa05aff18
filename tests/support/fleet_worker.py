"""One worker process of a fleet sharing a rate budget, for the fleet tests and
``benchmarks/bench_fleet.py``: ``python -m tests.support.fleet_worker BASE_URL API_KEY BUDGET ...``.

``BUDGET`` is ``none``, ``file:PATH`` or ``redis:URL``. The worker prints ``{"ready": ...}``
and waits for a line on its standard input, so that every process of the fleet starts
together, makes ``--calls`` calls on
each of ``--threads`` threads (or tasks, with ``--async``), and prints one JSON line: the
calls that succeeded, the errors by type, and when it started and finished.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from meetbot_sdk import AsyncMeetBot, FileBudget, MeetBot, RedisBudget


def budget_of(text: str) -> bool | FileBudget | RedisBudget:
    kind, _, where = text.partition(":")
    if kind == "file":
        return FileBudget(where)
    if kind == "redis":
        return RedisBudget(where)
    return True


def run_sync(args: argparse.Namespace, throttle: Any) -> list[str]:
    client = MeetBot(
        args.api_key,
        base_url=args.base_url,
        throttle=throttle,
        max_retries=20,
        timeout=args.timeout,
    )

    def calls(_: int) -> list[str]:
        outcomes = []
        for _call in range(args.calls):
            try:
                client.api_keys.get_usage(1)
                outcomes.append("ok")
            except Exception as exc:
                outcomes.append(type(exc).__name__)
        return outcomes

    with client, ThreadPoolExecutor(args.threads) as pool:
        return [outcome for result in pool.map(calls, range(args.threads)) for outcome in result]


async def run_async(args: argparse.Namespace, throttle: Any) -> list[str]:
    async def calls(client: AsyncMeetBot) -> list[str]:
        outcomes = []
        for _call in range(args.calls):
            try:
                await client.api_keys.get_usage(1)
                outcomes.append("ok")
            except Exception as exc:
                outcomes.append(type(exc).__name__)
        return outcomes

    async with AsyncMeetBot(
        args.api_key,
        base_url=args.base_url,
        throttle=throttle,
        max_retries=20,
        timeout=args.timeout,
    ) as client:
        results = await asyncio.gather(*(calls(client) for _ in range(args.threads)))
    if isinstance(throttle, RedisBudget):
        await throttle.aclose()
    return [outcome for result in results for outcome in result]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base_url")
    parser.add_argument("api_key")
    parser.add_argument("budget")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--async", dest="use_async", action="store_true")
    args = parser.parse_args(argv)
    throttle = budget_of(args.budget)
    print(json.dumps({"ready": time.time()}), flush=True)
    sys.stdin.readline()
    started = time.time()
    if args.use_async:
        outcomes = asyncio.run(run_async(args, throttle))
    else:
        outcomes = run_sync(args, throttle)
    finished = time.time()
    errors: dict[str, int] = {}
    for outcome in outcomes:
        if outcome != "ok":
            errors[outcome] = errors.get(outcome, 0) + 1
    report = {"ok": outcomes.count("ok"), "errors": errors, "started": started}
    report["finished"] = finished
    print(json.dumps(report), flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
