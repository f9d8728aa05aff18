"""Chains of walks, each interrupted anywhere, resumed from a checkpoint read back from JSON,
while logs arrive: every matching log comes out exactly once (property-based)."""

from __future__ import annotations

import datetime
from typing import Any

import attrs
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meetbot_sdk import ApiLog, ApiLogPage, WalkCheckpoint
from meetbot_sdk._walk._checkpoint import checkpoint_of, resumed_walk
from meetbot_sdk.testing import FakeMeetBot
from tests.support.walking import Walker, ids

FILTERS: list[dict[str, Any]] = [{}, {"method": "GET"}, {"status_code": 200}]

ORIGIN = {"base_url": "https://api.meetbot.dev/v1", "account": "0123456789abcdef"}


class StrictestStartDate(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """The fake, reading a bare ``start_date`` as narrowly as the API's words allow: only
    logs after the *end* of that day in the westernmost time zone (UTC-12)."""

    def __init__(self, fake: FakeMeetBot) -> None:
        self._inner = fake.transport()

    def _narrowed(self, request: httpx.Request) -> httpx.Request:
        start = request.url.params.get("start_date")
        if start is None or len(start) != 10:
            return request
        after = datetime.date.fromisoformat(start) + datetime.timedelta(days=1)
        moment = f"{after.isoformat()}T12:00:00.000001Z"
        url = request.url.copy_set_param("start_date", moment)
        return httpx.Request(request.method, url, headers=request.headers)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._inner.handle_request(self._narrowed(request))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._inner.handle_async_request(self._narrowed(request))


def _matches(log: dict[str, Any], filters: dict[str, Any]) -> bool:
    wire = {"method": "method", "status_code": "statusCode"}
    return all(log[wire[name]] == value for name, value in filters.items())


run_plan = st.tuples(
    st.integers(1, 40),  # page_size
    st.one_of(st.none(), st.integers(0, 90)),  # stop after this many logs (None: to the end)
    st.booleans(),  # by pages rather than by logs
    st.sampled_from([1, 3]),  # concurrency
    st.integers(0, 12),  # logs arriving before the run
)


@pytest.mark.parametrize("kind", ["sync", "async"])
@settings(max_examples=35, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    log_count=st.integers(0, 150),
    arrivals_per_page=st.integers(0, 8),
    filters=st.sampled_from(FILTERS),
    strict_dates=st.booleans(),
    runs=st.lists(run_plan, min_size=1, max_size=6),
    final_page_size=st.integers(5, 50),
)
def test_any_chain_of_interrupted_walks_yields_every_log_once(  # noqa: PLR0917 (drawn)
    kind: str,
    seed: int,
    log_count: int,
    arrivals_per_page: int,
    filters: dict[str, Any],
    strict_dates: bool,
    runs: list[tuple[int, int | None, bool, int, int]],
    final_page_size: int,
) -> None:
    fake = FakeMeetBot(seed=seed, log_count=log_count, record_requests=False)
    # At most half a page arrives per page, or the walk would make no progress (a flood).
    smallest_page = min([final_page_size] + [plan[0] for plan in runs])
    fake.add_logs_after_each_page(min(arrivals_per_page, smallest_page // 2))
    transport = (lambda fake, kind: StrictestStartDate(fake)) if strict_dates else None
    yielded: list[int] = []
    checkpoint: WalkCheckpoint | None = None
    with Walker(kind, fake, transport=transport) as walker:
        for page_size, stop_after, by_pages, concurrency, arriving in runs:
            fake.add_logs(arriving)
            walk = walker.list(
                page_size=page_size, concurrency=concurrency, resume_from=checkpoint, **filters
            )
            if by_pages:
                pages = walker.consume(walk.pages(), stop_after=stop_after)
                yielded += [log.id for page in pages for log in page.logs]
            else:
                yielded += ids(walker.consume(walk, stop_after=stop_after))
            checkpoint = WalkCheckpoint.from_json(walk.checkpoint().to_json())
        # Run to the end, twice if the first only finished what was left of an earlier walk.
        existing = {log["id"] for log in fake.logs if _matches(log, filters)}
        for _ in range(2):
            walk = walker.list(page_size=final_page_size, resume_from=checkpoint, **filters)
            yielded += ids(walker.consume(walk))
            checkpoint = WalkCheckpoint.from_json(walk.checkpoint().to_json())
        assert checkpoint.finished

    assert len(yielded) == len(set(yielded)), "a log was yielded twice"
    assert existing <= set(yielded), "a log that existed before the last runs was never yielded"
    watermark = 0 if checkpoint.watermark is None else checkpoint.watermark[1]
    up_to_watermark = {
        log["id"] for log in fake.logs if _matches(log, filters) and log["id"] <= watermark
    }
    assert set(yielded) == up_to_watermark


# --- the pure walk, against a list where many logs share one timestamp --------------------------

_T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def _log(log_id: int, second: int) -> ApiLog:
    return ApiLog(
        id=log_id,
        method="GET",
        path="/x",
        status_code=200,
        response_time_ms=1,
        api_key_id=None,
        api_key_name=None,
        ip_address=None,
        user_agent=None,
        created_at=_T0 + datetime.timedelta(seconds=second),
    )


@settings(max_examples=200, deadline=None)
@given(
    seconds=st.lists(st.integers(0, 3), max_size=120),  # few instants: ties everywhere
    arrivals_per_page=st.integers(0, 3),
    runs=st.lists(
        st.tuples(st.integers(4, 25), st.one_of(st.none(), st.integers(0, 60)), st.integers(0, 9)),
        min_size=1,
        max_size=8,
    ),
)
def test_ties_in_created_at_are_ordered_by_id_across_checkpoints(
    seconds: list[int], arrivals_per_page: int, runs: list[tuple[int, int | None, int]]
) -> None:
    # Oldest first, ids in that order; the API lists them by (created_at, id), largest first.
    logs = [_log(i + 1, second) for i, second in enumerate(sorted(seconds))]

    def arrive(count: int) -> None:
        newest = logs[-1].created_at if logs else _T0
        for _ in range(count):  # at the head: the same instant as the newest, a larger id
            logs.append(attrs.evolve(_log(len(logs) + 1, 0), created_at=newest))

    def page(number: int, size: int) -> ApiLogPage:
        ordered = logs[::-1]
        return ApiLogPage(
            logs=ordered[(number - 1) * size : number * size],
            total=len(ordered),
            page=number,
            page_size=size,
        )

    yielded: list[int] = []
    checkpoint = WalkCheckpoint(filters=())
    for page_size, stop_after, arriving in [*runs, (10, None, 0), (10, None, 0)]:
        arrive(arriving)
        existing = {log.id for log in logs}
        walk = resumed_walk(checkpoint, page_size, None)
        taken = 0
        while stop_after is None or taken < stop_after:
            log = walk.pop()
            if log is None:
                if walk.finished:
                    break
                walk.take(page(walk.fetch_page, walk.page_size), fetched_ahead=False)
                arrive(min(arrivals_per_page, page_size // 2))
                continue
            yielded.append(log.id)
            taken += 1
        checkpoint = WalkCheckpoint.from_json(
            checkpoint_of(walk, {}, checkpoint.watermark, **ORIGIN).to_json()
        )
    assert checkpoint.finished
    assert len(yielded) == len(set(yielded))
    assert existing <= set(yielded)
    watermark = 0 if checkpoint.watermark is None else checkpoint.watermark[1]
    assert set(yielded) == {log.id for log in logs if log.id <= watermark}
