"""A fleet of worker processes on one API key against the fake's 10/s window over loopback:
no shared budget vs FileBudget vs RedisBudget (a redis-server of our own on a unix socket),
the reset stated in seconds from now and as whole epoch seconds (as GitHub states it).
429s and wall time against the ideal (calls / rate); then what each store adds to one
uncontended call.

``python -m benchmarks.bench_fleet whole-seconds`` runs the fleets against whole-second
resets only."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import httpx

from meetbot_sdk import FileBudget, MeetBot, RedisBudget
from meetbot_sdk.testing import FakeMeetBot
from tests.support.fleet import RedisServer, run_fleet

RATE = 10  # requests per second
THREADS = 4
CALLS_PER_THREAD = 5
FLEETS = (4, 8)
OVERHEAD_CALLS = 200
ROUNDS = 7


def main(*, whole_seconds_only: bool = False) -> None:
    with tempfile.TemporaryDirectory(prefix="meetbot-bench-") as directory:
        redis = RedisServer(Path(directory))
        redis.start()
        try:
            stores = {
                "no shared budget": "none",
                "FileBudget": f"file:{directory}/budget-{{processes}}",
                "RedisBudget": f"redis:{redis.url}",
            }
            for processes in FLEETS:
                for label, budget in stores.items():
                    if not whole_seconds_only:
                        fleet(processes, label, budget.format(processes=processes))
                    if budget != "none":
                        where = budget.format(processes=f"{processes}-epoch")
                        fleet(processes, label, where, reset_format="epoch")
            if whole_seconds_only:
                return
            local = per_call_us(throttle=True)
            print(f"{'uncontended call, throttle=True (this process)':48} {local:6.0f} us/call")
            for label, budget_made in (
                ("FileBudget", lambda: FileBudget(f"{directory}/overhead")),
                ("RedisBudget", lambda: RedisBudget(redis.url)),
            ):
                each = per_call_us(budget_made())
                print(
                    f"{'uncontended call, ' + label:48} {each:6.0f} us/call "
                    f"(+{each - local:.0f} us for the shared budget)"
                )
        finally:
            redis.stop()


def fleet(processes: int, label: str, budget: str, reset_format: str = "delta") -> None:
    fake = FakeMeetBot(log_count=10)
    fake.set_rate_limit(RATE, per=1.0, reset_format="epoch" if reset_format == "epoch" else "delta")
    args = ["--threads", str(THREADS), "--calls", str(CALLS_PER_THREAD)]
    reports, seconds = run_fleet(fake, budget, processes, args)
    calls = processes * THREADS * CALLS_PER_THREAD
    succeeded = sum(int(report["ok"]) for report in reports)
    refused = len(fake.requests) - calls
    ideal = calls / RATE
    failed = "" if succeeded == calls else f"  ({calls - succeeded} calls FAILED)"
    label += ", whole-second resets" if reset_format == "epoch" else ""
    print(
        f"{processes} processes x {THREADS} threads, {label:38} {refused:3d} x 429  "
        f"{seconds:5.2f} s = {seconds / ideal:4.2f} x ideal ({ideal:.0f} s){failed}"
    )


def per_call_us(throttle: bool | FileBudget | RedisBudget) -> float:
    """Microseconds per call through the in-process fake (no sockets), budget never spent:
    the best of a few rounds, since the machine is shared."""
    fake = FakeMeetBot(log_count=10)
    fake.set_rate_limit(1_000_000, per=3600)
    http = httpx.Client(transport=fake.transport())
    best = float("inf")
    with MeetBot(fake.api_key, base_url=fake.base_url, throttle=throttle, http_client=http) as c:
        for _ in range(20):  # warm up: the cold start's probe, connections, caches
            c.api_keys.get_usage(1)
        for _round in range(ROUNDS):
            started = time.perf_counter()
            for _ in range(OVERHEAD_CALLS):
                c.api_keys.get_usage(1)
            best = min(best, (time.perf_counter() - started) / OVERHEAD_CALLS)
    if isinstance(throttle, RedisBudget):
        throttle.close()
    return best * 1e6


if __name__ == "__main__":
    main(whole_seconds_only=sys.argv[1:] == ["whole-seconds"])
