"""WalkCheckpoint: save a walk anywhere, resume it in another process, every log once."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

import attrs
import httpx
import pytest

from meetbot_sdk import ApiLogPage, MeetBot, WalkCheckpoint
from meetbot_sdk._walk._checkpoint import account_fingerprint, resumed_walk
from meetbot_sdk._walk._pagination import log_key
from meetbot_sdk.testing import FakeMeetBot
from tests.support import FIXED_NOW
from tests.support.walking import Walker, drain, ids, log, page_requests

UTC = datetime.timezone.utc


def matching(fake: FakeMeetBot, **filters: Any) -> list[int]:
    """The ids of the fake's logs passing ``status_code``/``method`` filters, newest first."""
    return [
        log["id"]
        for log in fake.logs
        if all(log[{"status_code": "statusCode"}.get(k, k)] == v for k, v in filters.items())
    ]


def origin(fake: FakeMeetBot) -> dict[str, str]:
    """What a checkpoint of a walk on ``fake`` records of its API and account."""
    return {"base_url": fake.base_url, "account": account_fingerprint(fake.api_key)}


def saved(walk: Any) -> WalkCheckpoint:
    """The walk's checkpoint as another process would read it back."""
    return WalkCheckpoint.from_json(walk.checkpoint().to_json())


# --- the checkpoint itself ---------------------------------------------------------------------


def test_a_checkpoint_survives_json_and_is_one_line() -> None:
    key = (datetime.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), 42)
    checkpoint = WalkCheckpoint(
        filters=(("method", "GET"), ("status_code", "500")),
        watermark=(key[0] - datetime.timedelta(days=3), 7),
        top=key,
        cursor=(key[0] - datetime.timedelta(hours=1), 40),
        offset=300,
    )
    text = checkpoint.to_json()
    assert "\n" not in text
    assert WalkCheckpoint.from_json(text) == checkpoint
    assert WalkCheckpoint.from_json(text.encode()) == checkpoint
    assert json.loads(text)["cursor"] == ["2026-01-02T02:04:05.678901Z", 40]


FINISHED = "a finished checkpoint has no 'top', 'cursor' or 'offset'"
NOT_ABOVE = "the walk in progress is not above 'watermark'"


def _document(**changes: Any) -> str:
    document: dict[str, Any] = json.loads(
        WalkCheckpoint(
            filters=(("method", "GET"),),
            watermark=(datetime.datetime(2026, 1, 1, tzinfo=UTC), 1),
            top=(datetime.datetime(2026, 1, 3, tzinfo=UTC), 9),
            cursor=(datetime.datetime(2026, 1, 2, tzinfo=UTC), 5),
            offset=20,
        ).to_json()
    )
    for name, value in changes.items():
        if value is KeyError:
            del document[name]
        else:
            document[name] = value
    return json.dumps(document)


INVALID = "not a valid walk checkpoint: "
KEY = (
    "'cursor' must be null or [timestamp, id] (a time from 1970 to 9998, an id from 0 to"
    " 2**63 - 1), "
)
FOREIGN = "not a walk checkpoint: expected a JSON object with format 'meetbot_sdk.WalkCheckpoint'"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # json's own words follow, and vary with the Python version
        ("", "not a walk checkpoint: the text is not JSON ("),
        ("{not json", "not a walk checkpoint: the text is not JSON ("),
        ("[1, 2]", FOREIGN),
        ('{"logs": []}', FOREIGN),
        (
            _document(version=2),
            "walk checkpoint version 2 is not supported (this meetbot-sdk reads version 1)",
        ),
        (_document(offset=KeyError), INVALID + "the field 'offset' is missing"),
        (_document(offset=-1), INVALID + "'offset' must be an int from 0 to 2**63 - 1, got -1"),
        (_document(offset=True), INVALID + "'offset' must be an int from 0 to 2**63 - 1, got True"),
        (_document(finished="yes"), INVALID + "'finished' must be true or false, got 'yes'"),
        (_document(filters={"method": 1}), INVALID + "'filters' must be an object of strings"),
        (
            _document(cursor=["yesterday", 5]),
            INVALID + KEY + "got ['yesterday', 5]",
        ),
        (
            _document(cursor=["2026-01-02T00:00:00Z", "5"]),
            INVALID + KEY + "got ['2026-01-02T00:00:00Z', '5']",
        ),
        (_document(top=None), INVALID + "'cursor' and 'offset' need a 'top'"),
        (_document(top=None, cursor=None), INVALID + "'cursor' and 'offset' need a 'top'"),
        (_document(cursor=["2026-01-04T00:00:00Z", 5]), INVALID + "'cursor' is above 'top'"),
        (_document(finished=True), INVALID + FINISHED),
        (_document(finished=True, cursor=None, offset=0), INVALID + FINISHED),  # a top alone
        (_document(finished=True, top=None, offset=0), INVALID + FINISHED),  # a cursor alone
        (_document(finished=True, top=None, cursor=None), INVALID + FINISHED),  # an offset alone
        (_document(watermark=["2026-01-05T00:00:00Z", 1]), INVALID + NOT_ABOVE),
        (_document(watermark=["2026-01-02T12:00:00Z", 1]), INVALID + NOT_ABOVE),  # above the cursor
        (
            _document(watermark=["2026-01-02T00:00:00Z", 5]),
            INVALID + NOT_ABOVE,
        ),  # the cursor itself
        (
            _document(cursor=None, offset=0, watermark=["2026-01-03T00:00:00Z", 9]),
            INVALID + NOT_ABOVE,
        ),
    ],
)
def test_a_corrupt_or_foreign_checkpoint_is_a_clear_value_error(text: str, message: str) -> None:
    # the message is what the user reads to find what is wrong with the text: all of it
    with pytest.raises(ValueError, match="checkpoint") as caught:
        WalkCheckpoint.from_json(text)
    if message.endswith("("):
        assert str(caught.value).startswith(message)
    else:
        assert str(caught.value) == message


def test_a_resumed_walk_leaves_a_log_at_the_tops_instant_to_the_next_walk() -> None:
    # Nothing was yielded yet: the walk goes on from the top itself. A log that arrived
    # since, at the top's very instant but with a higher id, is an arrival: not in this walk.
    top, older = log(5), log(4)
    arrival = attrs.evolve(top, id=6)
    checkpoint = WalkCheckpoint(filters=(), top=log_key(top))
    walk = resumed_walk(checkpoint, 10, None)
    assert walk.take(
        ApiLogPage(logs=[arrival, top, older], total=3, page=1, page_size=10), fetched_ahead=False
    )
    assert drain(walk) == [5, 4]


# --- what list(resume_from=...) accepts ---------------------------------------------------------


def test_other_filters_are_refused_before_any_request() -> None:
    fake = FakeMeetBot(log_count=50)
    with MeetBot(
        fake.api_key, http_client=httpx.Client(transport=fake.transport("httpx"))
    ) as client:
        checkpoint = client.api_logs.list(status_code=500, start_date="2026-01-01").checkpoint()
        with pytest.raises(ValueError, match="other filters") as caught:
            client.api_logs.list(resume_from=checkpoint, status_code=404)
        assert str(caught.value) == (
            "resume_from holds a walk with other filters: it had start_date='2026-01-01', "
            "status_code='500', this walk has status_code='404'; pass the same filters"
        )
        with pytest.raises(ValueError, match=r"it had .*, this walk has no filters"):
            client.api_logs.list(resume_from=checkpoint)
        with pytest.raises(
            ValueError,
            match=r"^start_page cannot be combined with resume_from: the checkpoint says where$",
        ):
            client.api_logs.list(
                resume_from=checkpoint, start_page=2, status_code=500, start_date="2026-01-01"
            )
        with pytest.raises(TypeError, match="resume_from must be a WalkCheckpoint"):
            client.api_logs.list(resume_from=checkpoint.to_json())  # type: ignore[arg-type]
        # The same filters spelled another way are the same walk.
        same = client.api_logs.list(
            resume_from=checkpoint, status_code=500, start_date=datetime.date(2026, 1, 1)
        )
        assert same.checkpoint() == checkpoint
    assert fake.requests == []


def test_a_walk_from_a_later_start_page_cannot_checkpoint() -> None:
    fake = FakeMeetBot(log_count=50)
    with MeetBot(
        fake.api_key, http_client=httpx.Client(transport=fake.transport("httpx"))
    ) as client:
        with pytest.raises(ValueError, match="needs a walk from the head"):
            client.api_logs.list(start_page=3).checkpoint()


# --- resuming -----------------------------------------------------------------------------------


def test_resuming_mid_page_yields_exactly_the_rest(walker: Callable[..., Walker]) -> None:
    fake = FakeMeetBot(log_count=230)
    expected = matching(fake)
    fake.add_logs_after_each_page(4)
    first = walker(fake)
    walk = first.list(page_size=20)
    head = ids(first.consume(walk, stop_after=27))  # in the middle of page 2
    checkpoint = saved(walk)
    assert not checkpoint.finished
    fake.add_logs(9)  # arrivals between the two processes shift every offset
    second = walker(fake)
    rest = ids(second.consume(second.list(page_size=20, resume_from=checkpoint)))
    assert head + rest == expected


def test_a_walk_that_has_yielded_nothing_yet_resumes_without_the_arrivals(
    walker: Callable[..., Walker],
) -> None:
    fake = FakeMeetBot(log_count=60)
    expected = matching(fake)
    newest = fake.logs[0]
    top = (
        datetime.datetime.fromisoformat(newest["createdAt"].replace("Z", "+00:00")),
        newest["id"],
    )
    checkpoint = WalkCheckpoint(filters=(), top=top)  # its first page taken, nothing handed out
    fake.add_logs(15)
    one = walker(fake)
    walk = one.list(page_size=10, resume_from=checkpoint)
    assert ids(one.consume(walk)) == expected
    assert saved(walk) == WalkCheckpoint(filters=(), watermark=top, finished=True, **origin(fake))


def test_resuming_a_finished_walk_yields_only_the_arrivals(walker: Callable[..., Walker]) -> None:
    fake = FakeMeetBot(log_count=120)
    one = walker(fake)
    walk = one.list(page_size=50, method="GET")
    first = ids(one.consume(walk))
    assert first == matching(fake, method="GET")
    finished = saved(walk)
    assert finished.finished
    assert finished.watermark is not None
    assert finished.watermark[1] == first[0]
    new = [log["id"] for log in reversed(fake.add_logs(40)) if log["method"] == "GET"]
    before = len(page_requests(fake))
    again = one.list(page_size=50, method="GET", resume_from=finished)
    assert ids(one.consume(again)) == new
    assert saved(again).watermark[1] == new[0]  # type: ignore[index]
    # It stopped at the watermark, and told the server a start_date two days below it.
    queries = page_requests(fake)[before:]
    assert len(queries) == 1
    margin = finished.watermark[0].date() - datetime.timedelta(days=2)
    assert queries[0]["start_date"] == margin.isoformat()
    # Nothing arrived since: nothing to yield, and the watermark stays.
    latest = saved(again)
    quiet = one.list(page_size=50, method="GET", resume_from=latest)
    assert ids(one.consume(quiet)) == []
    assert saved(quiet) == latest


@pytest.mark.parametrize("start", ["2026-01-14T00:00:00Z", "2026-01-14"])
def test_a_later_start_date_of_the_user_is_kept(walker: Callable[..., Walker], start: str) -> None:
    fake = FakeMeetBot(log_count=200, now=FIXED_NOW)
    one = walker(fake)  # the watermark's margin is 2026-01-13: the user's date is later
    walk = one.list(start_date=start)
    one.consume(walk)
    fake.add_logs(3)
    before = len(page_requests(fake))
    one.consume(one.list(start_date=start, resume_from=saved(walk)))
    assert [query["start_date"] for query in page_requests(fake)[before:]] == [start]


def test_max_items_leaves_the_walk_unfinished(walker: Callable[..., Walker]) -> None:
    fake = FakeMeetBot(log_count=95)
    expected = matching(fake)
    one = walker(fake)
    batches, checkpoint = [], None
    while checkpoint is None or not checkpoint.finished:
        walk = one.list(page_size=30, max_items=25, resume_from=checkpoint)
        batches.append(ids(one.consume(walk)))
        checkpoint = saved(walk)
    assert [len(batch) for batch in batches] == [25, 25, 25, 20]
    assert [log for batch in batches for log in batch] == expected


class FailPageOnce(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """The fake, but the first request for one page gets a 500."""

    def __init__(self, fake: FakeMeetBot, page: int) -> None:
        self._inner, self._page, self.failed = fake.transport(), page, False

    def _fails(self, request: httpx.Request) -> bool:
        if self.failed or request.url.params.get("page") != str(self._page):
            return False
        self.failed = True
        return True

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._fails(request):
            return httpx.Response(500, json={"detail": "boom"})
        return self._inner.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._fails(request):
            return httpx.Response(500, json={"detail": "boom"})
        return await self._inner.handle_async_request(request)


def test_a_failure_after_a_page_of_repeats_loses_and_repeats_nothing(
    walker: Callable[..., Walker],
) -> None:
    from meetbot_sdk import InternalServerError

    fake = FakeMeetBot(log_count=40)
    expected = matching(fake)
    one = walker(fake, max_retries=0, transport=lambda fake, kind: FailPageOnce(fake, 3))
    walk = one.list(page_size=5)
    got: list[int] = []

    def arrive_after_page_one(index: int, log: Any) -> None:
        got.append(log.id)
        if index == 4:
            fake.add_logs(5)  # page 2 now holds exactly page 1's logs: nothing new

    with pytest.raises(InternalServerError):
        one.consume(walk, each=arrive_after_page_one)
    assert got == expected[:5]
    fake.add_logs(3)  # the resumed walk's first page now repeats logs of page 1
    rest = ids(one.consume(one.list(page_size=5, resume_from=saved(walk))))
    assert got + rest == expected


@pytest.mark.loopback
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_chain_over_loopback_through_faults_and_arrivals(kind: str) -> None:
    import asyncio

    from meetbot_sdk import AsyncMeetBot
    from meetbot_sdk.testing import Fault

    fake = FakeMeetBot(log_count=400, record_requests=False)
    fake.add_logs_after_each_page(3)
    fake.fail_randomly(0.2, Fault.status(503, headers={"Retry-After": "0"}), seed=2)
    got: list[int] = []

    def run(base_url: str, checkpoint: WalkCheckpoint | None, stop: int | None) -> WalkCheckpoint:
        if kind == "sync":
            with MeetBot(fake.api_key, base_url=base_url, max_retries=10) as client:
                walk = client.api_logs.list(page_size=30, resume_from=checkpoint, method="GET")
                for log in walk:
                    got.append(log.id)
                    if len(got) == stop:
                        break
                return saved(walk)

        async def main() -> WalkCheckpoint:
            async with AsyncMeetBot(fake.api_key, base_url=base_url, max_retries=10) as client:
                walk = client.api_logs.list(page_size=30, resume_from=checkpoint, method="GET")
                async with walk:
                    async for log in walk:
                        got.append(log.id)
                        if len(got) == stop:
                            break
                return saved(walk)

        return asyncio.run(main())

    with fake.serve() as base_url:
        checkpoint = None
        for stop in (17, 60, 61, 130):
            checkpoint = run(base_url, checkpoint, stop)
        existing = set(matching(fake, method="GET"))
        for _ in range(2):
            checkpoint = run(base_url, checkpoint, None)
    assert checkpoint.finished
    assert len(got) == len(set(got))
    assert existing <= set(got)
    assert checkpoint.watermark is not None
    assert set(got) == {i for i in matching(fake, method="GET") if i <= checkpoint.watermark[1]}


# --- hostile or foreign checkpoints -------------------------------------------------------------


LONGEST_TIME = "2026-01-02T00:00:00." + "0" * 43 + "Z"  # 64 characters, the most read
LONGEST_URL = "http://127.0.0.1:8000/" + "v" * (2048 - 22)  # 2048 characters, the most read


def _in_flight_document(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(_document())
    document.update(changes)
    return document


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 60_000, "not a walk checkpoint: the text is nested deeper than 64 levels"),
        (
            json.dumps(_in_flight_document(filters={"path": [[[[]]]]})).replace(
                "[[[[]]]]", "[" * 70 + "]" * 70
            ),
            "not a walk checkpoint: the text is nested deeper than 64 levels",
        ),
        (
            json.dumps(_in_flight_document(filters={"path": "x" * 1_000_000})),
            "not a walk checkpoint: the text is larger than 65536 bytes",
        ),
        (b"\xff" + b" " * 10, "not a walk checkpoint: the text is not UTF-8"),
        (
            json.dumps(_in_flight_document(cursor=["x" * 60_000, 5])),
            INVALID + KEY + "got ['" + "x" * 55 + "...",
        ),
        (
            json.dumps(_in_flight_document(watermark=["0001-01-01T00:00:00Z", 1])),
            INVALID + KEY.replace("cursor", "watermark") + "got ['0001-01-01T00:00:00Z', 1]",
        ),
        (
            json.dumps(_in_flight_document(top=["9999-12-31T23:59:59Z", 9])),
            INVALID + KEY.replace("cursor", "top") + "got ['9999-12-31T23:59:59Z', 9]",
        ),
        (  # just before 1970
            json.dumps(_in_flight_document(watermark=["1969-12-31T23:59:59.999999Z", 1])),
            INVALID + KEY.replace("cursor", "watermark") + "got ['1969-12-31T23:59:59.999999Z', 1]",
        ),
        (  # just after 9998
            json.dumps(_in_flight_document(top=["9999-01-01T00:00:00Z", 9])),
            INVALID + KEY.replace("cursor", "top") + "got ['9999-01-01T00:00:00Z', 9]",
        ),
        (  # a valid timestamp, but longer than 64 characters
            json.dumps(_in_flight_document(cursor=[LONGEST_TIME[:-1] + "0Z", 5])),
            INVALID + KEY + "got ['2026-01-02T00:00:00." + "0" * 35 + "...",
        ),
        (
            json.dumps(_in_flight_document(base_url=LONGEST_URL + "x")),
            INVALID + "'base_url' must be null or a URL, got '" + LONGEST_URL[:60] + "...'",
        ),
        (
            json.dumps(_in_flight_document(cursor=["2026-01-02T00:00:00Z", 2**63])),
            INVALID + KEY + "got ['2026-01-02T00:00:00Z', 9223372036854775808]",
        ),
        (
            json.dumps(_in_flight_document(cursor=["2026-01-02T00:00:00Z", -1])),
            INVALID + KEY + "got ['2026-01-02T00:00:00Z', -1]",
        ),
        (
            json.dumps(_in_flight_document(offset=2**63)),
            INVALID + "'offset' must be an int from 0 to 2**63 - 1, got 9223372036854775808",
        ),
        (
            json.dumps(_in_flight_document(version="v" * 10_000)),
            "walk checkpoint version '" + "v" * 60 + "...' is not supported"
            " (this meetbot-sdk reads version 1)",
        ),
        (
            json.dumps(_in_flight_document(account="the key itself")),
            INVALID + "'account' must be null or 16 hex digits, got 'the key itself'",
        ),
        (
            json.dumps(_in_flight_document(base_url=7)),
            INVALID + "'base_url' must be null or a URL, got 7",
        ),
    ],
)
def test_a_hostile_checkpoint_is_the_documented_short_value_error(
    text: str | bytes, message: str
) -> None:
    # docs/pagination.rst: bounded before parsing, ranges checked, a short excerpt quoted
    with pytest.raises(ValueError, match="checkpoint") as caught:
        WalkCheckpoint.from_json(text)
    assert str(caught.value) == message
    assert len(str(caught.value)) < 300


@pytest.mark.parametrize(
    ("name", "value", "read"),
    [
        (
            "watermark",
            ["1970-01-01T00:00:00Z", 0],
            (datetime.datetime(1970, 1, 1, tzinfo=UTC), 0),
        ),
        (
            "top",
            ["9998-12-31T23:59:59.999999Z", 2**63 - 1],
            (datetime.datetime(9998, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), 2**63 - 1),
        ),
        ("cursor", [LONGEST_TIME, 5], (datetime.datetime(2026, 1, 2, tzinfo=UTC), 5)),
        ("offset", 2**63 - 1, 2**63 - 1),
        ("base_url", LONGEST_URL, LONGEST_URL),
    ],
    ids=["earliest-time-and-id", "latest-time-and-id", "longest-time", "largest-offset", "url"],
)
def test_a_checkpoint_at_the_edge_of_each_documented_range_is_read(
    name: str, value: object, read: object
) -> None:
    # The ranges the refusals state are inclusive: from 1970, to 9998, ids from 0 to 2**63 - 1.
    checkpoint = WalkCheckpoint.from_json(json.dumps(_in_flight_document(**{name: value})))
    assert getattr(checkpoint, name) == read
    assert WalkCheckpoint.from_json(checkpoint.to_json()) == checkpoint


def test_a_year_one_watermark_made_by_hand_resumes_without_overflow() -> None:
    fake = FakeMeetBot(log_count=30)
    first = datetime.datetime(1, 1, 1, tzinfo=UTC)
    checkpoint = WalkCheckpoint(filters=(), watermark=(first, 1), finished=True)
    with fake.client() as client:
        assert ids(list(client.api_logs.list(resume_from=checkpoint))) == matching(fake)
    assert "start_date" not in page_requests(fake)[0]


def test_an_offset_past_the_end_walks_again_from_the_head_and_loses_nothing(
    walker: Callable[..., Walker],
) -> None:
    # The list shrank below the checkpoint's offset (logs deleted meanwhile, or a checkpoint
    # edited by hand): the resumed walk must not end there, "finished", with its band unread.
    fake = FakeMeetBot(log_count=60)
    keys = [
        (datetime.datetime.fromisoformat(entry["createdAt"].replace("Z", "+00:00")), entry["id"])
        for entry in fake.logs
    ]
    checkpoint = WalkCheckpoint(filters=(), top=keys[0], cursor=keys[19], offset=10_000)
    one = walker(fake)
    walk = one.list(page_size=10, resume_from=checkpoint)
    assert ids(one.consume(walk)) == matching(fake)[20:]
    assert saved(walk).finished
    assert saved(walk).watermark == keys[0]
    pages = [request["page"] for request in page_requests(fake)]
    assert pages[:2] == ["1001", "1"]


def test_a_walk_by_one_log_pages_goes_back_from_an_offset_of_one_past_the_end() -> None:
    # A walk by pages of one log yielded log 5 and saved offset 1; then the list shrank to
    # log 4 alone: page 2 is past the end, and log 4 (now on page 1) is still to yield.
    checkpoint = WalkCheckpoint(filters=(), top=log_key(log(5)), cursor=log_key(log(5)), offset=1)
    walk = resumed_walk(checkpoint, 1, None)
    assert walk.fetch_page == 2
    assert walk.take(ApiLogPage(logs=[], total=1, page=2, page_size=1), fetched_ahead=False)
    assert not walk.finished
    assert walk.fetch_page == 1
    walk.take(ApiLogPage(logs=[log(4)], total=1, page=1, page_size=1), fetched_ahead=False)
    assert drain(walk) == [4]
    assert walk.done


# --- the API and account a checkpoint belongs to -----------------------------------------------


def test_a_checkpoint_records_the_base_url_and_a_fingerprint_never_the_key() -> None:
    fake = FakeMeetBot(log_count=30)
    with fake.client() as client:
        text = client.api_logs.list().checkpoint().to_json()
    document = json.loads(text)
    assert document["base_url"] == fake.base_url
    assert document["account"] == account_fingerprint(fake.api_key)
    assert len(document["account"]) == 16
    assert fake.api_key not in text


def test_a_checkpoint_of_another_account_or_api_is_refused_before_any_request() -> None:
    fake = FakeMeetBot(log_count=30)
    with fake.client() as client:
        walk = client.api_logs.list(page_size=10)
        next(iter(walk))
        checkpoint = saved(walk)
    other_key = FakeMeetBot(log_count=30, api_key="mb_live_other_account_key")
    with other_key.client() as client, pytest.raises(ValueError, match="another API key") as caught:
        client.api_logs.list(resume_from=checkpoint)
    assert str(caught.value) == (
        "resume_from holds a walk of another API key (key fingerprint"
        f" {account_fingerprint(fake.api_key)}; this client's is"
        f" {account_fingerprint(other_key.api_key)}): a checkpoint resumes only the walk of"
        " the API and account that wrote it (for a new key of the same account, resume from"
        " attrs.evolve(checkpoint, account=None))"
    )
    assert "mb_live_other_account_key" not in str(caught.value)
    assert fake.api_key not in str(caught.value)
    with MeetBot(fake.api_key, base_url="http://127.0.0.1:9/v1") as client:
        with pytest.raises(ValueError, match="holds a walk against") as caught:
            client.api_logs.list(resume_from=checkpoint)
    assert str(caught.value) == (
        f"resume_from holds a walk against {fake.base_url!r}, and this client talks to"
        " 'http://127.0.0.1:9/v1': a checkpoint resumes only the walk of the API and account"
        " that wrote it"
    )
    assert other_key.requests == []


def test_a_checkpoint_without_a_fingerprint_is_accepted_and_gains_one(
    walker: Callable[..., Walker],
) -> None:
    # Written by meetbot-sdk before checkpoints recorded their API and account.
    fake = FakeMeetBot(log_count=50)
    first = walker(fake)
    walk = first.list(page_size=10)
    head = ids(first.consume(walk, stop_after=15))
    document = json.loads(walk.checkpoint().to_json())
    del document["base_url"], document["account"]
    old = WalkCheckpoint.from_json(json.dumps(document))
    assert (old.base_url, old.account) == (None, None)
    second = walker(fake)
    rest = second.list(page_size=10, resume_from=old)
    assert head + ids(second.consume(rest)) == matching(fake)
    assert saved(rest) == attrs.evolve(saved(rest), **origin(fake))
    assert saved(rest).account == account_fingerprint(fake.api_key)
