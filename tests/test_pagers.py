"""``client.api_logs.list()`` against the fake, with both clients: laziness, stopping,
filters, ``max_items``, resuming, exactly-once while logs arrive, faults and read-ahead."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import meetbot_sdk as mb
from meetbot_sdk import _endpoints
from meetbot_sdk._pagers import _ThreadReadAhead
from meetbot_sdk._throttle import Abandoned
from meetbot_sdk.testing import FakeMeetBot, Fault
from tests.support import API_KEY
from tests.walking import HoldPage, Walker, Watching

LOGS = "/users/me/api-logs"


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def walker(kind: str) -> Iterator[Any]:
    """``walker(fake, **client_kwargs)`` makes a Walker of this test's kind, closed after."""
    made: list[Walker] = []

    def make(fake: FakeMeetBot, **kwargs: Any) -> Walker:
        made.append(Walker(kind, fake, **kwargs))
        return made[-1]

    yield make
    for w in made:
        w.close()


def ids(items: list[Any]) -> list[int]:
    return [item.id if isinstance(item, mb.ApiLog) else item["id"] for item in items]


def page_requests(fake: FakeMeetBot) -> list[dict[str, str]]:
    return [request.query for request in fake.requests if request.path == LOGS]


# --- the walk -------------------------------------------------------------------------------


def test_nothing_is_sent_until_the_loop_asks_and_then_one_page_at_a_time(walker: Any) -> None:
    fake = FakeMeetBot(log_count=250)
    w = walker(fake)
    pager = w.list()
    assert fake.requests == []
    sent_at: list[int] = []
    logs = w.consume(pager, each=lambda index, _: sent_at.append(len(fake.requests)))
    assert ids(logs) == ids(list(fake.logs))
    assert all(isinstance(log, mb.ApiLog) for log in logs)
    # Page 2 is asked for only when log 101 is wanted, page 3 when log 201 is.
    assert sent_at[0] == sent_at[99] == 1
    assert sent_at[100] == sent_at[199] == 2
    assert sent_at[200] == sent_at[-1] == 3
    assert [(q["page"], q["page_size"]) for q in page_requests(fake)] == [
        ("1", "100"),
        ("2", "100"),
        ("3", "100"),
    ]


def test_every_filter_goes_with_every_page(walker: Any) -> None:
    fake = FakeMeetBot(log_count=600)
    w = walker(fake)
    logs = w.consume(w.list(page_size=20, status_code=200, method="get", path="/bots"))
    expected = [
        log
        for log in fake.logs
        if log["statusCode"] == 200 and log["method"] == "GET" and "/bots" in log["path"]
    ]
    assert len(expected) > 40  # several pages' worth
    assert ids(logs) == ids(list(expected))
    queries = page_requests(fake)
    assert len(queries) == -(-len(expected) // 20)
    for query in queries:
        assert (query["status_code"], query["method"], query["path"]) == ("200", "GET", "/bots")


@pytest.mark.parametrize(("count", "requests"), [(200, 2), (201, 3), (99, 1), (0, 1)])
def test_the_walk_stops_without_asking_for_a_page_past_the_end(
    walker: Any, count: int, requests: int
) -> None:
    fake = FakeMeetBot(log_count=count)
    w = walker(fake)
    pager = w.list()
    assert ids(w.consume(pager)) == ids(list(fake.logs))
    assert len(fake.requests) == requests
    assert pager.done
    assert w.consume(pager) == []  # a finished walk sends nothing more
    assert len(fake.requests) == requests


def test_an_empty_first_page_ends_the_walk(walker: Any) -> None:
    fake = FakeMeetBot(log_count=50)
    w = walker(fake)
    pager = w.list(status_code=599)
    assert w.consume(pager) == []
    assert len(fake.requests) == 1
    assert (pager.total, pager.done, pager.items_yielded) == (0, True, 0)


def test_max_items_zero_sends_nothing(walker: Any) -> None:
    fake = FakeMeetBot(log_count=50)
    w = walker(fake)
    pager = w.list(max_items=0)
    assert w.consume(pager) == []
    assert w.consume(pager.pages()) == []
    assert fake.requests == []
    assert pager.done


@pytest.mark.parametrize(("max_items", "requests"), [(1, 1), (100, 1), (150, 2), (10_000, 3)])
def test_max_items_stops_after_that_many_logs(walker: Any, max_items: int, requests: int) -> None:
    fake = FakeMeetBot(log_count=250)
    w = walker(fake)
    logs = w.consume(w.list(max_items=max_items))
    assert ids(logs) == ids(list(fake.logs))[:max_items]
    assert len(fake.requests) == requests


def test_start_page_begins_at_that_page(walker: Any) -> None:
    fake = FakeMeetBot(log_count=250)
    w = walker(fake)
    assert ids(w.consume(w.list(start_page=2))) == ids(list(fake.logs))[100:]
    assert [q["page"] for q in page_requests(fake)] == ["2", "3"]


def test_breaking_out_of_the_loop_sends_nothing_more(walker: Any) -> None:
    fake = FakeMeetBot(log_count=250)
    w = walker(fake)
    pager = w.list()
    assert len(w.consume(pager, stop_after=100)) == 100
    w.settle()
    assert len(fake.requests) == 1
    assert w.pending_tasks() == set()


# --- pages ----------------------------------------------------------------------------------


def test_pages_yields_whole_pages_under_the_same_rules(walker: Any) -> None:
    fake = FakeMeetBot(log_count=250)
    w = walker(fake)
    pages = w.consume(w.list(max_items=230, status_code=None).pages())
    assert [type(page) for page in pages] == [mb.ApiLogPage] * 3
    assert [(page.page, len(page.logs), page.total) for page in pages] == [
        (1, 100, 250),
        (2, 100, 250),
        (3, 30, 250),
    ]
    assert ids([log for page in pages for log in page.logs]) == ids(list(fake.logs))[:230]
    assert len(fake.requests) == 3


def test_pages_of_an_empty_walk_yield_nothing(walker: Any) -> None:
    fake = FakeMeetBot(log_count=0)
    w = walker(fake)
    assert w.consume(w.list().pages()) == []
    assert len(fake.requests) == 1


# --- position and resuming ------------------------------------------------------------------


def test_the_pager_tells_where_it_stopped(walker: Any) -> None:
    fake = FakeMeetBot(log_count=250)
    w = walker(fake)
    pager = w.list()
    assert (pager.next_page, pager.items_yielded, pager.total) == (1, 0, None)
    w.consume(pager, stop_after=150)
    assert (pager.next_page, pager.items_yielded, pager.total) == (2, 150, 250)
    assert not pager.done
    w.consume(pager.pages(), stop_after=1)
    assert (pager.next_page, pager.items_yielded) == (3, 200)


def test_a_new_pager_from_next_page_loses_nothing(walker: Any) -> None:
    fake = FakeMeetBot(log_count=250)
    w = walker(fake)
    interrupted = w.list()
    first = w.consume(interrupted, stop_after=150)
    resumed = w.consume(w.list(start_page=interrupted.next_page))
    every = ids(list(fake.logs))
    assert ids(first) == every[:150]
    assert ids(resumed) == every[100:]  # page 2 again: its first 50 logs come twice


def test_iterating_the_same_pager_again_continues_exactly_once(walker: Any) -> None:
    fake = FakeMeetBot(log_count=250)
    fake.add_logs_after_each_page(9)
    w = walker(fake)
    every = ids(list(fake.logs))
    pager = w.list()
    first = w.consume(pager, stop_after=150)
    second = w.consume(pager.pages(), stop_after=1)
    rest = w.consume(pager)
    assert ids(first) + ids(second[0].logs) + ids(rest) == every
    assert pager.done


def test_a_new_loop_closes_the_one_left_open(walker: Any) -> None:
    fake = FakeMeetBot(log_count=250)
    w = walker(fake)
    pager = w.list()
    left_open = pager.__aiter__() if w.kind == "async" else iter(pager)
    w.run(left_open.__anext__() if w.kind == "async" else next(left_open))
    rest = w.consume(pager)
    assert ids(rest) == ids(list(fake.logs))[1:]
    with pytest.raises((StopIteration, StopAsyncIteration)):
        w.run(left_open.__anext__() if w.kind == "async" else next(left_open))


def test_a_failed_page_can_be_walked_again_from_where_it_failed(walker: Any) -> None:
    fake = FakeMeetBot(log_count=250)
    w = walker(fake, max_retries=0)
    pager = w.list()
    first = w.consume(pager, stop_after=100)
    fake.inject(Fault.status(500))
    with pytest.raises(mb.InternalServerError):
        w.consume(pager)
    assert (pager.next_page, pager.items_yielded) == (2, 100)
    assert ids(first) + ids(w.consume(pager)) == ids(list(fake.logs))


# --- exactly once while logs arrive ---------------------------------------------------------


@pytest.mark.parametrize("arrivals", [1, 19, 60])
def test_logs_arriving_during_the_walk_are_neither_repeated_nor_lost(
    walker: Any, arrivals: int
) -> None:
    fake = FakeMeetBot(log_count=1_000)
    before = ids(list(fake.logs))
    fake.add_logs_after_each_page(arrivals)
    w = walker(fake)
    logs = w.consume(w.list())
    assert ids(logs) == before
    assert len(page_requests(fake)) == -(-(1_000 - 100) // (100 - arrivals)) + 1


def test_a_burst_larger_than_a_page_costs_requests_but_no_log(
    walker: Any, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeMeetBot(log_count=300)
    before = ids(list(fake.logs))
    w = walker(fake)

    def burst(index: int, _: object) -> None:
        if index in (0, 150):
            fake.add_logs(250)

    with caplog.at_level(logging.DEBUG, logger="meetbot_sdk"):
        assert ids(w.consume(w.list(), each=burst)) == before
    walk_records = [r for r in caplog.records if r.getMessage().startswith("Page ")]
    # Pages 2 and 3 held only the burst's pushed-over logs: the stall is told at INFO.
    assert [(r.levelname, r.getMessage()[:7]) for r in walk_records][:2] == [
        ("INFO", "Page 2 "),
        ("INFO", "Page 3 "),
    ]
    assert "the walk makes no progress while that lasts" in walk_records[0].getMessage()
    assert any(
        r.levelname == "DEBUG" and "logs already yielded (they arrived since" in r.getMessage()
        for r in walk_records
    )


def test_filtered_walks_are_exact_while_logs_arrive(walker: Any) -> None:
    fake = FakeMeetBot(log_count=2_000)
    before = [log["id"] for log in fake.logs if log["method"] == "POST"]
    fake.add_logs_after_each_page(40)
    w = walker(fake)
    assert ids(w.consume(w.list(page_size=50, method="POST"))) == before


# --- faults ---------------------------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_walk_through_thirty_percent_faults_yields_exactly_the_right_logs(
    walker: Any, concurrency: int
) -> None:
    fake = FakeMeetBot(log_count=1_500)
    before = ids(list(fake.logs))
    fake.add_logs_after_each_page(3)
    fake.fail_randomly(0.3, seed=4)
    w = walker(fake, max_retries=12)
    logs = w.consume(w.list(page_size=50, concurrency=concurrency))
    assert ids(logs) == before
    pages = -(-1_500 // 47) + 1
    assert len(page_requests(fake)) > pages + 5  # faults really happened, and were retried
    assert w.sleeps  # every retry waited (recorded, not slept)


def test_a_page_that_keeps_failing_raises_the_error_after_its_retries(walker: Any) -> None:
    fake = FakeMeetBot(log_count=250)
    fake.inject(*[Fault.status(503)] * 3)
    w = walker(fake, max_retries=2)
    with pytest.raises(mb.InternalServerError):
        w.consume(w.list())
    assert len(fake.requests) == 3


# --- read-ahead -----------------------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [2, 8])
def test_read_ahead_yields_the_same_logs_in_the_same_order(walker: Any, concurrency: int) -> None:
    fake = FakeMeetBot(log_count=1_000)
    fake.set_latency(0.002)
    watch: list[Watching] = []
    w = walker(fake, transport=lambda fake, _: watch.append(Watching(fake)) or watch[-1])
    pager = w.list(page_size=50, concurrency=concurrency)
    assert ids(w.consume(pager)) == ids(list(fake.logs))
    assert len(fake.requests) == 20  # no page twice, none past the end
    assert 1 < watch[0].most_in_flight <= concurrency


def test_read_ahead_keeps_exactly_once_while_logs_arrive_and_pages_fail(walker: Any) -> None:
    fake = FakeMeetBot(log_count=1_000)
    before = ids(list(fake.logs))
    fake.add_logs_after_each_page(7)
    fake.fail_randomly(0.3, seed=11)
    w = walker(fake, max_retries=12)
    assert ids(w.consume(w.list(page_size=40, concurrency=6))) == before


def test_a_page_answered_before_the_page_it_follows_is_fetched_again(walker: Any) -> None:
    # Page 2 is held until page 3 has been answered; logs arrive after each page, so the
    # early page 3 predates page 2 and could hide logs between them.
    fake = FakeMeetBot(log_count=100)
    before = ids(list(fake.logs))
    fake.add_logs_after_each_page(3)
    w = walker(fake, transport=lambda fake, _: HoldPage(fake, held=2, until=3))
    assert ids(w.consume(w.list(page_size=20, concurrency=4))) == before
    pages = [int(query["page"]) for query in page_requests(fake)]
    assert pages.count(3) == 2
    assert pages.count(2) == 1


def test_fetching_a_page_again_is_logged(walker: Any, caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeMeetBot(log_count=100)
    fake.add_logs_after_each_page(3)
    w = walker(fake, transport=lambda fake, _: HoldPage(fake, held=2, until=3))
    with caplog.at_level(logging.DEBUG, logger="meetbot_sdk"):
        w.consume(w.list(page_size=20, concurrency=4))
    # Page 3 saw one page's arrivals; page 2, answered later, saw those of pages 3 and on.
    pattern = r"Page 3 was answered before page 2 \(total 103 < 1\d\d\): fetching it again"
    assert re.search(pattern, caplog.text)


def test_read_ahead_asks_for_nothing_past_max_items(walker: Any) -> None:
    fake = FakeMeetBot(log_count=1_000)
    w = walker(fake)
    logs = w.consume(w.list(page_size=10, max_items=35, concurrency=8))
    assert ids(logs) == ids(list(fake.logs))[:35]
    assert sorted(q["page"] for q in page_requests(fake)) == ["1", "2", "3", "4"]  # any order


def test_read_ahead_stops_when_the_loop_stops(walker: Any) -> None:
    fake = FakeMeetBot(log_count=1_000)
    w = walker(fake)
    pager = w.list(page_size=10, concurrency=4)
    w.consume(pager, stop_after=5)
    w.settle()
    sent = len(fake.requests)
    assert sent <= 5  # page 1, then the four in flight while it was handed out
    assert w.pending_tasks() == set()
    assert pager.next_page == 1
    assert len(fake.requests) == sent


def test_read_ahead_never_buys_a_429(walker: Any) -> None:
    fake = FakeMeetBot(log_count=300)
    fake.set_rate_limit(4, per=0.05)
    w = walker(fake)
    assert ids(w.consume(w.list(page_size=20, concurrency=8))) == ids(list(fake.logs))
    assert w.sleeps == []  # a 429 would have been retried after a (recorded) wait
    assert len(fake.requests) == 15


def test_stopping_abandons_a_long_retry_wait_of_a_page_read_ahead(walker: Any) -> None:
    # Page 1 is answered; the next page asked for gets a 503 that asks for 30 s, which
    # holds back every other request too. Leaving the loop must not wait for any of it.
    fake = FakeMeetBot(log_count=1_000)
    w = walker(fake, record_sleeps=False)
    fake.inject(Fault.delay(0), Fault.status(503, headers={"Retry-After": "30"}), path=LOGS)
    pager = w.list(page_size=10, concurrency=3)
    started = time.monotonic()
    first = w.consume(pager.pages(), stop_after=1)
    w.run(pager.aclose() if w.kind == "async" else pager.close())
    assert time.monotonic() - started < 5  # not the 30 s the server asked for
    assert [page.page for page in first] == [1]
    assert w.pending_tasks() == set()
    # Page 1, then pages 2 and 3 at most once each (one of them took the 503, which may
    # have held the other back before it was sent): nothing was retried.
    pages = [q["page"] for q in page_requests(fake)]
    assert pages[0] == "1"
    assert sorted(pages[1:]) in (["2"], ["3"], ["2", "3"])


# --- arguments ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"page_size": 101}, ValueError),
        ({"page_size": 0}, ValueError),
        ({"start_page": 0}, ValueError),
        ({"max_items": -1}, ValueError),
        ({"concurrency": 0}, ValueError),
        ({"concurrency": 17}, ValueError),
        ({"status_code": "500"}, TypeError),
        ({"colour": "red"}, TypeError),
        ({"start_date": "2024-02-01", "end_date": "2024-01-01"}, ValueError),
    ],
)
def test_bad_arguments_raise_before_anything_is_sent(
    walker: Any, kwargs: dict[str, Any], error: type[Exception]
) -> None:
    fake = FakeMeetBot(log_count=10)
    w = walker(fake)
    with pytest.raises(error):
        w.list(**kwargs)
    assert fake.requests == []


def test_the_pager_repr_shows_the_position_and_no_credential(walker: Any) -> None:
    fake = FakeMeetBot(log_count=250, api_key=API_KEY)
    w = walker(fake)
    pager = w.list()
    w.consume(pager, stop_after=120)
    name = "AsyncApiLogPager" if w.kind == "async" else "ApiLogPager"
    assert repr(pager) == f"{name}(next_page=2, items_yielded=120, total=250, done=False)"
    assert API_KEY not in repr(pager)


# --- closing --------------------------------------------------------------------------------


def test_leaving_a_with_block_closes_the_loop_and_its_read_ahead(walker: Any) -> None:
    fake = FakeMeetBot(log_count=1_000)
    w = walker(fake)
    if w.kind == "sync":
        with w.list(page_size=10, concurrency=4) as pager:
            kept = iter(pager)  # kept open past the block on purpose
            next(kept)
        with pytest.raises(StopIteration):
            next(kept)
    else:

        async def main() -> Any:
            async with w.list(page_size=10, concurrency=4) as pager:
                kept = pager.__aiter__()
                await kept.__anext__()
            with pytest.raises(StopAsyncIteration):
                await kept.__anext__()
            return pager

        pager = w.run(main())
    assert w.pending_tasks() == set()
    sent = len(fake.requests)
    assert sent <= 5
    assert (pager.next_page, pager.items_yielded) == (1, 1)
    assert len(w.consume(pager)) == 999  # and the walk can go on
    assert len(fake.requests) == sent + 99  # pages dropped with the read-ahead come again


def test_closing_a_pager_that_never_ran_does_nothing(walker: Any) -> None:
    fake = FakeMeetBot(log_count=10)
    w = walker(fake)
    pager = w.list()
    w.run(pager.aclose() if w.kind == "async" else pager.close())
    assert fake.requests == []
    assert ids(w.consume(pager)) == ids(list(fake.logs))


class GatePage2(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Holds every request for page 2 until it is opened; tells when one is waiting."""

    def __init__(self, fake: FakeMeetBot) -> None:
        self._inner = fake.transport()
        self.waiting, self.opened = threading.Event(), threading.Event()
        self.waiting_async: asyncio.Event | None = None
        self.opened_async: asyncio.Event | None = None

    def arm_async(self) -> None:
        """Make the async events, on the running loop."""
        self.waiting_async, self.opened_async = asyncio.Event(), asyncio.Event()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.params.get("page") == "2":
            self.waiting.set()
            assert self.opened.wait(5)
        return self._inner.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.params.get("page") == "2":
            assert self.waiting_async is not None
            assert self.opened_async is not None
            self.waiting_async.set()
            await asyncio.wait_for(self.opened_async.wait(), 5)
        return await self._inner.handle_async_request(request)


def test_a_pager_iterated_in_two_places_at_once_says_so(walker: Any) -> None:
    fake = FakeMeetBot(log_count=100)
    gates: list[GatePage2] = []
    w = walker(fake, transport=lambda fake, _: gates.append(GatePage2(fake)) or gates[-1])
    gate = gates[0]
    pager = w.list(page_size=10)
    if w.kind == "sync":
        walked: list[Any] = []
        thread = threading.Thread(target=lambda: walked.extend(pager))
        thread.start()
        assert gate.waiting.wait(5)
        with pytest.raises(RuntimeError, match="being iterated elsewhere"):
            list(pager)
        gate.opened.set()
        thread.join(5)
    else:

        async def main() -> list[Any]:
            gate.arm_async()
            assert gate.waiting_async is not None
            assert gate.opened_async is not None
            first = asyncio.ensure_future(w.consume_async(pager))
            await asyncio.wait_for(gate.waiting_async.wait(), 5)
            with pytest.raises(RuntimeError, match="being iterated elsewhere"):
                await w.consume_async(pager)
            gate.opened_async.set()
            return await first

        walked = w.run(main())
    assert ids(walked) == ids(list(fake.logs))


def test_a_fetch_that_starts_after_the_walk_stopped_sends_nothing() -> None:
    fake = FakeMeetBot(log_count=10)
    with Walker("sync", fake) as w:
        read_ahead = _ThreadReadAhead(
            w.client, lambda number: _endpoints.api_logs_get_page(number, 10, {}), 2
        )
        read_ahead.close()
        with pytest.raises(Abandoned):
            read_ahead._fetch(1)
    assert fake.requests == []


# --- over real sockets ----------------------------------------------------------------------


@pytest.mark.loopback
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_read_ahead_over_loopback_through_faults_and_arrivals_is_exact(kind: str) -> None:
    # Dropped connections, 503s and 429s on real keep-alive connections, several at once.
    fake = FakeMeetBot(log_count=1_000)
    before = ids(list(fake.logs))
    fake.add_logs_after_each_page(6)
    fake.fail_randomly(0.3, seed=5)
    with fake.serve() as base_url:
        if kind == "sync":
            with mb.MeetBot(fake.api_key, base_url=base_url, max_retries=12) as client:
                client._sleep = lambda seconds: None
                logs = list(client.api_logs.list(page_size=50, concurrency=4))
        else:

            async def main() -> list[mb.ApiLog]:
                async def no_wait(seconds: float) -> None:
                    pass

                async with mb.AsyncMeetBot(
                    fake.api_key, base_url=base_url, max_retries=12
                ) as client:
                    client._sleep = no_wait
                    return [log async for log in client.api_logs.list(page_size=50, concurrency=4)]

            logs = asyncio.run(main())
    assert ids(logs) == before
