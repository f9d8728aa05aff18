"""The warehouse: loading 200,000 logs into DuckDB with the dlt source against the plain walk
(wall time, goal within 2x; peak memory, goal within 1.5x of a load of one page, which is one
page plus dlt's own buffers and the libraries), and ``to_arrow()`` against ``to_pandas()``
(CPU time, goal at most the same).

The walk and the loads each run in a fresh process (``python -m benchmarks.bench_warehouse
walk|load BASE_URL KEY FOLDER [MAX_ITEMS]``) against the fake API served by a process of its
own, so that each peak is that process's resident set (``ru_maxrss``: DuckDB's and Arrow's
memory included, which tracemalloc does not see) and the server's work weighs on no figure.
The load of an account of one page gives the memory every load needs whatever its size.
Imports happen before the clock starts, in every process.
Times are the best of a few rounds, wall time (dlt writes files and DuckDB loads them: not
all of that is this process's CPU). ``to_arrow()`` and ``to_pandas()`` run in this process
on an in-process fake, CPU time, as ``bench_frames`` measures ``to_pandas()``.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from typing import Any

import httpx

from benchmarks._server import server_process
from benchmarks.bench_frames import best_seconds
from meetbot_sdk import MeetBot
from meetbot_sdk.testing import FakeMeetBot

LOG_COUNT = 200_000
PAGE_SIZE = 100
ROUNDS = 3


def main() -> None:
    with server_process(LOG_COUNT) as (base_url, api_key):
        _measure("walk", base_url, api_key, LOG_COUNT)  # the server encodes, caches every log
        walks = [_measure("walk", base_url, api_key, LOG_COUNT) for _ in range(ROUNDS)]
        loads = [_measure("load", base_url, api_key, LOG_COUNT) for _ in range(ROUNDS)]
    with server_process(PAGE_SIZE) as (base_url, api_key):  # an account of one page
        pages = [_measure("load", base_url, api_key, PAGE_SIZE) for _ in range(ROUNDS)]
    walk, load = _best(walks, "seconds"), _best(loads, "seconds")
    page = _best(pages, "rss")
    label = f"{LOG_COUNT:,} logs, page_size {PAGE_SIZE}, loopback"
    print(f"{'plain walk, ' + label:58} {walk['seconds']:8.2f} s")
    print(f"{'meetbot_source() into DuckDB, same (pipeline.run)':58} {load['seconds']:8.2f} s")
    for step in ("extract", "normalize", "load"):
        print(f"{'  of which ' + step:58} {load[step]:8.2f} s")
    print(f"{'ratio load / walk':58} {load['seconds'] / walk['seconds']:8.2f} (goal <= 2.00)")
    print(f"{'ratio extract / walk':58} {load['extract'] / walk['seconds']:8.2f}")
    print(f"{'peak RSS, walk process':58} {_mib(walk['rss']):8.1f} MiB")
    rows = (
        ("after extracting", "extracted_rss"),
        ("after the whole run (DuckDB's merge included)", "rss"),
    )
    for what, key in rows:
        print(f"{'peak RSS, load of one page, ' + what:58} {_mib(page[key]):8.1f} MiB")
        print(f"{f'peak RSS, load of {LOG_COUNT:,} logs, ' + what:58} {_mib(load[key]):8.1f} MiB")
        print(f"{'  ratio, ' + what:58} {load[key] / page[key]:8.2f} (goal <= 1.50)")
    arrow_vs_pandas()


def _best(results: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return min(results, key=lambda result: float(result[key]))


def _mib(size: float) -> float:
    return size / 2**20


def arrow_vs_pandas() -> None:
    fake = FakeMeetBot(log_count=LOG_COUNT, record_requests=False)
    with (
        httpx.Client(transport=fake.transport()) as http,
        MeetBot(fake.api_key, base_url=fake.base_url, http_client=http) as client,
    ):
        sum(1 for _ in client.api_logs.list(page_size=PAGE_SIZE))  # warms the fake

        def walk() -> int:
            return sum(1 for _ in client.api_logs.list(page_size=PAGE_SIZE))

        def to_pandas() -> Any:
            return client.api_logs.list(page_size=PAGE_SIZE).to_pandas()

        def to_arrow() -> Any:
            return client.api_logs.list(page_size=PAGE_SIZE).to_arrow()

        walk_s, pandas_s, arrow_s = best_seconds(walk, to_pandas, to_arrow)
        table, frame = to_arrow(), to_pandas()
    print(f"{f'plain walk, {LOG_COUNT:,} logs, in-process':58} {walk_s:8.2f} s CPU")
    print(f"{'pager.to_pandas(), same walk':58} {pandas_s:8.2f} s CPU")
    print(f"{'pager.to_arrow(), same walk':58} {arrow_s:8.2f} s CPU")
    print(f"{'ratio to_arrow / to_pandas':58} {arrow_s / pandas_s:8.2f} (goal <= 1.00)")
    print(f"{'ratio to_arrow / walk':58} {arrow_s / walk_s:8.2f}")
    print(f"{'Arrow table nbytes':58} {table.nbytes / 2**20:8.1f} MiB")
    frame_bytes = frame.memory_usage(deep=True).sum()
    print(f"{'pandas frame memory_usage(deep=True)':58} {frame_bytes / 2**20:8.1f} MiB")


def _measure(kind: str, base_url: str, api_key: str, logs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "benchmarks.bench_warehouse", kind, base_url, api_key]
        command += [folder, str(logs)]
        env = {"RUNTIME__DLTHUB_TELEMETRY": "false", "PATH": "", "DLT_DATA_DIR": folder}
        ran = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    result: dict[str, Any] = json.loads(ran.stdout.splitlines()[-1])
    return result


def _child(kind: str, base_url: str, api_key: str, folder: str, logs: int) -> None:
    """One walk or one load of ``logs`` logs, in this fresh process; prints its seconds and
    peak RSS."""
    steps: dict[str, float] = {}
    if kind == "walk":
        with MeetBot(api_key, base_url=base_url) as client:
            started = time.perf_counter()
            walked = sum(1 for _ in client.api_logs.list(page_size=PAGE_SIZE))
            seconds = time.perf_counter() - started
        assert walked == logs, walked
    else:
        import dlt
        import pyarrow

        from meetbot_sdk.dlt import meetbot_source

        # Imports before the clock starts, as for the walk: pyarrow's first array imports
        # pandas when it is installed (about 0.9 s here; the dlt extra alone has no pandas).
        pyarrow.array([0])
        source = meetbot_source(api_key, base_url)
        pipeline = dlt.pipeline(
            "bench_warehouse",
            folder,
            destination=dlt.destinations.duckdb(f"{folder}/bench.duckdb"),
            dataset_name="meetbot",
        )
        # The steps of pipeline.run(source), one by one, to time each.
        started = time.perf_counter()
        pipeline.extract(source)
        steps["extract"] = time.perf_counter() - started
        steps["extracted_rss"] = _peak_rss()
        pipeline.normalize()
        steps["normalize"] = time.perf_counter() - started - steps["extract"]
        pipeline.load()
        seconds = time.perf_counter() - started
        steps["load"] = seconds - steps["extract"] - steps["normalize"]
        counts = pipeline.last_trace.last_normalize_info.row_counts
        assert counts["api_logs"] == logs, counts
    print(json.dumps({"seconds": seconds, "rss": _peak_rss(), **steps}))


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
