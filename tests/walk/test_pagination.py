"""The pure walk: which pages to request, which logs are new, when to stop (no I/O)."""

from __future__ import annotations

import pytest

from meetbot_sdk import ApiLogPage
from meetbot_sdk._walk._pagination import MAX_CONCURRENCY, Walk, check_walk_arguments, log_key
from tests.support.walking import Server, drain, log


def run(
    walk: Walk, server: Server, *, arrivals: int = 0, burst: list[int] | None = None
) -> tuple[list[int], int]:
    """Walk sequentially; after each page ``arrivals`` new logs arrive, or after the n-th
    page ``burst[n]`` of them. Returns the ids yielded and the number of pages fetched."""
    ids: list[int] = []
    fetched = 0
    while not walk.finished:
        assert list(walk.pages_to_request(1)) == [walk.fetch_page]
        assert walk.take(server.page(walk.fetch_page, walk.page_size), fetched_ahead=False)
        server.arrive(burst[fetched] if burst and fetched < len(burst) else arrivals)
        fetched += 1
        ids += drain(walk)
    assert walk.done
    return ids, fetched


# --- stopping ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "size", "pages"),
    [(300, 100, 3), (250, 100, 3), (1, 100, 1), (0, 100, 1), (7, 1, 7), (100, 100, 1)],
)
def test_stops_at_the_last_page_without_asking_for_one_more(
    count: int, size: int, pages: int
) -> None:
    ids, fetched = run(Walk(size, 1, None), Server(count))
    assert ids == list(range(count, 0, -1))
    assert fetched == pages


def test_a_short_page_ends_the_walk_even_if_total_claims_more() -> None:
    walk = Walk(10, 1, None)
    walk.take(
        ApiLogPage(logs=[log(3), log(2)], total=50, page=1, page_size=10), fetched_ahead=False
    )
    assert walk.finished
    assert drain(walk) == [3, 2]


def test_start_page_skips_the_pages_before_it() -> None:
    ids, fetched = run(Walk(10, 3, None), Server(45))
    assert ids == list(range(25, 0, -1))
    assert fetched == 3


def test_a_start_page_past_the_end_yields_nothing_after_one_request() -> None:
    ids, fetched = run(Walk(10, 9, None), Server(45))
    assert (ids, fetched) == ([], 1)


# --- max_items ----------------------------------------------------------------------------


def test_max_items_zero_needs_no_page() -> None:
    walk = Walk(100, 1, 0)
    assert walk.finished
    assert walk.done
    assert not walk.exhausted  # max_items stopped it, not the end of the list
    assert list(walk.pages_to_request(8)) == []


@pytest.mark.parametrize(("max_items", "pages"), [(1, 1), (10, 1), (11, 2), (25, 3), (1000, 5)])
def test_max_items_stops_after_that_many_logs_and_pages(max_items: int, pages: int) -> None:
    ids, fetched = run(Walk(10, 1, max_items), Server(50))
    assert ids == list(range(50, 50 - min(max_items, 50), -1))
    assert fetched == pages


# --- exactly once -------------------------------------------------------------------------


@pytest.mark.parametrize("arrivals", [1, 3, 9])
def test_logs_arriving_between_pages_shift_nothing_into_a_repeat_or_a_gap(arrivals: int) -> None:
    # Every log of the start is yielded once, in order, and none of the newcomers.
    ids, fetched = run(Walk(10, 1, None), Server(95), arrivals=arrivals)
    assert ids == list(range(95, 0, -1))
    # Each page moves on by page_size - arrivals logs of the start.
    assert fetched == -(-(95 - 10) // (10 - arrivals)) + 1


def test_a_burst_of_more_than_a_page_stalls_the_walk_but_loses_nothing() -> None:
    # 10 and 25 logs arrive after pages 1 and 2: pages 2 and 3 hold nothing new.
    ids, fetched = run(Walk(10, 1, None), Server(45), burst=[10, 25])
    assert ids == list(range(45, 0, -1))
    assert fetched == 8  # the pages of all 80 logs: the newcomers cost three more


def test_max_items_counts_only_new_logs() -> None:
    ids, fetched = run(Walk(10, 1, 25), Server(100), arrivals=4)
    assert ids == list(range(100, 75, -1))
    assert fetched == 4  # pages 2..4 each began with 4 repeats


def test_a_page_fetched_ahead_and_answered_before_its_predecessor_is_fetched_again() -> None:
    server = Server(40)
    walk = Walk(10, 1, None)
    walk.take(server.page(1, 10), fetched_ahead=False)
    server.arrive(2)
    early = server.page(3, 10)  # read ahead: answered before page 2
    server.arrive(2)
    assert walk.take(server.page(2, 10), fetched_ahead=True)
    # Page 3's answer predates page 2's (a lower total): logs 21 and 22 fell into the gap.
    assert not walk.take(early, fetched_ahead=True)
    assert walk.fetch_page == 3
    assert walk.take(server.page(3, 10), fetched_ahead=False)
    walk.take(server.page(4, 10), fetched_ahead=False)
    walk.take(server.page(5, 10), fetched_ahead=False)
    assert walk.finished


def test_a_page_fetched_after_its_predecessor_is_never_refused() -> None:
    # A shrinking total then means deletions, which fetching again cannot undo.
    walk = Walk(10, 1, None)
    walk.take(Server(40).page(1, 10), fetched_ahead=False)
    assert walk.take(Server(30).page(2, 10), fetched_ahead=False)


def test_pages_hand_out_only_new_logs() -> None:
    server = Server(30)
    walk = Walk(10, 1, None)
    walk.take(server.page(1, 10), fetched_ahead=False)
    first = server.page(1, 10)
    assert walk.pop_page() is not None
    server.arrive(4)
    second = server.page(2, 10)
    walk.take(second, fetched_ahead=False)
    page = walk.pop_page()
    assert page is not None
    assert [item.id for item in page.logs] == list(range(20, 14, -1))
    assert (page.page, page.total, page.page_size) == (2, 34, 10)
    assert walk.pop_page() is None
    assert first.logs[0].id == 30


def test_an_unchanged_page_is_handed_out_as_the_server_sent_it() -> None:
    walk = Walk(10, 1, None)
    page = Server(30).page(1, 10)
    walk.take(page, fetched_ahead=False)
    assert walk.pop_page() is page


def test_the_rest_of_a_page_popped_item_by_item_comes_as_a_shorter_page() -> None:
    walk = Walk(10, 1, None)
    walk.take(Server(30).page(1, 10), fetched_ahead=False)
    walk.pop()
    walk.pop()
    page = walk.pop_page()
    assert page is not None
    assert [item.id for item in page.logs] == list(range(28, 20, -1))
    assert walk.items_yielded == 10


def test_a_page_of_nothing_but_repeats_leaves_nothing_to_pop() -> None:
    server = Server(30)
    walk = Walk(10, 1, None)
    walk.take(server.page(1, 10), fetched_ahead=False)
    drain(walk)
    server.arrive(10)
    walk.take(server.page(2, 10), fetched_ahead=False)
    assert walk.pop_page() is None
    assert not walk.finished


# --- position -----------------------------------------------------------------------------


def test_next_page_is_the_page_being_handed_out_until_it_is_empty() -> None:
    walk = Walk(10, 1, None)
    assert walk.next_page == 1
    walk.take(Server(30).page(1, 10), fetched_ahead=False)
    assert walk.next_page == 1
    for _ in range(9):
        walk.pop()
    assert (walk.next_page, walk.items_yielded) == (1, 9)
    walk.pop()
    assert (walk.next_page, walk.items_yielded) == (2, 10)


# --- planning read-ahead ------------------------------------------------------------------


def test_read_ahead_waits_for_the_first_page_to_learn_the_total() -> None:
    walk = Walk(10, 1, None)
    assert list(walk.pages_to_request(8)) == [1]


def test_read_ahead_never_plans_a_page_past_the_total() -> None:
    walk = Walk(10, 1, None)
    walk.take(Server(45).page(1, 10), fetched_ahead=False)
    assert list(walk.pages_to_request(8)) == [2, 3, 4, 5]
    assert list(walk.pages_to_request(2)) == [2, 3]


def test_read_ahead_never_plans_a_page_past_max_items() -> None:
    walk = Walk(10, 1, 35)
    walk.take(Server(100).page(1, 10), fetched_ahead=False)
    assert list(walk.pages_to_request(8)) == [2, 3, 4]


def test_read_ahead_follows_a_growing_total() -> None:
    server = Server(30)
    walk = Walk(10, 1, None)
    walk.take(server.page(1, 10), fetched_ahead=False)
    assert list(walk.pages_to_request(8)) == [2, 3]
    server.arrive(15)
    walk.take(server.page(2, 10), fetched_ahead=False)
    assert list(walk.pages_to_request(8)) == [3, 4, 5]


def test_a_server_paging_by_fewer_logs_than_asked_is_followed() -> None:
    # Asked for 100, the server pages by 50: full pages of 50 must not end the walk.
    server = Server(120)
    walk = Walk(100, 1, None)
    ids: list[int] = []
    while not walk.finished:
        walk.take(server.page(walk.fetch_page, 50), fetched_ahead=False)
        ids += drain(walk)
    assert ids == list(range(120, 0, -1))


# --- arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"page_size": 0}, ValueError, "page_size must be between 1 and 100, got 0"),
        ({"page_size": 101}, ValueError, "page_size must be between 1 and 100, got 101"),
        ({"page_size": "10"}, TypeError, "page_size must be an int"),
        ({"start_page": 0}, ValueError, "start_page must be >= 1, got 0"),
        ({"max_items": -1}, ValueError, "max_items must be >= 0, got -1"),
        ({"max_items": True}, TypeError, "max_items must be an int"),
        ({"max_items": 2.5}, TypeError, "max_items must be an int"),
        ({"concurrency": 0}, ValueError, f"concurrency must be between 1 and {MAX_CONCURRENCY}"),
        ({"concurrency": MAX_CONCURRENCY + 1}, ValueError, "concurrency must be between"),
    ],
)
def test_bad_arguments_name_what_is_wrong(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    arguments: dict[str, object] = {
        "page_size": 100,
        "start_page": 1,
        "max_items": None,
        "concurrency": 1,
    }
    with pytest.raises(error, match=message):
        check_walk_arguments(**(arguments | kwargs))


# --- a server's odd page_size, max_items and floors ----------------------------------------------


def test_a_page_size_of_zero_from_the_server_is_ignored() -> None:
    server = Server(25)
    walk = Walk(10, 1, None)
    ids: list[int] = []
    while not walk.finished:
        page = server.page(walk.fetch_page, 10)
        walk.take(
            ApiLogPage(logs=page.logs, total=page.total, page=page.page, page_size=0),
            fetched_ahead=False,
        )
        assert walk.page_size == 10
        ids += drain(walk)
    assert ids == list(range(25, 0, -1))


def test_read_ahead_follows_a_server_paging_by_fewer_logs() -> None:
    server = Server(120)
    walk = Walk(100, 1, None)
    walk.take(server.page(1, 50), fetched_ahead=False)
    assert walk.page_size == 50
    assert list(walk.pages_to_request(4)) == [2, 3]


def test_a_server_paging_by_one_log_is_followed() -> None:
    server = Server(3)
    walk = Walk(10, 1, None)
    ids: list[int] = []
    while not walk.finished:
        walk.take(server.page(walk.fetch_page, 1), fetched_ahead=False)
        ids += drain(walk)
    assert ids == [3, 2, 1]


def test_max_items_ending_with_a_page_leaves_nothing_of_it_behind() -> None:
    walk = Walk(10, 1, 10)
    walk.take(Server(30).page(1, 10), fetched_ahead=False)
    assert walk.finished
    assert not walk.exhausted  # there are more logs, max_items stopped the walk
    assert drain(walk) == list(range(30, 20, -1))
    assert walk.next_page == 2  # nothing of page 1 left to take again


@pytest.mark.parametrize(("max_items", "exhausted"), [(None, True), (5, True), (3, False)])
def test_the_walk_is_exhausted_only_if_no_log_was_left_behind(
    max_items: int | None, exhausted: bool
) -> None:
    walk = Walk(10, 1, max_items)
    walk.take(Server(5).page(1, 10), fetched_ahead=False)  # the last page
    assert walk.finished
    assert walk.exhausted is exhausted


def test_a_page_fetched_ahead_with_an_unchanged_total_is_taken() -> None:
    server = Server(30)
    walk = Walk(10, 1, None)
    assert walk.take(server.page(1, 10), fetched_ahead=False)
    drain(walk)
    assert walk.take(server.page(2, 10), fetched_ahead=True)
    assert drain(walk) == list(range(20, 10, -1))


def test_done_only_once_the_last_page_is_handed_out() -> None:
    server = Server(20)
    walk = Walk(10, 1, None)
    assert not walk.done
    walk.take(server.page(1, 10), fetched_ahead=False)
    drain(walk)
    assert not walk.done  # page 2 is still to come
    walk.take(server.page(2, 10), fetched_ahead=False)
    assert not walk.done  # its logs are still buffered
    drain(walk)
    assert walk.done


def test_the_oldest_log_handed_out_is_tracked_across_pages() -> None:
    server = Server(30)
    walk = Walk(10, 1, None)
    assert walk.oldest_handed_out is None
    page = server.page(1, 10)
    walk.take(page, fetched_ahead=False)
    assert walk.oldest_handed_out is None  # taken, not handed out yet
    walk.pop()
    walk.pop()
    assert walk.oldest_handed_out == log_key(page.logs[1])
    drain(walk)
    walk.take(server.page(2, 10), fetched_ahead=False)
    assert walk.oldest_handed_out == log_key(page.logs[-1])
    assert walk.top == log_key(page.logs[0])  # the newest, from the first page


@pytest.mark.parametrize(
    ("floor", "expected", "pages"),
    [(11, list(range(30, 11, -1)), 2), (15, list(range(30, 15, -1)), 2), (30, [], 1)],
    ids=["last-of-a-page", "inside-a-page", "the-newest"],
)
def test_a_walk_stops_above_its_floor(floor: int, expected: list[int], pages: int) -> None:
    server = Server(30)
    walk = Walk(10, 1, None, floor=log_key(log(floor)))
    ids: list[int] = []
    fetched = 0
    while not walk.finished:
        walk.take(server.page(walk.fetch_page, 10), fetched_ahead=False)
        fetched += 1
        ids += drain(walk)
    assert ids == expected
    assert fetched == pages
    assert walk.exhausted


# --- a walk resumed at an offset ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "start", "cursor", "expire", "pages", "repeated", "expected"),
    [
        (60, 3, 41, 0, [3, 4, 5, 6], [0, 0, 0, 0], range(40, 0, -1)),
        (60, 1, 56, 0, [1, 2, 3, 4, 5, 6], [5, 0, 0, 0, 0, 0], range(55, 0, -1)),
        (0, 1, 56, 0, [1], [0], range(0)),
        (8, 2, 6, 0, [2, 1], [0, 3], range(5, 0, -1)),
        (40, 3, 21, 10, [3, 4], [0, 0], range(20, 10, -1)),
    ],
    ids=["on-its-page", "mid-first-page", "list-emptied", "list-shrank", "tail-expired-later"],
)
def test_a_resumed_walk_asks_for_each_page_once_and_goes_back_only_from_past_the_end(  # noqa: PLR0917 (table)
    count: int,
    start: int,
    cursor: int,
    expire: int,
    pages: list[int],
    repeated: list[int],
    expected: range,
) -> None:
    # A walk resumed from a checkpoint whose cursor is log ``cursor``, at the page holding
    # its offset; the list may have shrunk below that offset since (``count`` logs left), or
    # lose its ``expire`` oldest logs after the first page (expiry takes the oldest).
    server = Server(count)
    walk = Walk(10, start, None, ceiling=log_key(log(cursor)), rewind_past_end=True)
    asked: list[int] = []
    began_with: list[int] = []
    ids: list[int] = []
    while not walk.finished:
        asked.append(walk.fetch_page)
        # Going back to page 1 is not "fetch this page again": take() accepts the answer.
        assert walk.take(server.page(walk.fetch_page, 10), fetched_ahead=False)
        began_with.append(walk.repeated)
        ids += drain(walk)
        if expire:
            del server.ids[-expire:]
            expire = 0
    assert ids == list(expected)
    assert asked == pages
    assert began_with == repeated
