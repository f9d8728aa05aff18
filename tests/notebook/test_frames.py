"""DataFrames from walks, pages, analytics and key usage: pandas and polars, both clients,
in-process and over loopback. (The missing-extra messages are in test_frames_missing.py.)"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from meetbot_sdk import ApiKeyUsage, ApiLog, APIResponseValidationError, RecentRequest
from meetbot_sdk._notebook import _frames as frames_module
from meetbot_sdk.testing import FakeMeetBot, Fault
from tests.support import needs_extra
from tests.support.frames import (
    LOG_COLUMNS,
    analytics_of,
    built_holding_a_page_at_most,
    call,
    expected_rows,
    page_usage_and_analytics,
    parse_time,
    rows_of,
)

KINDS = ["sync", "async"]
LINKS = ["in-process", "loopback"]
LIBRARIES = ["pandas", "polars"]


def check_log_dtypes(frame: Any, library: str) -> None:
    """The dtypes the docs promise for a frame of logs."""
    if library == "pandas":
        pd = needs_extra("pandas")
        assert str(frame["created_at"].dtype) == "datetime64[us, UTC]"
        for column in ("id", "status_code", "response_time_ms"):
            assert frame[column].dtype == "int64", column
        assert frame["api_key_id"].dtype == pd.Int64Dtype()
        for column in ("method", "path", "api_key_name", "ip_address", "user_agent"):
            assert frame[column].dtype == pd.StringDtype(), column
        return
    pl = needs_extra("polars")
    assert frame.schema == {
        "id": pl.Int64,
        "method": pl.String,
        "path": pl.String,
        "status_code": pl.Int64,
        "response_time_ms": pl.Int64,
        "api_key_id": pl.Int64,
        "api_key_name": pl.String,
        "ip_address": pl.String,
        "user_agent": pl.String,
        "created_at": pl.Datetime("us", "UTC"),
    }


def to_frame(pager: Any, library: str, **kwargs: Any) -> Any:
    return getattr(pager, f"to_{library}")(**kwargs)


# --- a walk ----------------------------------------------------------------------------------


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("link", LINKS)
@pytest.mark.parametrize("kind", KINDS)
def test_a_walk_becomes_one_typed_row_per_log(kind: str, link: str, library: str) -> None:
    needs_extra(library)
    fake = FakeMeetBot(log_count=250)
    frame = call(fake, kind, link, lambda c: to_frame(c.api_logs.list(page_size=100), library))
    assert list(frame.columns) == LOG_COLUMNS
    check_log_dtypes(frame, library)
    rows = rows_of(frame)
    assert rows == expected_rows(fake.logs)
    # The fake has logs made with an access token: missing stays missing, ids stay integers.
    assert any(row["api_key_id"] is None for row in rows)
    assert all(row["created_at"].utcoffset() == datetime.timedelta(0) for row in rows)


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("kind", KINDS)
def test_the_frame_honours_filters_and_max_items(kind: str, library: str) -> None:
    needs_extra(library)
    fake = FakeMeetBot(log_count=600)
    frame = call(
        fake,
        kind,
        "in-process",
        lambda c: to_frame(c.api_logs.list(method="GET", max_items=7, page_size=3), library),
    )
    gets = [log for log in fake.logs if log["method"] == "GET"]
    assert rows_of(frame) == expected_rows(gets[:7])
    pages = [r.query for r in fake.requests if r.path == "/users/me/api-logs"]
    assert [q["page"] for q in pages] == ["1", "2", "3"]
    assert all(q["method"] == "GET" for q in pages)


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("kind", KINDS)
def test_an_empty_walk_gives_the_same_columns_and_dtypes(kind: str, library: str) -> None:
    needs_extra(library)
    fake = FakeMeetBot(log_count=0)
    frame = call(fake, kind, "in-process", lambda c: to_frame(c.api_logs.list(), library))
    assert len(frame) == 0
    assert list(frame.columns) == LOG_COLUMNS
    check_log_dtypes(frame, library)


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_walk_already_begun_gives_the_logs_not_yet_yielded(walker: Any, library: str) -> None:
    needs_extra(library)
    fake = FakeMeetBot(log_count=130)
    w = walker(fake)
    pager = w.list(page_size=50)
    first = w.consume(pager, stop_after=20)
    frame = w.run(to_frame(pager, library))
    assert [log.id for log in first] + [row["id"] for row in rows_of(frame)] == [
        log["id"] for log in fake.logs
    ]
    assert pager.done


def test_logs_arriving_mid_walk_are_in_the_frame_once() -> None:
    needs_extra("pandas")
    fake = FakeMeetBot(log_count=300)
    fake.add_logs_after_each_page(7)
    frame = call(fake, "sync", "in-process", lambda c: c.api_logs.list(page_size=50).to_pandas())
    assert frame["id"].is_unique
    assert len(frame) >= 300


def test_the_walk_holds_no_more_than_a_page_of_logs_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    needs_extra("pandas")
    frame, alive = built_holding_a_page_at_most(
        monkeypatch, lambda c: c.api_logs.list(page_size=50).to_pandas()
    )
    assert len(frame) == 1_000
    assert len(alive) == 20
    assert max(alive) <= 50  # the page being added, at most; never the walk so far


# --- models ----------------------------------------------------------------------------------


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("link", LINKS)
@pytest.mark.parametrize("kind", KINDS)
def test_a_page_a_usage_and_analytics_from_either_client(
    kind: str, link: str, library: str
) -> None:
    needs_extra(library)
    fake = FakeMeetBot(log_count=400)

    page, usage, analytics = call(fake, kind, link, page_usage_and_analytics(kind))
    page_frame = getattr(page, f"to_{library}")()
    check_log_dtypes(page_frame, library)
    assert rows_of(page_frame) == expected_rows(fake.logs[30:60])

    usage_frame = getattr(usage, f"to_{library}")()
    assert list(usage_frame.columns) == ["method", "path", "status_code", "created_at"]
    assert len(usage_frame) == len(usage.recent_requests) > 0
    assert rows_of(usage_frame) == [
        {
            "method": r.method,
            "path": r.path,
            "status_code": r.status_code,
            "created_at": r.created_at,
        }
        for r in usage.recent_requests
    ]

    daily = getattr(analytics, f"to_{library}")()
    assert len(daily) == 90
    calls = {day.date: day.count for day in analytics.api_calls.daily_breakdown}
    bots = {day.date: day.count for day in analytics.bots.daily_created}
    rows = daily_rows(daily, library)
    assert [row[0] for row in rows] == sorted(calls)
    assert rows == [(date, calls[date], bots.get(date, 0)) for date in sorted(calls)]


def daily_rows(frame: Any, library: str) -> list[tuple[datetime.date, int, int]]:
    """(date, api_calls, bots_created) per row of ``Analytics.to_pandas()``/``to_polars()``."""
    if library == "pandas":
        assert frame.index.name == "date"
        assert list(frame.columns) == ["api_calls", "bots_created"]
        assert str(frame.index.dtype).startswith("datetime64")
        assert all(frame.dtypes == "int64")
        return [
            (stamp.date(), int(row.api_calls), int(row.bots_created))
            for stamp, row in frame.iterrows()
        ]
    pl = needs_extra("polars")
    assert frame.schema == {"date": pl.Date, "api_calls": pl.Int64, "bots_created": pl.Int64}
    return [tuple(row) for row in frame.iter_rows()]


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_day_missing_from_a_series_counts_zero(library: str) -> None:
    needs_extra(library)
    analytics = analytics_of({"2026-01-01": 5, "2026-01-04": 7}, {"2026-01-02": 1, "2026-01-03": 2})
    frame = getattr(analytics, f"to_{library}")()
    day = datetime.date
    assert daily_rows(frame, library) == [
        (day(2026, 1, 1), 5, 0),
        (day(2026, 1, 2), 0, 1),
        (day(2026, 1, 3), 0, 2),
        (day(2026, 1, 4), 7, 0),
    ]


@pytest.mark.parametrize("library", LIBRARIES)
def test_empty_series_and_no_recent_requests_give_empty_frames(library: str) -> None:
    needs_extra(library)
    assert len(getattr(analytics_of({}, {}), f"to_{library}")()) == 0
    usage = ApiKeyUsage(
        requests_today=0, requests_this_month=0, requests_total=0, recent_requests=[]
    )
    frame = getattr(usage, f"to_{library}")()
    assert len(frame) == 0
    assert list(frame.columns) == ["method", "path", "status_code", "created_at"]


def test_text_that_looks_like_a_number_or_a_date_stays_text() -> None:
    pd = needs_extra("pandas")
    log = ApiLog(
        id=1,
        method="GET",
        path="007",
        status_code=200,
        response_time_ms=0,
        api_key_id=None,
        api_key_name="2026-01-01",
        ip_address=None,
        user_agent="",
        created_at=parse_time("2026-01-01T00:00:00.000001Z"),
    )
    frame = frames_module.records_to_pandas([log], ApiLog, "x")
    assert frame.loc[0, "path"] == "007"
    assert frame.loc[0, "api_key_name"] == "2026-01-01"
    assert frame.loc[0, "user_agent"] == ""  # empty is not missing
    assert frame.loc[0, "ip_address"] is pd.NA
    assert frame.loc[0, "created_at"] == pd.Timestamp("2026-01-01T00:00:00.000001Z")


@pytest.mark.parametrize("library", LIBRARIES)
def test_rows_are_the_same_across_batches(library: str, monkeypatch: pytest.MonkeyPatch) -> None:
    needs_extra(library)
    monkeypatch.setattr(frames_module, "BATCH_ROWS", 7)  # a batch of columns every page
    fake = FakeMeetBot(log_count=250)
    frame = call(
        fake, "sync", "in-process", lambda c: to_frame(c.api_logs.list(page_size=30), library)
    )
    check_log_dtypes(frame, library)
    assert rows_of(frame) == expected_rows(fake.logs)


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_datetime_with_another_offset_is_the_same_instant_in_utc(library: str) -> None:
    needs_extra(library)
    plus_two = datetime.timezone(datetime.timedelta(hours=2))
    moment = datetime.datetime(2026, 1, 15, 12, 30, 0, 123456, tzinfo=plus_two)
    request = RecentRequest(method="GET", path="/", status_code=200, created_at=moment)
    usage = ApiKeyUsage(
        requests_today=1, requests_this_month=1, requests_total=1, recent_requests=[request]
    )
    (row,) = rows_of(getattr(usage, f"to_{library}")())
    assert row["created_at"] == moment
    assert row["created_at"].utcoffset() == datetime.timedelta(0)
    assert row["created_at"].hour == 10
    assert row["created_at"].microsecond == 123456


# --- 64-bit integers: the frames' int64 holds every integer the SDK accepts -------------------

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _page_of_ids(fake: FakeMeetBot, *ids: int) -> dict[str, Any]:
    first = fake.logs[0]
    logs = [{**first, "id": value, "apiKeyId": value, "responseTimeMs": value} for value in ids]
    return {"logs": logs, "total": len(logs), "page": 1, "page_size": 100}


@pytest.mark.parametrize("library", LIBRARIES)
def test_ids_at_the_ends_of_int64_reach_the_frame_exactly(library: str) -> None:
    needs_extra(library)
    fake = FakeMeetBot(log_count=3)
    fake.inject(Fault.status(200, json=_page_of_ids(fake, INT64_MAX, INT64_MIN, 0)))
    with fake.client() as client:
        frame = to_frame(client.api_logs.list(max_items=3), library)
    check_log_dtypes(frame, library)
    rows = rows_of(frame)
    assert [row["id"] for row in rows] == [INT64_MAX, INT64_MIN, 0]
    assert [row["api_key_id"] for row in rows] == [INT64_MAX, INT64_MIN, 0]


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("beyond", [INT64_MAX + 1, INT64_MIN - 1, 2**64, 10**30])
def test_an_id_beyond_int64_is_refused_before_any_frame(library: str, beyond: int) -> None:
    needs_extra(library)
    fake = FakeMeetBot(log_count=3)
    fake.inject(Fault.status(200, json=_page_of_ids(fake, 5, beyond)))
    with fake.client(max_retries=0) as client, pytest.raises(APIResponseValidationError) as caught:
        to_frame(client.api_logs.list(), library)
    assert str(caught.value) == (
        f"response does not fit ApiLogPage: logs[1].id: expected a 64-bit integer"
        f" ({INT64_MIN} to {INT64_MAX}), got {beyond} (and 2 more problems)"
    )
    assert caught.value.path == "logs[1].id"
