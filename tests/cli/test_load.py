"""``meetbot load``: into a DuckDB file by default, the row counts at the end; the key from
the options, ``MEETBOT_API_KEY`` or dlt's ``.dlt/secrets.toml``; the DuckDB name trap refused."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

from meetbot_sdk.testing import FakeMeetBot
from tests.cli.support import SECRET, Account
from tests.support import needs_extra
from tests.support.warehouse import files_holding, log_ids

pytestmark = pytest.mark.loopback


@pytest.fixture(autouse=True)
def _dlt() -> None:
    needs_extra("dlt")


def test_load_writes_a_duckdb_file_and_says_how_many_rows(
    account: Account, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    ran = account.run("load", "--pipeline-dir", str(tmp_path / "pipelines"), "--key-id", "2")
    assert ran.status == 0, ran.err
    assert ran.err.splitlines() == [
        "meetbot: extracted 400 new logs; loading",
        "meetbot: loaded into duckdb, dataset meetbot"
        f" (duckdb:///{tmp_path}/meetbot_pipeline.duckdb)",
        "  api_key_usage                            1 rows",
        "  api_key_usage__recent_requests          10 rows",
        "  api_logs                               400 rows",
        "  daily_usage                             90 rows",
    ]
    assert log_ids(tmp_path) == sorted(log["id"] for log in account.fake.logs)

    account.fake.add_logs(7)
    again = account.run("load", "--pipeline-dir", str(tmp_path / "pipelines"))
    assert again.status == 0, again.err
    assert ["api_logs", "7", "rows"] in [line.split() for line in again.err.splitlines()]
    assert len(log_ids(tmp_path)) == 407
    assert files_holding(tmp_path, SECRET) == []


def test_each_folder_holds_a_pipeline_of_its_own_by_default(
    account: Account, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # dlt's default working folder is per machine: a second folder's run found the first
    # folder's pipeline, and loaded into its DuckDB file (or failed once that was gone).
    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        folder.mkdir()
        monkeypatch.chdir(folder)
        ran = account.run("load")
        assert ran.status == 0, ran.err
        assert f"(duckdb:///{folder}/meetbot_pipeline.duckdb)" in ran.err
        assert (folder / ".dlt_pipelines" / "meetbot_pipeline").is_dir()
        assert log_ids(folder) == sorted(log["id"] for log in account.fake.logs)


def test_a_dataset_named_like_the_pipeline_is_refused_with_the_reason(
    account: Account, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    ran = account.run("load", "--pipeline-name", "meetbot", "--dataset", "meetbot")
    assert ran.status == 2
    assert ran.err == (
        "meetbot: error: the dataset and the pipeline are both named 'meetbot': DuckDB names"
        " the file (its catalog) after the pipeline, and would find 'meetbot' ambiguous;"
        " choose another --dataset or --pipeline-name\n"
    )
    assert account.fake.requests == []


def test_an_api_failure_is_one_line_with_the_sdk_s_message(
    account: Account, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    ran = account.run("load", "--pipeline-dir", str(tmp_path / "p"), "--key-id", "99")
    assert ran.status == 1
    assert ran.err.splitlines()[-1].startswith("meetbot: error: 404 Not Found: API key 99")


def test_the_key_comes_from_dlt_s_secrets_toml(tmp_path: pathlib.Path) -> None:
    fake = FakeMeetBot(api_key=SECRET, log_count=60)
    project = tmp_path / "project"
    (project / ".dlt").mkdir(parents=True)
    with fake.serve() as base_url:
        (project / ".dlt" / "secrets.toml").write_text(
            f'[sources.meetbot]\napi_key = "{SECRET}"\nbase_url = "{base_url}"\n'
        )
        env = {name: value for name, value in os.environ.items() if not name.startswith("MEETBOT_")}
        ran = subprocess.run(
            [sys.executable, "-m", "meetbot_sdk", "load", "--pipeline-dir", "pipelines"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert ran.returncode == 0, ran.stderr
    assert SECRET not in ran.stderr + ran.stdout
    assert len(log_ids(project)) == 60
    assert files_holding(project / "pipelines", SECRET) == []


def test_without_dlt_load_names_the_install_line(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "dlt", None)
    ran = account.run("load")
    assert ran.status == 2
    assert ran.err == (
        "meetbot: meetbot load needs the optional 'dlt' package."
        ' Install it with: pip install "meetbot-sdk[dlt]"\n'
    )


def test_an_interrupted_load_ends_with_status_130(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dlt.common.exceptions import DltException

    from meetbot_sdk._warehouse import _runs

    def interrupted(*args: object, **kwargs: object) -> None:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as stop:  # dlt wraps an interrupt in its step's error
            raise DltException("Pipeline execution failed at step=extract") from stop

    monkeypatch.setattr(_runs, "run_to_the_end", interrupted)
    ran = account.run("load")
    assert ran.status == 130
    assert ran.err.endswith("meetbot: interrupted\n")


def test_a_run_after_an_interrupted_one_finishes_it_and_still_extracts(
    account: Account, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dlt

    from meetbot_sdk.dlt import meetbot_source

    monkeypatch.chdir(tmp_path)
    pipelines = str(tmp_path / "pipelines")
    assert account.run("load", "--pipeline-dir", pipelines).status == 0
    # A run that stopped after extracting 3 new logs: its package waits in the folder.
    account.fake.add_logs(3)
    pipeline = dlt.pipeline(
        "meetbot_pipeline", pipelines, destination="duckdb", dataset_name="meetbot"
    )
    pipeline.extract(meetbot_source(SECRET, account.base_url))
    account.fake.add_logs(5)  # plain pipeline.run(source) would load the 3, and stop there
    ran = account.run("load", "--pipeline-dir", pipelines)
    assert ran.status == 0, ran.err
    assert ran.err.splitlines()[:2] == [
        "meetbot: finishing the load an interrupted run left",
        "meetbot: extracted 5 new logs; loading",
    ]
    assert log_ids(tmp_path) == sorted(log["id"] for log in account.fake.logs)  # 408
