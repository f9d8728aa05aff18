"""``kill -9`` during extraction, normalisation and load, run after run, against a busy account
(logs arriving with every page, random 503s); then a run to the end leaves every log in the
table exactly once: ``count(*) == count(distinct id) ==`` the account's logs.

DuckDB runs here in every ``make test``, with a few kills. ``make test-postgres``
(``MEETBOT_TEST_POSTGRES=1``) runs ten kills on DuckDB and on a real PostgreSQL started for
the test on a unix socket. Each killed run is ``meetbot load`` SIGKILLing itself at a seeded
random call of the chosen dlt step (tests/support/load_worker.py), so the kills land where
they should on any machine, however loaded.
"""

from __future__ import annotations

import os
import pathlib
import random
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from meetbot_sdk.testing import FakeMeetBot, Fault
from tests.support import needs_extra
from tests.support.postgres import postgres_server
from tests.support.warehouse import query

pytestmark = pytest.mark.loopback

SECRET = "mb_test_kill_secret_51d0e9"
ON_DEMAND = os.environ.get("MEETBOT_TEST_POSTGRES") == "1"
KILLS = 10 if ON_DEMAND else 3
STEPS = ("extract", "normalize", "load")
# How far into each step a kill may land, in Python calls (tests/support/load_worker.py): well
# inside what the step makes with this account (about 90,000 / 80,000 / 95,000 calls).
CALLS = {"extract": (500, 45_000), "normalize": (200, 40_000), "load": (200, 45_000)}
ROOT = pathlib.Path(__file__).resolve().parents[2]

Query = Callable[[str], list[tuple[Any, ...]]]


@pytest.fixture(params=["duckdb", "postgres"])
def destination(
    request: pytest.FixtureRequest, tmp_path: pathlib.Path
) -> Iterator[tuple[str, dict[str, str], Query]]:
    """The destination's name, the environment that configures it, and a way to query it."""
    needs_extra("dlt")
    if request.param == "duckdb":
        yield "duckdb", {}, lambda sql: query(tmp_path, sql)
        return
    if not ON_DEMAND:
        pytest.skip("PostgreSQL runs on demand: make test-postgres")
    needs_extra("psycopg2")
    with postgres_server() as server:
        yield "postgres", {"DESTINATION__POSTGRES__CREDENTIALS": server.dsn}, server.query


def test_kill_9_at_any_step_then_a_run_to_the_end_loads_every_log_once(
    destination: tuple[str, dict[str, str], Query], tmp_path: pathlib.Path
) -> None:
    needs_extra("click")
    name, destination_env, ask = destination
    fake = FakeMeetBot(api_key=SECRET, seed=25, log_count=500, record_requests=False)
    fake.add_logs_after_each_page(2)  # a busy account: every page shifts the next
    busy = Fault.status(503, headers={"Retry-After": "0"})
    fake.fail_randomly(0.15, busy, seed=4, path="/users/me/api-logs")
    rng = random.Random(25)  # noqa: S311 (where to kill, not secrets)
    plan = [(STEPS[n % 3], rng.randint(*CALLS[STEPS[n % 3]])) for n in range(KILLS)]

    def duplicates() -> int:
        try:
            [(rows, ids)] = ask("select count(*), count(distinct id) from meetbot.api_logs")
        except Exception:
            return 0
        return int(rows) - int(ids)

    with fake.serve() as base_url:
        env = {
            **os.environ,
            **destination_env,
            "MEETBOT_API_KEY": SECRET,
            "MEETBOT_BASE_URL": base_url,
            "PYTHONPATH": str(ROOT),
        }

        def load(step: str, calls: int) -> subprocess.CompletedProcess[str]:
            command = [sys.executable, "-m", "tests.support.load_worker", step, str(calls)]
            options = ["--destination", name, "--pipeline-dir", "pipelines", "--max-retries", "20"]
            return subprocess.run(  # noqa: S603 (this interpreter, our worker)
                command + options,
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )

        first = load("none", 0)  # the kills then hit runs that go on from a loaded table
        assert first.returncode == 0, first.stderr
        fake.add_logs(150)
        for step, calls in plan:
            killed = load(step, calls)
            assert killed.returncode == -9, f"not killed in {step} at call {calls}: {killed}"
            assert duplicates() == 0, f"a log twice after kills {plan}"
        fake.add_logs_after_each_page(0)  # quiet now: the table catches up with the account
        fake.clear_faults()
        final = load("none", 0)
        assert final.returncode == 0, final.stderr
        assert SECRET not in final.stderr + final.stdout
        # The checkpoint survived the kills: the last run walked only what was still new.
        extracted = re.search(r"extracted ([\d,]+) new logs", final.stderr)
        assert extracted is not None, final.stderr
        assert int(extracted[1].replace(",", "")) < 150, final.stderr
    [(rows, ids)] = ask("select count(*), count(distinct id) from meetbot.api_logs")
    assert rows == ids == len(fake.logs), f"kills {plan}"
    assert {row[0] for row in ask("select id from meetbot.api_logs")} == {
        log["id"] for log in fake.logs
    }
    kills = ", ".join(f"{step}@{calls}" for step, calls in plan)
    print(f"{name}: {KILLS} runs killed ({kills}); the last run walked {extracted[1]} new logs;")
    print(f"  {rows} logs in the table, each once")
