"""``kill -9`` at random moments, 20 times in a row, then a run to the end: FILE holds every
matching log exactly once; a later run appends only the logs that arrived since."""

from __future__ import annotations

import json
import pathlib
import random
import subprocess
import sys
import time

import pytest

from meetbot_sdk.testing import FakeMeetBot, Fault
from tests.cli.support import SECRET
from tests.support import needs_extra

pytestmark = pytest.mark.loopback

KILLS = 20


def _file_ids(path: pathlib.Path, length: int | None = None) -> list[int]:
    data = path.read_bytes()[:length] if path.exists() else b""
    assert not data or data.endswith(b"\n"), "FILE ends with a partial line"
    return [json.loads(line)["id"] for line in data.splitlines()]


def _settled(state: pathlib.Path) -> int:
    """How many bytes of FILE its STATE vouches for (0 before the first STATE)."""
    return int(json.loads(state.read_text())["bytes"]) if state.exists() else 0


def _get_ids(fake: FakeMeetBot, above: int = 0) -> list[int]:
    return [log["id"] for log in fake.logs if log["method"] == "GET" and log["id"] > above]


def _watermark_id(state: pathlib.Path) -> int:
    checkpoint = json.loads(json.loads(state.read_text())["checkpoint"])
    assert checkpoint["finished"]
    return int(checkpoint["watermark"][1])


def test_exports_survive_kill_9_and_resume_exactly_once(tmp_path: pathlib.Path) -> None:
    needs_extra("click")
    needs_extra("rich")
    fake = FakeMeetBot(api_key=SECRET, seed=9, log_count=3_000, record_requests=False)
    fake.add_logs_after_each_page(2)  # a busy account: every page shifts the next
    fake.set_latency(0.02)  # so that a run takes long enough to be killed mid-way
    busy = Fault.status(503, headers={"Retry-After": "0"})
    fake.fail_randomly(0.15, busy, seed=4, path="/users/me/api-logs")
    output, state = tmp_path / "logs.jsonl", tmp_path / "logs.state"
    rng = random.Random()  # noqa: S311 (timing, not secrets)
    delays = [round(rng.uniform(0.3, 0.9), 3) for _ in range(KILLS)]
    with fake.serve() as base_url:
        env = {"MEETBOT_API_KEY": SECRET, "MEETBOT_BASE_URL": base_url, "PATH": ""}
        command = [
            sys.executable,
            "-m",
            "meetbot_sdk",
            "logs",
            "--method",
            "GET",
            "--page-size",
            "10",
            "--max-retries",
            "20",
            "--output",
            str(output),
            "--checkpoint",
            str(state),
        ]

        def run_to_end() -> subprocess.CompletedProcess[str]:
            return subprocess.run(  # noqa: S603 (this interpreter, our command)
                command, env=env, capture_output=True, text=True, timeout=60, check=False
            )

        killed = unsettled = 0
        for delay in delays:
            process = subprocess.Popen(  # noqa: S603 (this interpreter, our command)
                command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            time.sleep(delay)
            process.kill()
            killed += process.wait() == -9
            # Past what STATE vouches for, FILE may end with rows of the page being written,
            # the last perhaps partial: the next run cuts them off.
            settled = _settled(state)
            unsettled += output.exists() and output.stat().st_size > settled
            ids = _file_ids(output, settled)
            assert len(ids) == len(set(ids)), f"a log twice after kills at {delays}"
        existing = set(_get_ids(fake))
        final = run_to_end()
        assert final.returncode == 0, final.stderr
        assert SECRET not in final.stderr

        exported = _file_ids(output)
        watermark = _watermark_id(state)
        assert len(exported) == len(set(exported)), f"a log twice (kills at {delays})"
        assert existing <= set(exported), f"a log lost (kills at {delays})"
        up_to_watermark = {i for i in _get_ids(fake) if i <= watermark}
        assert set(exported) == up_to_watermark, f"kills at {delays}"
        assert killed >= KILLS // 4, f"only {killed} of {KILLS} runs were killed mid-export"
        print(
            f"{killed} of {KILLS} runs killed mid-export, {unsettled} leaving rows past STATE;"
            f" {len(exported)} logs once each"
        )

        fake.add_logs_after_each_page(0)
        fake.clear_faults()
        fake.add_logs(40)
        again = run_to_end()
        assert again.returncode == 0, again.stderr
        assert _file_ids(output) == exported + _get_ids(fake, above=watermark)
