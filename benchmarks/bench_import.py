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


TARGET_MS = 10.0


def main() -> None:
    deps = import_ms("import httpx, attrs, cattrs")
    ours = import_ms("import meetbot_sdk")
    verdict = "ok" if ours - deps <= TARGET_MS else "MISSED"
    print(f"-- import time (median of {RUNS} fresh interpreters, -X importtime)")
    print(f"   {'import httpx, attrs, cattrs':46} {deps:7.1f} ms")
    print(f"   {'import meetbot_sdk':46} {ours:7.1f} ms")
    print(f"   {'difference':46} {ours - deps:7.1f} ms  <= {TARGET_MS:.0f} ms {verdict}")
