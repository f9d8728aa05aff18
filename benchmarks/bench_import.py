"""What a user pays to import the SDK, against importing its dependencies alone, in fresh
interpreters.

The statement timed is what a user writes, ``from meetbot_sdk import MeetBot, AsyncMeetBot``,
not a bare ``import meetbot_sdk``: the two clients' modules are in the figure whatever the
package may load on first use (PEP 562).

The package is byte-compiled first, as ``pip install`` does (``PYTHONDONTWRITEBYTECODE``, set
on some machines, would otherwise make every fresh interpreter compile it from source, which
is most of the time measured). Each sample is one interpreter that times, in CPU and wall
time, ``import <library>, attrs, cattrs`` and then ``from meetbot_sdk import MeetBot,
AsyncMeetBot``: the second figure is what the SDK adds on top of its dependencies. Medians over
the samples.

``import meetbot_sdk`` imports httpx, its declared dependency, and never httpx2 (a client
that asks for httpx2 imports it then), so the dependencies are httpx, attrs and cattrs.
"""

from __future__ import annotations

import compileall
import statistics
import subprocess
import sys
from pathlib import Path

RUNS = 15
TARGET_MS = 10.0
_PROBE = """
import importlib, sys, time
library = sys.argv[1]
c0, w0 = time.process_time(), time.perf_counter()
importlib.import_module(library)
import attrs, cattrs
c1, w1 = time.process_time(), time.perf_counter()
from meetbot_sdk import MeetBot, AsyncMeetBot
c2, w2 = time.process_time(), time.perf_counter()
assert "httpx2" not in sys.modules
print(c1 - c0, w1 - w0, c2 - c1, w2 - w1)
"""


def main() -> None:
    import meetbot_sdk

    compileall.compile_dir(Path(meetbot_sdk.__file__).parent, quiet=1)
    print(f"-- import time (median of {RUNS} fresh interpreters)      CPU       wall")
    _measure("httpx")


def _measure(library: str) -> None:
    samples = []
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, "-c", _PROBE, library],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        samples.append([float(x) * 1000 for x in out.split()])
    deps_cpu, deps_wall, ours_cpu, ours_wall = (
        statistics.median(s[i] for s in samples) for i in range(4)
    )
    verdict = "ok" if ours_cpu <= TARGET_MS else "MISSED"
    print(f"   {f'import {library}, attrs, cattrs':46} {deps_cpu:7.1f} ms {deps_wall:7.1f} ms")
    print(
        f"   {'then from meetbot_sdk import MeetBot, AsyncMeetBot':46} {ours_cpu:7.1f} ms "
        f"{ours_wall:7.1f} ms  <= {TARGET_MS:.0f} ms {verdict}"
    )


if __name__ == "__main__":
    main()
