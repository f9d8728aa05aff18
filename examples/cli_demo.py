"""The ``meetbot`` command, end to end, against the fake server on 127.0.0.1: a summary, a
filtered export with its checkpoint, and an incremental rerun that appends only new logs.

Each step runs the real command (``python -m meetbot_sdk``) and shows it as a terminal
session would::

    make demo          # after examples/demo.py
    python examples/cli_demo.py
"""

from __future__ import annotations

import csv
import datetime
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from meetbot_sdk.testing import FakeMeetBot


def meetbot(env: dict[str, str], *argv: str, cwd: Path) -> str:
    """Run ``meetbot argv`` like a shell would; return what it showed, prompt included."""
    result = subprocess.run(  # noqa: S603 (this interpreter, our command)
        [sys.executable, "-m", "meetbot_sdk", *argv],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    shown = f"$ meetbot {shlex.join(argv)}\n{result.stdout}{result.stderr}"
    if result.returncode:
        shown += f"(exit status {result.returncode})\n"
    return shown


def session(fake: FakeMeetBot, base_url: str, workdir: Path) -> list[str]:
    """Every step's output, in order."""
    env = {
        **os.environ,
        "MEETBOT_BASE_URL": base_url,
        "MEETBOT_API_KEY": fake.api_key,
        "COLUMNS": "100",
    }
    since = (fake.now - datetime.timedelta(days=7)).date().isoformat()
    export = [
        "logs",
        "--method",
        "POST",
        "--start-date",
        since,
        "--output",
        "posts.csv",
        "--checkpoint",
        "posts.state",
    ]
    steps = [
        meetbot(env, "analytics", "--period", "7d", "--format", "table", cwd=workdir),
        meetbot(env, "logs", "--limit", "5", "--format", "table", cwd=workdir),
        meetbot(env, *export, cwd=workdir),
    ]
    lines = (workdir / "posts.csv").read_text().splitlines()
    steps.append("$ head -n 3 posts.csv\n" + "\n".join(lines[:3]) + "\n")
    arrived = fake.add_logs(400)
    posts = sum(log["method"] == "POST" for log in arrived)
    steps.append(
        f"(400 new requests reach the account, {posts} of them POSTs;"
        " the same command again appends exactly those)\n" + meetbot(env, *export, cwd=workdir)
    )
    with (workdir / "posts.csv").open(newline="") as exported:
        ids = [row["id"] for row in csv.DictReader(exported)]
    steps.append(f"posts.csv: {len(ids)} rows, {len(set(ids))} distinct log ids\n")
    return steps


def main(argv: Sequence[str] | None = None) -> int:
    del argv
    now = datetime.datetime.now(datetime.timezone.utc)
    fake = FakeMeetBot(seed=2026, log_count=5_000, now=now)
    with fake.serve() as base_url, tempfile.TemporaryDirectory() as workdir:
        print(f"(fake MeetBot server listening at {base_url}; working in a temporary folder)\n")
        for step in session(fake, base_url, Path(workdir)):
            print(step)
    return 0


if __name__ == "__main__":
    sys.exit(main())
