"""Both clients over real loopback HTTP against the fake server, plus sharing and notebooks."""

from __future__ import annotations

import asyncio
import datetime
import threading
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

import meetbot_sdk as mb
from meetbot_sdk import AsyncMeetBot, MeetBot
from meetbot_sdk._transport import _http
from meetbot_sdk.testing import FakeMeetBot
from tests.support import API_KEY, Twin

pytestmark = pytest.mark.loopback


@pytest.fixture(scope="module")
def fake() -> FakeMeetBot:
    return FakeMeetBot(seed=7, log_count=3_000, api_key=API_KEY)


@pytest.fixture(scope="module")
def base_url(fake: FakeMeetBot) -> Iterator[str]:
    with fake.serve() as url:
        yield url


def test_analytics_agree_with_the_logs(twin: Twin, fake: FakeMeetBot, base_url: str) -> None:
    analytics = twin.run(lambda c: c.analytics.get(period="90d"), base_url=base_url)
    assert analytics.api_calls.total == len(fake.logs)
    assert len(analytics.api_calls.daily_breakdown) == 90
    assert sum(day.count for day in analytics.api_calls.daily_breakdown) == len(fake.logs)
    assert analytics.api_calls.daily_breakdown[-1].date == fake.now.date()
    assert sum(analytics.bots.platform_breakdown.values()) == sum(
        analytics.bots.status_breakdown.values()
    )


def test_pages_come_newest_first_with_the_total(twin: Twin, base_url: str) -> None:
    async_or_sync = twin.run(
        lambda c: c.api_logs.get_page(page=3, page_size=100), base_url=base_url
    )
    page = async_or_sync
    assert (page.page, page.page_size, page.total) == (3, 100, 3_000)
    stamps = [(log.created_at, log.id) for log in page.logs]
    assert stamps == sorted(stamps, reverse=True)
    assert all(log.created_at.tzinfo is datetime.timezone.utc for log in page.logs)


def test_filters_are_applied_by_the_server(twin: Twin, fake: FakeMeetBot, base_url: str) -> None:
    newest = datetime.datetime.fromisoformat(fake.logs[0]["createdAt"].replace("Z", "+00:00"))
    start = newest.date() - datetime.timedelta(days=10)
    page = twin.run(
        lambda c: c.api_logs.get_page(
            page_size=100, method="get", api_key_id=2, start_date=start, status_code=200
        ),
        base_url=base_url,
    )
    assert page.logs, "the seeded account has recent GETs with key 2"
    for log in page.logs:
        assert (log.method, log.api_key_id, log.status_code) == ("GET", 2, 200)
        assert log.created_at.date() >= start


def test_key_usage_and_unknown_key(twin: Twin, fake: FakeMeetBot, base_url: str) -> None:
    key_id, _ = fake.api_keys[0]
    usage = twin.run(lambda c: c.api_keys.get_usage(key_id), base_url=base_url)
    assert usage.requests_total == sum(1 for log in fake.logs if log["apiKeyId"] == key_id)
    assert 0 < len(usage.recent_requests) <= 10
    with pytest.raises(mb.NotFoundError, match="API key 999 not found") as info:
        twin.run(lambda c: c.api_keys.get_usage(999), base_url=base_url)
    assert info.value.request_id is not None


def test_wrong_key_is_an_authentication_error(twin: Twin, base_url: str) -> None:
    with pytest.raises(mb.AuthenticationError, match="Invalid or missing API key"):
        twin.run(lambda c: c.analytics.get(), base_url=base_url, api_key="mb_wrong")


def test_nothing_listening_is_a_connection_error(twin: Twin) -> None:
    with FakeMeetBot(log_count=0).serve() as url:
        pass  # the port is closed again once the server has stopped
    with pytest.raises(mb.APIConnectionError):
        twin.run(lambda c: c.analytics.get(), base_url=url, timeout=2.0, sleeps=[])


def test_a_wrong_base_url_says_where_and_how_often_in_a_short_traceback(twin: Twin) -> None:
    with FakeMeetBot(log_count=0).serve() as url:
        pass  # the port is closed again once the server has stopped
    port = httpx.URL(url).port
    with pytest.raises(mb.APIConnectionError) as info:
        twin.run(lambda c: c.analytics.get(), base_url=url, sleeps=[], max_retries=2)
    assert str(info.value).startswith(
        f"Connection error: could not connect to 127.0.0.1:{port} after 3 attempts ("
    )
    # The traceback shows the SDK's call only (a sync call's was 78 lines, through httpcore
    # and httpx, now 23); the library's exception stays at hand as .cause.
    shown = "".join(traceback.format_exception(info.value))
    assert "httpcore" not in shown
    assert "The above exception" not in shown
    assert "During handling" not in shown
    sdk_frames = [
        f for f in traceback.extract_tb(info.value.__traceback__) if "meetbot_sdk" in f.filename
    ]
    assert len(sdk_frames) <= 6
    assert isinstance(info.value.cause, _http.chosen_backend().ConnectError)


def test_one_sync_client_is_safe_to_share_between_threads(base_url: str) -> None:
    calls_per_thread = 10
    with MeetBot(API_KEY, base_url=base_url) as client:
        start = threading.Barrier(8)

        def work(thread: int) -> list[tuple[int, int]]:
            start.wait()
            seen = []
            for i in range(calls_per_thread):
                page_number = 1 + (thread * calls_per_thread + i) % 30
                page = client.api_logs.get_page(page=page_number, page_size=5)
                seen.append((page_number, page.page))
            return seen

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = [pair for seen in pool.map(work, range(8)) for pair in seen]
    assert len(results) == 80
    assert all(asked == got for asked, got in results)


def test_async_client_serves_many_tasks_at_once(base_url: str) -> None:
    async def main() -> list[mb.ApiLogPage]:
        async with AsyncMeetBot(API_KEY, base_url=base_url) as client:
            return await asyncio.gather(
                *(client.api_logs.get_page(page=n, page_size=10) for n in range(1, 21))
            )

    pages = asyncio.run(main())
    assert [page.page for page in pages] == list(range(1, 21))
    assert len({log.id for page in pages for log in page.logs}) == 200


def test_sync_client_works_inside_a_running_event_loop(base_url: str) -> None:
    """A Jupyter cell runs inside an event loop; the sync client must not care."""

    async def notebook_cell() -> int:
        asyncio.get_running_loop()  # we really are inside a loop
        with MeetBot(API_KEY, base_url=base_url) as client:
            return client.analytics.get(period="7d").api_calls.total

    assert asyncio.run(notebook_cell()) == 3_000


def test_in_process_transport_gives_the_same_answers(fake: FakeMeetBot, base_url: str) -> None:
    http = httpx.Client(transport=fake.transport("httpx"))
    with MeetBot(API_KEY, http_client=http) as in_process:
        local = in_process.api_logs.get_page(page=2, page_size=50)
    with MeetBot(API_KEY, base_url=base_url) as over_http:
        remote = over_http.api_logs.get_page(page=2, page_size=50)
    http.close()
    assert local == remote
