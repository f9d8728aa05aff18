"""Run every benchmark and print its figures: ``make bench`` or ``python -m benchmarks``.

``python -m benchmarks targets`` runs only those that the performance targets are checked on
(client CPU per call, decoding, import time, event-loop blocking); ``make bench`` runs all.
"""

from __future__ import annotations

import sys

from benchmarks import (
    bench_big_body,
    bench_calls,
    bench_client_cpu,
    bench_fan_out,
    bench_fleet,
    bench_frames,
    bench_import,
    bench_loop_lag,
    bench_pagination,
    bench_resilience,
    bench_warehouse,
)


def main() -> None:
    benches = [bench_client_cpu, bench_import, bench_loop_lag]
    if sys.argv[1:] != ["targets"]:
        benches += [
            bench_calls,
            bench_resilience,
            bench_fan_out,
            bench_big_body,
            bench_pagination,
            bench_frames,
            bench_fleet,
            bench_warehouse,
        ]
    for bench in benches:
        print(f"== {bench.__name__.rpartition('.')[2]}", flush=True)
        bench.main()
        print(flush=True)


if __name__ == "__main__":
    main()
