"""What users write must type-check. mypy --strict checks this file; pytest never runs it."""

from __future__ import annotations

import datetime
from typing import Any

import httpx
import httpx2
import matplotlib.axes
import pandas
import polars
import pyarrow
from typing_extensions import assert_type

from meetbot_sdk import (
    Analytics,
    ApiKeyUsage,
    ApiLog,
    ApiLogPage,
    ApiLogPager,
    AsyncApiLogPager,
    AsyncMeetBot,
    DailyCount,
    FileBudget,
    MeetBot,
    NotFoundError,
    RateLimit,
    RateLimitError,
    RawResponse,
    RedisBudget,
    WalkCheckpoint,
)
from meetbot_sdk.testing import FakeMeetBot


def sync_usage() -> None:
    with MeetBot("key", timeout=httpx.Timeout(10.0), max_retries=3) as client:
        assert_type(client, MeetBot)
        analytics = client.analytics.get(period="7d")
        assert_type(analytics, Analytics)
        assert_type(analytics.bots.platform_breakdown, dict[str, int])
        assert_type(analytics.api_calls.daily_breakdown, list[DailyCount])
        assert_type(analytics.api_calls.daily_breakdown[0].date, datetime.date)
        page = client.api_logs.get_page(
            page=2,
            page_size=50,
            method="GET",
            status_code=500,
            path="/bots",
            api_key_id=1,
            start_date=datetime.date(2026, 1, 1),
            end_date="2026-01-31",
        )
        assert_type(page, ApiLogPage)
        assert_type(page.logs, list[ApiLog])
        assert_type(page.logs[0].created_at, datetime.datetime)
        assert_type(page.logs[0].api_key_id, int | None)
        assert_type(client.api_keys.get_usage(1), ApiKeyUsage)
        assert_type(client.with_options(timeout=5.0), MeetBot)
        assert_type(client.with_options(max_retry_wait=5, throttle=False), MeetBot)
        raw = client.analytics.with_raw_response.get(period="7d")
        assert_type(raw, RawResponse[Analytics])
        assert_type(raw.parse(), Analytics)
        assert_type(raw.headers, httpx.Headers)
        assert_type(raw.retries_taken, int)
        assert_type(raw.elapsed, datetime.timedelta)
        assert_type(raw.request_id, str | None)
        raw_page = client.api_logs.with_raw_response.get_page(page=2, status_code=500)
        assert_type(raw_page.parse(), ApiLogPage)
        assert_type(client.api_keys.with_raw_response.get_usage(1).parse(), ApiKeyUsage)
        pager = client.api_logs.list(page_size=50, max_items=500, concurrency=4, status_code=500)
        assert_type(pager, ApiLogPager)
        for log in pager:
            assert_type(log, ApiLog)
        for whole in pager.pages():
            assert_type(whole, ApiLogPage)
        assert_type(pager.next_page, int)
        assert_type(pager.items_yielded, int)
        assert_type(pager.total, int | None)
        assert_type(pager.done, bool)
        with client.api_logs.list(start_page=pager.next_page) as resumed:
            assert_type(next(iter(resumed)), ApiLog)
        assert_type(client.rate_limit, RateLimit | None)
        if client.rate_limit is not None:
            assert_type(client.rate_limit.remaining, int)
            assert_type(client.rate_limit.reset, datetime.datetime | None)
        assert_type(analytics.to_dict(), dict[str, Any])
        assert_type(Analytics.from_dict(analytics.to_dict()), Analytics)
        assert_type(analytics.to_json(use_api_names=False), str)
        try:
            client.api_keys.get_usage(99)
        except NotFoundError as exc:
            assert_type(exc.status_code, int)
            assert_type(exc.request_id, str | None)
        except RateLimitError as exc:
            assert_type(exc.retry_after, float | None)


def checkpoint_usage(client: MeetBot) -> None:
    pager = client.api_logs.list(status_code=500)
    saved = pager.checkpoint()
    assert_type(saved, WalkCheckpoint)
    assert_type(WalkCheckpoint.from_json(saved.to_json()), WalkCheckpoint)
    assert_type(saved.finished, bool)
    again = client.api_logs.list(resume_from=saved, status_code=500)
    assert_type(again, ApiLogPager)


async def async_usage() -> None:
    async with AsyncMeetBot(base_url="https://api.meetbot.dev/v1") as client:
        assert_type(client, AsyncMeetBot)
        assert_type(await client.analytics.get(), Analytics)
        assert_type(await client.api_logs.get_page(method="POST"), ApiLogPage)
        assert_type(await client.api_keys.get_usage(3), ApiKeyUsage)
        assert_type(client.with_options(max_retries=0), AsyncMeetBot)
        raw = await client.analytics.with_raw_response.get()
        assert_type(raw, RawResponse[Analytics])
        assert_type((await client.api_logs.with_raw_response.get_page()).parse(), ApiLogPage)
        assert_type(await client.api_keys.with_raw_response.get_usage(2), RawResponse[ApiKeyUsage])
        assert_type(client.rate_limit, RateLimit | None)
        pager = client.api_logs.list(method="GET")  # no await: iterated with async for
        assert_type(pager, AsyncApiLogPager)
        async for log in pager:
            assert_type(log, ApiLog)
        async for whole in pager.pages():
            assert_type(whole, ApiLogPage)
        async with client.api_logs.list(max_items=10) as limited:
            assert_type([log async for log in limited], list[ApiLog])
        assert_type(pager.checkpoint(), WalkCheckpoint)
        resumed = client.api_logs.list(resume_from=pager.checkpoint(), method="GET")
        assert_type(resumed, AsyncApiLogPager)
        await pager.close()
        await pager.aclose()  # the alias contextlib.aclosing calls
    await client.close()
    await client.aclose()


def mistakes_are_caught(client: MeetBot) -> None:
    client.analytics.get(period="1y")  # type: ignore[arg-type]
    client.api_logs.get_page(methd="GET")  # type: ignore[call-arg]
    client.api_logs.get_page(status_code="500")  # type: ignore[arg-type]
    client.api_keys.get_usage("1")  # type: ignore[arg-type]
    client.api_logs.list(page=2)  # type: ignore[call-arg]
    client.api_logs.list(resume_from="{}")  # type: ignore[arg-type]
    client.api_logs.list(max_items="10")  # type: ignore[arg-type]
    client.analytics.with_raw_response.get(period="1y")  # type: ignore[arg-type]
    MeetBot("k", throttle="yes")  # type: ignore[arg-type]
    client.api_logs.list().to_pandas(True)  # type: ignore[call-arg]
    FileBudget(3)  # type: ignore[arg-type]


def public_argument_and_resource_types(client: MeetBot, choice: str) -> None:
    from meetbot_sdk.resources import ApiKeysResource, AsyncApiLogsResource
    from meetbot_sdk.types import ApiLogFilters, Period

    period: Period = "90d"
    assert_type(client.analytics.get(period), Analytics)
    if choice in ("7d", "30d", "90d"):
        client.analytics.get(choice)  # type: ignore[arg-type]  # a str is not a Period
    filters: ApiLogFilters = {"status_code": 500, "start_date": datetime.date(2024, 1, 1)}
    assert_type(client.api_logs.get_page(**filters), ApiLogPage)
    api_keys: ApiKeysResource = client.api_keys
    assert_type(api_keys.get_usage(1), ApiKeyUsage)
    async_logs: AsyncApiLogsResource = AsyncMeetBot("key").api_logs
    assert_type(async_logs.list(**filters), AsyncApiLogPager)


def data_and_notebooks(client: MeetBot) -> None:
    analytics = client.analytics.get(period="90d")
    assert_type(analytics.to_pandas(), pandas.DataFrame)
    assert_type(analytics.to_polars(), polars.DataFrame)
    assert_type(analytics.plot(), matplotlib.axes.Axes)
    assert_type(analytics._repr_html_(), str)
    page = client.api_logs.get_page()
    assert_type(page.to_pandas(), pandas.DataFrame)
    assert_type(page.to_polars(), polars.DataFrame)
    assert_type(client.api_keys.get_usage(1).to_pandas(), pandas.DataFrame)
    assert_type(client.api_logs.list().to_pandas(progress=True), pandas.DataFrame)
    assert_type(client.api_logs.list().to_polars(), polars.DataFrame)
    assert_type(analytics.to_arrow(), pyarrow.Table)
    assert_type(page.to_arrow(), pyarrow.Table)
    assert_type(client.api_keys.get_usage(1).to_arrow(), pyarrow.Table)
    assert_type(client.api_logs.list().to_arrow(progress=True), pyarrow.Table)


async def async_frames(client: AsyncMeetBot) -> None:
    assert_type(await client.api_logs.list().to_pandas(progress=True), pandas.DataFrame)
    assert_type(await client.api_logs.list(max_items=5).to_polars(), polars.DataFrame)
    assert_type(await client.api_logs.list().to_arrow(), pyarrow.Table)


def warehouse() -> None:
    from meetbot_sdk.dlt import meetbot_source

    meetbot_source("key", "http://127.0.0.1:8080/v1", key_ids=[3], status_code=500)
    meetbot_source(method="GET", start_date="2026-01-01", concurrency=2)
    meetbot_source(colour="red")  # type: ignore[call-arg]


def the_fake_in_a_notebook() -> None:
    fake = FakeMeetBot()
    assert_type(fake.start(), str)
    assert_type(fake.stop(), None)


def shared_budgets(path: str, url: str) -> None:
    budget = FileBudget(path)
    assert_type(MeetBot("k", throttle=budget).with_options(throttle=False), MeetBot)
    assert_type(AsyncMeetBot("k", throttle=RedisBudget(url, namespace="svc")), AsyncMeetBot)
    assert_type(MeetBot("k").with_options(throttle=budget), MeetBot)
    budget.close()


def either_http_library() -> None:
    with httpx2.Client() as http2, httpx.Client() as http1:
        assert_type(MeetBot(http_client=http2, timeout=httpx.Timeout(1.0)), MeetBot)
        assert_type(MeetBot(http_client=http1, timeout=httpx2.Timeout(1.0)), MeetBot)
        MeetBot(base_url=httpx2.URL("https://api.meetbot.dev/v1")).with_options(
            timeout=httpx2.Timeout(2.0)
        )
    AsyncMeetBot(http_client=httpx2.AsyncClient())
    MeetBot(http_client=httpx2.AsyncClient())  # type: ignore[arg-type]
    FakeMeetBot().transport("httpx2")
    FakeMeetBot().client(library="httpx")
    FakeMeetBot().transport("requests")  # type: ignore[arg-type]
    assert_type(MeetBot(http_library="httpx2"), MeetBot)
    assert_type(
        AsyncMeetBot(http_library="httpx").with_options(http_library="httpx2"), AsyncMeetBot
    )
    MeetBot(http_library="requests")  # type: ignore[arg-type]
