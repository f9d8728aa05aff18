"""The fake API in a process of its own, so that a benchmark's process counts only the client.

``python -m benchmarks._server [LOG_COUNT]`` prints the base URL and the API key on one line,
then serves on 127.0.0.1 until its standard input is closed. Responses carry rate-limit
headers (a budget that is never spent), as the real API's do, so the client's header
handling is counted too.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from meetbot_sdk.testing import FakeMeetBot

LOG_COUNT = 2_000


def main() -> None:
    log_count = int(sys.argv[1]) if len(sys.argv) > 1 else LOG_COUNT
    fake = FakeMeetBot(seed=1, log_count=log_count, record_requests=False)
    fake.set_rate_limit(10_000_000, per=3600.0)
    with fake.serve() as base_url:
        print(base_url, fake.api_key, flush=True)
        sys.stdin.read()  # until the parent closes the pipe (or dies)


@contextmanager
def server_process(log_count: int = LOG_COUNT) -> Iterator[tuple[str, str]]:
    """Start the server process; yield ``(base_url, api_key)``; stop it on exit."""
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks._server", str(log_count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        base_url, api_key = process.stdout.readline().split()
        yield base_url, api_key
    finally:
        process.stdin.close()
        process.wait(timeout=10)
        process.stdout.close()


if __name__ == "__main__":
    main()
