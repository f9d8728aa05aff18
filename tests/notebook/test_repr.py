"""Compact ``repr()``: long lists summarised, single models whole, equality as before."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from meetbot_sdk import (
    Analytics,
    ApiKeyUsage,
    ApiLog,
    ApiLogPage,
    DailyCount,
    RecentRequest,
)
from meetbot_sdk import _models as models_module
from meetbot_sdk.testing import FakeMeetBot
from tests.support.frames import fetched, parse_time


@pytest.mark.parametrize("link", ["in-process", "loopback"])
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_long_payloads_print_short(kind: str, link: str) -> None:
    analytics, page, usage = fetched(kind, link, FakeMeetBot(log_count=2_000))
    assert len(analytics.api_calls.daily_breakdown) == 90
    assert len(page.logs) == 100
    assert len(repr(page)) < 1_000
    assert len(repr(analytics)) < 1_500
    newest, oldest = page.logs[0], page.logs[-1]
    assert repr(page) == (
        f"ApiLogPage(logs=[<100 ApiLog, id {newest.id}..{oldest.id}, created_at"
        f" {_iso(newest.created_at)!r}..{_iso(oldest.created_at)!r}>],"
        " total=2000, page=1, page_size=100)"
    )
    days = analytics.api_calls.daily_breakdown
    summary = (
        f"daily_breakdown=[<90 DailyCount, date '{days[0].date}'..'{days[-1].date}',"
        f" count sum {sum(d.count for d in days)}>]"
    )
    assert summary in repr(analytics)
    # Small dicts and scalars are shown whole.
    assert repr(analytics.bots.platform_breakdown) in repr(analytics)
    assert f"storage_used_mb={analytics.recordings.storage_used_mb!r}" in repr(analytics)
    assert f"requests_total={usage.requests_total}" in repr(usage)


def _iso(moment: Any) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_a_single_log_shows_every_field() -> None:
    log = ApiLog(
        id=7,
        method="GET",
        path="/api/v1/bots",
        status_code=200,
        response_time_ms=12,
        api_key_id=None,
        api_key_name=None,
        ip_address="192.0.2.1",
        user_agent="curl/8.5.0",
        created_at=parse_time("2026-01-15T10:30:00.250000Z"),
    )
    assert repr(log) == (
        "ApiLog(id=7, method='GET', path='/api/v1/bots', status_code=200, response_time_ms=12,"
        " api_key_id=None, api_key_name=None, ip_address='192.0.2.1', user_agent='curl/8.5.0',"
        " created_at='2026-01-15T10:30:00.250000Z')"
    )


def test_lists_of_a_handful_show_every_item_and_longer_ones_a_summary() -> None:
    days = [
        DailyCount(date=parse_time(f"2026-01-0{n}T00:00:00Z").date(), count=n) for n in range(1, 7)
    ]
    empty = repr(ApiLogPage(logs=[], total=0, page=1, page_size=20))
    assert empty == "ApiLogPage(logs=[], total=0, page=1, page_size=20)"
    stats = models_module.ApiCallStats(today=0, this_month=0, total=0, daily_breakdown=days[:5])
    assert repr(stats).count("DailyCount(date=") == 5
    stats = attrs.evolve(stats, daily_breakdown=days)
    assert "<6 DailyCount, date '2026-01-01'..'2026-01-06', count sum 21>" in repr(stats)
    requests = [
        RecentRequest(
            method="GET", path="/", status_code=200, created_at=parse_time(f"2026-01-0{n}Z")
        )
        for n in range(9, 0, -1)
    ]
    usage = ApiKeyUsage(
        requests_today=1, requests_this_month=2, requests_total=3, recent_requests=requests
    )
    assert repr(usage) == (
        "ApiKeyUsage(requests_today=1, requests_this_month=2, requests_total=3, recent_requests="
        "[<9 RecentRequest, created_at '2026-01-09T00:00:00Z'..'2026-01-01T00:00:00Z'>])"
    )


def test_equality_hashing_and_to_dict_see_every_value() -> None:
    fake = FakeMeetBot(log_count=300)
    _, page, _ = fetched("sync", "in-process", fake)
    changed = attrs.evolve(
        page, logs=[*page.logs[:50], attrs.evolve(page.logs[50], id=-1), *page.logs[51:]]
    )
    assert repr(changed) == repr(page)  # the summary shows the ends of the list only
    assert changed != page
    assert page == ApiLogPage.from_dict(page.to_dict())
    assert len(page.to_dict()["logs"]) == 100
    log = page.logs[0]
    assert hash(log) == hash(attrs.evolve(log))
    assert {log, attrs.evolve(log)} == {log}


def test_the_models_keep_attrs_slots_and_no_per_instance_state() -> None:
    for model in (Analytics, ApiLog, ApiLogPage, ApiKeyUsage, DailyCount, RecentRequest):
        assert "__dict__" not in dir(model.__new__(model)), model  # still slotted: no extra state
        assert model.__repr__ is models_module._Model.__repr__
