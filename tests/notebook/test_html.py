"""``_repr_html_``: what Jupyter shows for models, pages and pagers, every value escaped."""

from __future__ import annotations

import html.parser
from typing import Any

import attrs
import pytest

from meetbot_sdk import Analytics, ApiKeyUsage, ApiLog, ApiLogPage, RecentRequest
from meetbot_sdk.testing import FakeMeetBot
from tests.support.frames import call, fetched, parse_time

EVIL = '<script>alert("x")</script>'


class Cells(html.parser.HTMLParser):
    """The text of every table cell, and every tag seen."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.cells: list[str] = []
        self.tags: list[str] = []
        self._in_cell = False
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)
        if tag in ("td", "th"):
            self._in_cell = True
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._in_cell = False

    def handle_data(self, data: str) -> None:
        if self._in_cell:
            self.cells[-1] += data


def evil_log() -> ApiLog:
    return ApiLog(
        id=1,
        method="GET",
        path=EVIL,
        status_code=200,
        response_time_ms=3,
        api_key_id=None,
        api_key_name="<b>key</b> & co",
        ip_address=None,
        user_agent=EVIL,
        created_at=parse_time("2026-01-15T10:30:00Z"),
    )


def test_every_value_is_escaped() -> None:
    log = evil_log()
    page = ApiLogPage(logs=[log], total=1, page=1, page_size=20)
    usage = ApiKeyUsage(
        requests_today=1,
        requests_this_month=1,
        requests_total=1,
        recent_requests=[
            RecentRequest(method="GET", path=EVIL, status_code=200, created_at=log.created_at)
        ],
    )
    for markup in (log._repr_html_(), page._repr_html_(), usage._repr_html_()):
        parsed = Cells(markup)
        assert "script" not in parsed.tags
        assert "b" not in parsed.tags
        assert EVIL in parsed.cells  # shown as text, exactly
    assert "<b>key</b> & co" in Cells(log._repr_html_()).cells


def test_a_log_shows_every_field_time_first_with_missing_values_as_a_dash() -> None:
    cells = Cells(evil_log()._repr_html_()).cells
    pairs = dict(zip(cells[2::2], cells[3::2], strict=True))
    assert next(iter(pairs)) == "created_at"
    assert sorted(pairs) == sorted(field.name for field in attrs.fields(ApiLog))
    assert pairs["api_key_id"] == pairs["ip_address"] == "\N{EM DASH}"
    assert pairs["created_at"] == "2026-01-15T10:30:00.000Z"


def big_log(**changes: Any) -> ApiLog:
    return attrs.evolve(
        evil_log(),
        id=4925,
        api_key_id=12345,
        path="/api/v1/bots/bot_6544c97de0789f97/recording",
        **changes,
    )


def test_log_tables_put_the_time_first_and_ids_as_plain_integers() -> None:
    log = big_log(response_time_ms=1234)
    page = ApiLogPage(logs=[log], total=4925, page=1, page_size=20)
    header, row = Cells(page._repr_html_()).cells[:10], Cells(page._repr_html_()).cells[10:]
    assert header[0] == "created_at"
    shown = dict(zip(header, row, strict=True))
    assert (shown["id"], shown["api_key_id"], shown["status_code"]) == ("4925", "12345", "200")
    assert shown["response_time_ms"] == "1,234"  # a quantity keeps its separators
    assert "logs 1\N{EN DASH}1 of 4,925" in page._repr_html_()


def test_every_time_shows_to_the_millisecond_in_utc() -> None:
    # One format beside another: 11:10:45.353000Z next to 10:16:25Z was the old mix.
    micros = big_log(created_at=parse_time("2026-01-15T11:10:45.353000Z"))
    whole = big_log(created_at=parse_time("2026-01-15T12:16:25+02:00"))
    page = ApiLogPage(logs=[micros, whole], total=2, page=1, page_size=20)
    cells = Cells(page._repr_html_()).cells
    assert "2026-01-15T11:10:45.353Z" in cells
    assert "2026-01-15T10:16:25.000Z" in cells
    recent = RecentRequest(method="GET", path="/x", status_code=200, created_at=whole.created_at)
    usage = ApiKeyUsage(
        requests_today=0, requests_this_month=0, requests_total=0, recent_requests=[recent]
    )
    cells = Cells(usage._repr_html_()).cells
    assert cells[cells.index("created_at") : cells.index("created_at") + 5] == [
        "created_at",  # the recent requests' header, the time first
        "method",
        "status_code",
        "path",
        "2026-01-15T10:16:25.000Z",
    ]


def test_long_text_wraps_in_its_cell_and_the_time_does_not() -> None:
    markup = ApiLogPage(logs=[big_log()], total=1, page=1, page_size=20)._repr_html_()
    wrapped = '<td style="white-space:normal;overflow-wrap:anywhere;min-width:10em">'
    assert f"{wrapped}/api/v1/bots/bot_6544c97de0789f97/recording</td>" in markup
    assert markup.count("overflow-wrap:anywhere") == 2  # the path and the user agent
    assert '<td style="white-space:nowrap">2026-01-15T10:30:00.000Z</td>' in markup


@pytest.mark.parametrize("link", ["in-process", "loopback"])
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_analytics_a_page_and_a_usage_from_either_client(kind: str, link: str) -> None:
    analytics, page, usage = fetched(kind, link, FakeMeetBot(log_count=2_000))
    check_analytics(analytics)

    markup = page._repr_html_()
    assert "Page 1 (page_size 100): logs 1\N{EN DASH}100 of 2,000" in markup
    assert markup.count("<tr>") == 101  # the header and a row per log
    assert f"<td>{page.logs[0].id}</td>" in markup

    cells = Cells(usage._repr_html_()).cells
    assert f"{usage.requests_total:,}" in cells
    assert f"Recent requests ({len(usage.recent_requests)})" in usage._repr_html_()
    assert cells.count("GET") == sum(r.method == "GET" for r in usage.recent_requests)


def check_analytics(analytics: Analytics) -> None:
    markup = analytics._repr_html_()
    cells = Cells(markup).cells
    assert cells[cells.index("API calls, all time") + 1] == f"{analytics.api_calls.total:,}"
    assert cells[cells.index("Bots created, last 90 days") + 1] == f"{analytics.bots.created:,}"
    assert cells[cells.index("Bots active now") + 1] == str(analytics.bots.active)
    for platform, count in analytics.bots.platform_breakdown.items():
        assert cells[cells.index(platform) + 1] == f"{count:,}"
    for status in analytics.bots.status_breakdown:
        assert status in cells
    row = cells.index("API calls", cells.index("peak"))
    days = analytics.api_calls.daily_breakdown
    assert cells[row + 1 : row + 5] == [
        "90",
        str(days[0].date),
        str(days[-1].date),
        f"{sum(d.count for d in days):,}",
    ]
    assert len(markup) < 6_000  # a dashboard, not a dump of the series


def test_an_empty_page_and_empty_series_say_so() -> None:
    page = ApiLogPage(logs=[], total=0, page=3, page_size=20)
    assert "Page 3 (page_size 20): no logs (of 0)" in page._repr_html_()
    empty = Analytics.from_dict(
        {
            "apiCalls": {"today": 0, "thisMonth": 0, "total": 0, "dailyBreakdown": []},
            "bots": {
                "created": 0,
                "active": 0,
                "platformBreakdown": {},
                "statusBreakdown": {},
                "dailyCreated": [],
            },
            "recordings": {"total": 0, "totalDurationSeconds": 0, "storageUsedMb": 0.0},
            "transcriptions": {"total": 0, "totalMinutes": 0.0},
            "webhooks": {"totalDeliveries": 0, "successRate": 0.0, "avgResponseTimeMs": 0.0},
        }
    )
    cells = Cells(empty._repr_html_()).cells
    row = cells.index("API calls", cells.index("peak"))
    assert cells[row + 1 : row + 6] == ["0", "\N{EM DASH}", "\N{EM DASH}", "0", "\N{EM DASH}"]


def pager_state(markup: str) -> dict[str, str]:
    cells = Cells(markup).cells[2:]
    return dict(zip(cells[::2], cells[1::2], strict=True))


@pytest.mark.parametrize("link", ["in-process", "loopback"])
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_pager_shows_where_its_walk_stands(kind: str, link: str) -> None:
    fake = FakeMeetBot(log_count=250)
    seen: list[dict[str, str]] = []

    async def walk_async(client: Any) -> None:
        pager = client.api_logs.list(page_size=100)
        seen.append(pager_state(pager._repr_html_()))
        async for log in pager:
            if log.id == fake.logs[119]["id"]:
                break
        seen.append(pager_state(pager._repr_html_()))
        [log async for log in pager]
        seen.append(pager_state(pager._repr_html_()))

    def walk(client: Any) -> Any:
        if kind == "async":
            return walk_async(client)
        pager = client.api_logs.list(page_size=100)
        seen.append(pager_state(pager._repr_html_()))
        for log in pager:
            if log.id == fake.logs[119]["id"]:
                break
        seen.append(pager_state(pager._repr_html_()))
        list(pager)
        seen.append(pager_state(pager._repr_html_()))
        return None

    call(fake, kind, link, walk)
    assert seen == [
        {
            "state": "not started",
            "logs yielded": "0",
            "total (last page)": "\N{EM DASH}",
            "next page": "1",
        },
        {"state": "walking", "logs yielded": "120", "total (last page)": "250", "next page": "2"},
        {"state": "done", "logs yielded": "250", "total (last page)": "250", "next page": "4"},
    ]
