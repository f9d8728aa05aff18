"""Run every benchmark and print its figures: ``make bench`` or ``python -m benchmarks``."""

from __future__ import annotations

from benchmarks import (
    bench_calls,
    bench_decode,
    bench_fleet,
    bench_import,
    bench_pagination,
    bench_resilience,
)


def main() -> None:
    benches = (bench_decode, bench_calls, bench_import, bench_resilience, bench_pagination)
    for bench in (*benches, bench_fleet):
        print(f"== {bench.__name__.rpartition('.')[2]}")
        bench.main()
        print()


if __name__ == "__main__":
    main()
