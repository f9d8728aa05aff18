"""``client.api_logs.list()`` against the fake, with both clients: laziness, stopping,
filters, ``max_items``, pages, resuming, exactly-once while logs arrive, faults, arguments.

Read-ahead (``concurrency``) and closing are in test_read_ahead.py."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import meetbot_sdk as mb
from meetbot_sdk.testing import FakeMeetBot, Fault
from tests.support import API_KEY, strategies
from tests.support.walking import ids, page_requests

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


# --- any sequence of pages: the logs or a documented error ---------------------------------------


@strategies.SETTINGS
@given(script=strategies.answers, concurrency=st.sampled_from([1, 3]), page_size=st.integers(1, 4))
def test_any_sequence_of_pages_walks_or_raises_a_documented_error(
    script: list[tuple[int, bytes]], concurrency: int, page_size: int
) -> None:
    sent: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(1)
        if len(sent) > 40:  # a server whose total never ends: the test stops it, typed
            return httpx.Response(503, text="enough")
        status, body = script[min(len(sent), len(script)) - 1]
        return httpx.Response(status, content=body)

    http = httpx.Client(transport=httpx.MockTransport(handler))
    with mb.MeetBot(strategies.KEY, http_client=http, max_retries=0) as client:
        pager = client.api_logs.list(page_size=page_size, concurrency=concurrency)
        try:
            logs = list(pager)
        except mb.MeetBotError as error:
            for text in strategies.texts_shown(error):
                assert strategies.KEY not in text
        else:
            assert all(isinstance(log, mb.ApiLog) for log in logs)
