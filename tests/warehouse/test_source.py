"""The dlt source into DuckDB: every log once, run after run; usage tables merged; credentials
from arguments or dlt's configuration, and never in dlt's state, trace, files or logs."""

from __future__ import annotations

import datetime
import logging
import pathlib
import pickle
from typing import Any

import pytest

from meetbot_sdk.testing import FakeMeetBot
from tests.support import needs_extra
from tests.support.warehouse import DATASET, files_holding, log_ids, pipeline, query

SECRET = "mb_test_dlt_secret_8c2e51"
LOGS = "/users/me/api-logs"


@pytest.fixture(autouse=True)
def _dlt() -> None:
    needs_extra("dlt")


def source(base_url: str, **options: Any) -> Any:
    from meetbot_sdk.dlt import meetbot_source

    return meetbot_source(SECRET, base_url, **options)


def log_pages(fake: FakeMeetBot) -> list[dict[str, str]]:
    return [r.query for r in fake.requests if r.path == LOGS]


def test_each_run_loads_exactly_the_logs_that_arrived_since(tmp_path: pathlib.Path) -> None:
    fake = FakeMeetBot(api_key=SECRET, log_count=450)
    with fake.serve() as url:
        pipeline(tmp_path).run(source(url))
        assert log_ids(tmp_path) == sorted(log["id"] for log in fake.logs)
        fake.add_logs(30)
        before = len(log_pages(fake))
        pipeline(tmp_path).run(source(url))
        assert len(log_pages(fake)) - before == 1  # one page: only the 30 new logs
    assert log_ids(tmp_path) == sorted(log["id"] for log in fake.logs)
    assert query(tmp_path, "select count(*), count(distinct id) from meetbot.api_logs") == [
        (480, 480)
    ]


def test_the_table_has_the_arrow_types(tmp_path: pathlib.Path) -> None:
    fake = FakeMeetBot(api_key=SECRET, log_count=120)
    with fake.serve() as url:
        pipeline(tmp_path).run(source(url))
    columns = query(
        tmp_path,
        "select column_name, data_type, is_nullable from information_schema.columns"
        " where table_schema = 'meetbot' and table_name = 'api_logs'"
        " and column_name not like '_dlt%' order by ordinal_position",
    )
    assert columns == [
        ("id", "BIGINT", "NO"),
        ("method", "VARCHAR", "NO"),
        ("path", "VARCHAR", "NO"),
        ("status_code", "BIGINT", "NO"),
        ("response_time_ms", "BIGINT", "NO"),
        ("api_key_id", "BIGINT", "YES"),
        ("api_key_name", "VARCHAR", "YES"),
        ("ip_address", "VARCHAR", "YES"),
        ("user_agent", "VARCHAR", "YES"),
        ("created_at", "TIMESTAMP WITH TIME ZONE", "NO"),
    ]
    newest = fake.logs[0]
    row = query(tmp_path, "select id, api_key_id from meetbot.api_logs order by id desc limit 1")
    assert row == [(newest["id"], newest["apiKeyId"])]
    nulls = query(tmp_path, "select count(*) from meetbot.api_logs where api_key_id is null")
    assert nulls[0][0] == sum(1 for log in fake.logs if log["apiKeyId"] is None) > 0


def test_daily_usage_and_key_usage_are_merged_not_appended(tmp_path: pathlib.Path) -> None:
    fake = FakeMeetBot(api_key=SECRET, log_count=200)
    with fake.serve() as url:
        pipeline(tmp_path).run(source(url, key_ids=[1, 2]))
        pipeline(tmp_path).run(source(url, key_ids=[1, 2]))
        with fake.client() as client:
            analytics, usage = client.analytics.get(period="90d"), client.api_keys.get_usage(2)
    days = query(tmp_path, "select date, api_calls from meetbot.daily_usage order by date")
    assert days == [(day.date, day.count) for day in analytics.api_calls.daily_breakdown]
    keys = query(
        tmp_path,
        "select key_id, date, requests_total from meetbot.api_key_usage order by key_id",
    )
    today = datetime.datetime.now(datetime.timezone.utc).date()
    assert [(key, day) for key, day, _ in keys] == [(1, today), (2, today)]
    assert keys[1][2] == usage.requests_total
    recent = query(tmp_path, "select count(*) from meetbot.api_key_usage__recent_requests")
    assert recent[0][0] > 0


def test_start_date_is_for_the_first_run(tmp_path: pathlib.Path) -> None:
    fake = FakeMeetBot(api_key=SECRET, log_count=400)
    middle = fake.logs[200]["createdAt"][:10]
    with fake.serve() as url:
        pipeline(tmp_path).run(source(url, start_date=middle))
        loaded = log_ids(tmp_path)
        assert 0 < len(loaded) < 400
        pipeline(tmp_path).run(source(url))  # later runs go on; no start_date needed
        assert log_ids(tmp_path) == loaded
        assert all(q.get("start_date") for q in log_pages(fake))


def test_other_filters_than_the_state_s_are_refused_before_any_request(
    tmp_path: pathlib.Path,
) -> None:
    from dlt.pipeline.exceptions import PipelineStepFailed

    fake = FakeMeetBot(api_key=SECRET, log_count=50)
    with fake.serve() as url:
        pipeline(tmp_path).run(source(url, method="GET"))
        before = len(log_pages(fake))
        with pytest.raises(PipelineStepFailed) as failed:
            pipeline(tmp_path).run(source(url, method="POST"))
        assert len(log_pages(fake)) == before
    assert "filters method='GET', and this source has filters method='POST'" in str(failed.value)


def test_bad_arguments_are_refused_when_the_source_is_made() -> None:
    fake = FakeMeetBot(api_key=SECRET, log_count=5)
    url = "http://127.0.0.1:9"
    with pytest.raises(ValueError, match="status_code"):
        source(url, status_code=42)
    with pytest.raises(TypeError, match="unexpected filter 'colour'"):
        source(url, colour="red")
    with pytest.raises(ValueError, match="key_ids item"):
        source(url, key_ids=[0])
    with pytest.raises(ValueError, match="concurrency"):
        source(url, concurrency=0)
    assert fake.requests == []


@pytest.mark.parametrize("where", ["argument", "environment"])
def test_the_key_comes_from_an_argument_or_dlt_s_config_and_is_never_kept(
    where: str,
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from meetbot_sdk.dlt import meetbot_source

    fake = FakeMeetBot(api_key=SECRET, log_count=150)
    caplog.set_level(logging.DEBUG)
    with fake.serve() as base_url:
        if where == "argument":
            made = meetbot_source(api_key=SECRET, base_url=base_url)
        else:  # (.dlt/secrets.toml: see the meetbot load tests, which run in a project folder)
            monkeypatch.setenv("SOURCES__MEETBOT__API_KEY", SECRET)
            monkeypatch.setenv("SOURCES__MEETBOT__BASE_URL", base_url)
            made = meetbot_source()
        loaded = pipeline(tmp_path / "out")
        loaded.run(made)
    assert len(log_ids(tmp_path / "out")) == 150
    assert files_holding(tmp_path / "out", SECRET) == []  # the state, trace, schemas, DuckDB
    trace = loaded.last_trace
    assert SECRET not in repr(trace.asdict())
    assert SECRET.encode() not in pickle.dumps(trace)
    assert SECRET not in str(loaded.state)
    assert SECRET not in caplog.text


def test_without_a_key_anywhere_the_error_names_where_to_put_one(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from meetbot_sdk import MeetBotError
    from meetbot_sdk.dlt import meetbot_source

    monkeypatch.chdir(tmp_path)
    with pytest.raises(MeetBotError, match="MEETBOT_API_KEY"):
        meetbot_source(base_url="http://127.0.0.1:9")


def test_a_pipeline_whose_folder_is_lost_goes_on_from_the_destination_s_state(
    tmp_path: pathlib.Path,
) -> None:
    import shutil

    fake = FakeMeetBot(api_key=SECRET, log_count=300)
    with fake.serve() as url:
        pipeline(tmp_path).run(source(url))
        shutil.rmtree(tmp_path / "pipelines")  # a new machine, the same warehouse
        fake.add_logs(20)
        before = len(log_pages(fake))
        pipeline(tmp_path).run(source(url))
        assert len(log_pages(fake)) - before == 1
    assert log_ids(tmp_path) == sorted(log["id"] for log in fake.logs)


def test_another_pipeline_on_a_table_loaded_before_merges_onto_it(tmp_path: pathlib.Path) -> None:
    dlt = needs_extra("dlt")
    fake = FakeMeetBot(api_key=SECRET, log_count=300)
    with fake.serve() as url:
        pipeline(tmp_path).run(source(url))
        fake.add_logs(20)
        other = dlt.pipeline(
            "another_pipeline",
            str(tmp_path / "elsewhere"),
            destination=dlt.destinations.duckdb(str(tmp_path / "meetbot_pipeline.duckdb")),
            dataset_name=DATASET,
        )
        other.run(source(url))  # no state of its own: it walks everything, merged on id
    assert log_ids(tmp_path) == sorted(log["id"] for log in fake.logs)
