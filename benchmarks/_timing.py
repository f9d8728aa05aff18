"""Interleaved rounds, medians, CPU time: how every comparison in ``make bench`` is timed.

The machine is shared and noisy, so no contender runs all its calls in one stretch: each
round runs a short batch of every contender, in a rotated order, and the figure reported is
the median over rounds of the per-call cost. Per-call cost is the process's CPU time
(``time.process_time``: the client's own work, not the server's and not the waits); wall
time is reported beside it.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence

import attrs

__all__ = ["Cost", "interleaved", "interleaved_async", "print_table"]


@attrs.frozen
class Cost:
    """Median per-call cost over the rounds, in microseconds."""

    cpu_us: float
    wall_us: float


def _order(names: Sequence[str], round_number: int) -> list[str]:
    shift = round_number % len(names)
    return [*names[shift:], *names[:shift]]


def _medians(samples: dict[str, list[tuple[float, float]]], batch: int) -> dict[str, Cost]:
    return {
        name: Cost(
            cpu_us=statistics.median(cpu for cpu, _ in pairs) / batch * 1e6,
            wall_us=statistics.median(wall for _, wall in pairs) / batch * 1e6,
        )
        for name, pairs in samples.items()
    }


def interleaved(
    contenders: dict[str, Callable[[], object]], *, rounds: int, batch: int
) -> dict[str, Cost]:
    """Time ``batch`` calls of each contender per round, after one warm-up batch each."""
    names = list(contenders)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for round_number in range(-1, rounds):  # round -1 warms up and is not kept
        for name in _order(names, round_number):
            call = contenders[name]
            gc.collect()
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(batch):
                call()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            if round_number >= 0:
                samples[name].append((cpu, wall))
    return _medians(samples, batch)


async def interleaved_async(
    contenders: dict[str, Callable[[], Awaitable[object]]], *, rounds: int, batch: int
) -> dict[str, Cost]:
    """:func:`interleaved` for coroutine functions, all run on the current event loop."""
    names = list(contenders)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for round_number in range(-1, rounds):
        for name in _order(names, round_number):
            call = contenders[name]
            gc.collect()
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(batch):
                await call()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            if round_number >= 0:
                samples[name].append((cpu, wall))
    return _medians(samples, batch)


def print_table(
    title: str, costs: dict[str, Cost], baseline: str, targets: dict[str, float] | None = None
) -> dict[str, float]:
    """Print one table with CPU ratios against ``baseline``; return those ratios.

    ``targets`` maps a contender to its highest allowed CPU ratio, shown as ok / MISSED.
    """
    targets = targets or {}
    base = costs[baseline].cpu_us
    print(f"-- {title}")
    print(f"   {'':46} {'CPU/call':>10} {'wall/call':>10} {'CPU ratio':>9}  target")
    ratios = {}
    for name, cost in costs.items():
        ratio = ratios[name] = cost.cpu_us / base
        goal = targets.get(name)
        verdict = "" if goal is None else f"<= {goal:.2f} {'ok' if ratio <= goal else 'MISSED'}"
        print(
            f"   {name:46} {_us(cost.cpu_us):>10} {_us(cost.wall_us):>10} {ratio:9.2f}  {verdict}"
        )
    return ratios


def _us(value: float) -> str:
    return f"{value / 1000:.2f} ms" if value >= 1000 else f"{value:.0f} us"
