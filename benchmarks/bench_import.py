"""``import meetbot_sdk`` against importing its dependencies alone (fresh interpreters)."""

from __future__ import annotations

import statistics
import subprocess
import sys

RUNS = 9


def import_ms(statement: str) -> float:
    """Median over fresh interpreters of the cumulative import time of ``statement``."""
    samples = []
    for _ in range(RUNS):
        report = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", statement],
            capture_output=True,
            text=True,
            check=True,
        ).stderr
        samples.append(_top_level_us(report) / 1000)
    return statistics.median(samples)


def _top_level_us(report: str) -> int:
    """Sum of the cumulative times of the imports made at top level (not nested ones)."""
    total = 0
    for line in report.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line[len("import time:") :].split("|")
        if not name[1:].startswith(" "):  # nested imports are indented further
            total += int(cumulative)
    return total


def main() -> None:
    deps = import_ms("import httpx, attrs, cattrs.preconf.json")
    ours = import_ms("import meetbot_sdk")
    print(f"httpx + attrs + cattrs   {deps:7.1f} ms (median of {RUNS} fresh interpreters)")
    print(f"meetbot_sdk              {ours:7.1f} ms")
    print(f"our own share            {ours - deps:7.1f} ms")
