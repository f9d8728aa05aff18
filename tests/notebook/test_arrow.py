"""Arrow tables (``to_arrow()``): schemas column by column, rows, page-by-page building and
going on after a failure; both clients. (The missing-extra messages are in
test_frames_missing.py.)"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from meetbot_sdk import ApiLog, InternalServerError
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
)

KINDS = ["sync", "async"]


@pytest.fixture(autouse=True)
def _pyarrow() -> None:
    needs_extra("pyarrow")


def log_schema() -> Any:
    """The schema the docs promise for a table of logs, column by column."""
    pa = needs_extra("pyarrow")
    return pa.schema(
        [
            pa.field("id", pa.int64(), nullable=False),
            pa.field("method", pa.string(), nullable=False),
            pa.field("path", pa.string(), nullable=False),
            pa.field("status_code", pa.int64(), nullable=False),
            pa.field("response_time_ms", pa.int64(), nullable=False),
            pa.field("api_key_id", pa.int64()),
            pa.field("api_key_name", pa.string()),
            pa.field("ip_address", pa.string()),
            pa.field("user_agent", pa.string()),
            pa.field("created_at", pa.timestamp("us", tz="UTC"), nullable=False),
        ]
    )


def check_log_schema(table: Any) -> None:
    expected = log_schema()
    assert table.column_names == LOG_COLUMNS
    for name in LOG_COLUMNS:
        assert table.schema.field(name) == expected.field(name), name
    assert table.schema == expected


@pytest.mark.parametrize("link", ["in-process", "loopback"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_walk_becomes_one_typed_row_per_log(kind: str, link: str) -> None:
    fake = FakeMeetBot(log_count=250)
    table = call(fake, kind, link, lambda c: c.api_logs.list(page_size=100).to_arrow())
    check_log_schema(table)
    rows = table.to_pylist()
    assert rows == expected_rows(fake.logs)
    assert table.column("api_key_id").null_count > 0  # access-token logs: null, not 0
    assert all(row["created_at"].utcoffset() == datetime.timedelta(0) for row in rows)


@pytest.mark.parametrize("kind", KINDS)
def test_the_table_honours_filters_and_max_items_and_an_empty_walk_keeps_the_schema(
    kind: str,
) -> None:
    fake = FakeMeetBot(log_count=600)
    table = call(
        fake,
        kind,
        "in-process",
        lambda c: c.api_logs.list(method="GET", max_items=7, page_size=3).to_arrow(),
    )
    gets = [log for log in fake.logs if log["method"] == "GET"]
    assert table.to_pylist() == expected_rows(gets[:7])
    empty = call(
        FakeMeetBot(log_count=0), kind, "in-process", lambda c: c.api_logs.list().to_arrow()
    )
    assert empty.num_rows == 0
    check_log_schema(empty)


def test_rows_are_the_same_across_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(frames_module, "BATCH_ROWS", 7)
    fake = FakeMeetBot(log_count=120)
    table = call(fake, "sync", "in-process", lambda c: c.api_logs.list(page_size=10).to_arrow())
    assert table.to_pylist() == expected_rows(fake.logs)
    check_log_schema(table)


def test_the_walk_holds_no_more_than_a_page_of_logs_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    table, alive = built_holding_a_page_at_most(
        monkeypatch, lambda c: c.api_logs.list(page_size=50).to_arrow()
    )
    assert table.num_rows == 1_000
    assert len(alive) == 20
    assert max(alive) <= 50


def test_calling_again_after_a_failure_returns_the_whole_table(
    walker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeMeetBot(log_count=230)
    add_page = frames_module.LogFrameBuilder.add_page

    def adding(self: Any, page: Any) -> None:  # the page after the first fails, no retries
        add_page(self, page)
        fake.inject(Fault.status(500), path="/users/me/api-logs")

    monkeypatch.setattr(frames_module.LogFrameBuilder, "add_page", adding)
    w = walker(fake, max_retries=0)
    pager = w.list(page_size=50)
    with pytest.raises(InternalServerError):
        w.run(pager.to_arrow())
    assert pager.items_yielded == 50
    monkeypatch.setattr(frames_module.LogFrameBuilder, "add_page", add_page)
    table = w.run(pager.to_arrow())
    assert table.to_pylist() == expected_rows(fake.logs)  # all 230, the first 50 included
    assert pager.done


@pytest.mark.parametrize("kind", KINDS)
def test_a_page_a_usage_and_analytics(kind: str) -> None:
    pa = needs_extra("pyarrow")
    fake = FakeMeetBot(log_count=400)

    page, usage, analytics = call(fake, kind, "in-process", page_usage_and_analytics(kind))
    page_table = page.to_arrow()
    check_log_schema(page_table)
    assert page_table.to_pylist() == expected_rows(fake.logs[30:60])

    usage_table = usage.to_arrow()
    assert usage_table.schema == pa.schema(
        [
            pa.field("method", pa.string(), nullable=False),
            pa.field("path", pa.string(), nullable=False),
            pa.field("status_code", pa.int64(), nullable=False),
            pa.field("created_at", pa.timestamp("us", tz="UTC"), nullable=False),
        ]
    )
    assert usage_table.to_pylist() == [
        {
            "method": r.method,
            "path": r.path,
            "status_code": r.status_code,
            "created_at": r.created_at,
        }
        for r in usage.recent_requests
    ]

    daily = analytics.to_arrow()
    assert daily.schema == pa.schema(
        [
            pa.field("date", pa.date32(), nullable=False),
            pa.field("api_calls", pa.int64(), nullable=False),
            pa.field("bots_created", pa.int64(), nullable=False),
        ]
    )
    frame = analytics.to_pandas()
    assert daily.column("date").to_pylist() == [d.date() for d in frame.index]
    assert daily.column("api_calls").to_pylist() == frame["api_calls"].tolist()
    assert daily.column("bots_created").to_pylist() == frame["bots_created"].tolist()


def test_a_day_missing_from_a_series_counts_zero() -> None:
    analytics = analytics_of({"2026-01-01": 3, "2026-01-03": 5}, {"2026-01-02": 1})
    assert analytics.to_arrow().to_pylist() == [
        {"date": datetime.date(2026, 1, 1), "api_calls": 3, "bots_created": 0},
        {"date": datetime.date(2026, 1, 2), "api_calls": 0, "bots_created": 1},
        {"date": datetime.date(2026, 1, 3), "api_calls": 5, "bots_created": 0},
    ]
    assert analytics_of({}, {}).to_arrow().num_rows == 0


def test_a_datetime_with_another_offset_is_the_same_instant_in_utc() -> None:
    moment = datetime.datetime(
        2026, 1, 1, 12, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
    )
    log = ApiLog(1, "GET", "/x", 200, 5, None, None, None, None, moment)
    table = frames_module.records_to_arrow([log], ApiLog, "test")
    assert table.column("created_at").to_pylist() == [
        datetime.datetime(2026, 1, 1, 10, tzinfo=datetime.timezone.utc)
    ]
