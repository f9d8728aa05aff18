"""Read-ahead (``list(concurrency=n)``) and stopping a walk, with both clients: order and
exactly-once kept, pages fetched again when answered out of order, the rate limit honoured,
in-flight fetches stopped with the loop, and the same over real loopback sockets."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from typing import Any

import httpx
import pytest

import meetbot_sdk as mb
from meetbot_sdk import _endpoints
from meetbot_sdk._ratelimit._throttle import Abandoned
from meetbot_sdk._walk._read_ahead import ThreadReadAhead
from meetbot_sdk.testing import FakeMeetBot, Fault, instant_waits
from tests.support.walking import LOGS, HoldPage, Walker, Watching, ids, page_requests

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
    # The only waits are the throttle's for the 50 ms window (instant, recorded); a 429
    # would have been retried after its Retry-After of at least a second, and resent.
    assert all(wait <= 0.05 for wait in w.sleeps)
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
    w.run(pager.close())
    assert time.monotonic() - started < 5  # not the 30 s the server asked for
    assert [page.page for page in first] == [1]
    assert w.pending_tasks() == set()
    # Page 1, then pages 2 and 3 at most once each (one of them took the 503, which may
    # have held the other back before it was sent): nothing was retried.
    pages = [q["page"] for q in page_requests(fake)]
    assert pages[0] == "1"
    assert sorted(pages[1:]) in (["2"], ["3"], ["2", "3"])


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
    w.run(pager.close())
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
        read_ahead = ThreadReadAhead(
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
    with fake.serve() as base_url, instant_waits():
        if kind == "sync":
            with mb.MeetBot(fake.api_key, base_url=base_url, max_retries=12) as client:
                logs = list(client.api_logs.list(page_size=50, concurrency=4))
        else:

            async def main() -> list[mb.ApiLog]:
                async with mb.AsyncMeetBot(
                    fake.api_key, base_url=base_url, max_retries=12
                ) as client:
                    return [log async for log in client.api_logs.list(page_size=50, concurrency=4)]

            logs = asyncio.run(main())
    assert ids(logs) == before
