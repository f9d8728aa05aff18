"""Rate-limit edges no other test pinned down (issue 16): the throttle's window at its bounds
and the rate headers. Each test here failed for a change the rest of the suite let through."""

from __future__ import annotations

import asyncio
import datetime
import math
import time

import httpx
import pytest

from meetbot_sdk._ratelimit._throttle import Admit, Refuse, Throttle, Wait, Window
from meetbot_sdk._ratelimit._window import lease_seconds
from meetbot_sdk._retry import Budget, parse_budget, retry_after_seconds
from tests.test_edges import CAP, UTC

# --- throttle edges ------------------------------------------------------------------------------


def test_a_budget_without_reset_then_one_with_it_waits_for_that_reset() -> None:
    window = Window()
    probe = window.decide(0.0, CAP)
    assert isinstance(probe, Admit)
    window.release(probe)
    window.observe(0.0, httpx.Response(200), Budget(limit=2, remaining=1, reset_after=None), None)
    sent = window.decide(0.0, CAP)
    assert isinstance(sent, Admit)
    window.release(sent)
    window.observe(1.0, httpx.Response(200), Budget(limit=2, remaining=0, reset_after=5.0), None)
    held = window.decide(1.0, CAP)
    assert isinstance(held, Wait)
    assert held.seconds == pytest.approx(5.0)
    assert isinstance(window.decide(6.0, CAP), Admit)  # the reset came: full again


def test_a_retry_after_of_exactly_the_cap_is_waited_not_refused() -> None:
    window = Window()
    probe = window.decide(0.0, CAP)
    assert isinstance(probe, Admit)
    window.release(probe)
    window.observe(0.0, httpx.Response(429), None, CAP)
    held = window.decide(0.0, CAP)
    assert isinstance(held, Wait)
    assert held.seconds == CAP
    assert isinstance(window.decide(0.0, CAP - 0.001), Refuse)


@pytest.mark.parametrize("status", [500, 503])
def test_a_5xx_without_rate_headers_tells_no_limit(status: int) -> None:
    window = Window()
    probe = window.decide(0.0, CAP)
    assert isinstance(probe, Admit)
    window.release(probe)
    window.observe(0.0, httpx.Response(status), None, None)
    assert not window.known
    again = window.decide(0.0, CAP)
    assert isinstance(again, Admit)
    assert again.probe  # still asking what the budget is


def test_the_async_path_reports_its_waits() -> None:
    async def main() -> list[Wait]:
        throttle = Throttle()
        probe = await throttle.acquire_async(CAP, on_wait=lambda wait: None)
        assert isinstance(probe, Admit)
        waits: list[Wait] = []
        told = asyncio.Event()

        def on_wait(wait: Wait) -> None:
            waits.append(wait)
            told.set()

        held = asyncio.create_task(throttle.acquire_async(CAP, on_wait))
        await told.wait()
        throttle.release(probe, httpx.Response(200))
        assert await held == Admit()
        return waits

    waits = asyncio.run(main())
    assert len(waits) == 1
    assert math.isinf(waits[0].seconds)
    assert "first response" in waits[0].reason


# --- the window at its bounds --------------------------------------------------------------------


def _known(window: Window, now: float, budget: Budget, status: int = 200) -> None:
    """Send one request at ``now`` and let its answer state ``budget``."""
    sent = window.decide(now, CAP)
    assert isinstance(sent, Admit), sent
    window.release(sent)
    window.observe(now, httpx.Response(status), budget, None)


def test_a_reset_a_second_later_is_a_new_window() -> None:
    window = Window()
    _known(window, 0.0, Budget(limit=5, remaining=1, reset_after=10.0))
    # A later answer: fewer left would always be believed; more left only for a later window.
    window.observe(0.0, httpx.Response(200), Budget(limit=5, remaining=4, reset_after=10.4), None)
    assert window.remaining == 1  # within half a second: the same window, answered late
    window.observe(0.0, httpx.Response(200), Budget(limit=5, remaining=4, reset_after=11.0), None)
    assert window.remaining == 4
    assert window.reset_at == 11.0


def test_a_504_with_retry_after_holds_back_only_its_own_retry() -> None:
    window = Window()
    _known(window, 0.0, Budget(limit=5, remaining=4, reset_after=10.0))
    window.observe(0.0, httpx.Response(504), None, 30.0)
    assert isinstance(window.decide(0.0, CAP), Admit)
    window.observe(0.0, httpx.Response(503), None, 30.0)
    held = window.decide(0.0, CAP)
    assert isinstance(held, Wait)
    assert held.seconds == 30.0


def test_a_spent_budget_resetting_exactly_at_the_cap_is_waited_for() -> None:
    window = Window()
    _known(window, 0.0, Budget(limit=5, remaining=0, reset_after=CAP))
    held = window.decide(0.0, CAP)
    assert isinstance(held, Wait)
    assert held.seconds == CAP
    assert held.reason == "rate-limit budget spent (limit 5); waiting for the reset"
    beyond = window.decide(0.0, CAP - 1)
    assert isinstance(beyond, Admit)
    assert beyond.probe


def test_a_new_window_of_unknown_size_is_probed_while_old_requests_are_out() -> None:
    window = Window()
    _known(window, 0.0, Budget(limit=None, remaining=3, reset_after=1.0))
    old = window.decide(0.5, CAP)
    assert isinstance(old, Admit)
    probe = window.decide(1.0, CAP)  # the reset passed: how big is the new window?
    assert isinstance(probe, Admit)
    assert probe.probe
    window.release(old)  # the old request failed: nothing learnt, the probe is still out
    held = window.decide(1.0, CAP)
    assert isinstance(held, Wait)
    assert held.reason == "waiting for the first response to tell the rate-limit budget"


def test_the_reasons_a_request_waits_are_worded() -> None:
    window = Window()
    window.decide(0.0, CAP)
    cold = window.decide(0.0, CAP)
    assert isinstance(cold, Wait)
    assert cold.reason == "waiting for the first response to tell the rate-limit budget"

    window = Window()
    _known(window, 0.0, Budget(limit=None, remaining=0, reset_after=100.0))
    window.decide(0.0, CAP)  # the probe that asks about the far reset, still out at the reset
    fresh = window.decide(101.0, CAP)
    assert isinstance(fresh, Wait)
    assert fresh.reason == "waiting for the first response of the new window"

    window = Window()
    _known(window, 0.0, Budget(limit=2, remaining=1, reset_after=None))
    window.decide(0.0, CAP)
    spent = window.decide(0.0, CAP)
    assert isinstance(spent, Wait)
    assert spent.reason == "rate-limit budget spent; waiting for a response to tell the reset"

    window = Window()
    _known(window, 0.0, Budget(limit=2, remaining=1, reset_after=600.0))
    window.decide(0.0, CAP)
    window.decide(0.0, CAP)  # the probe that asks the server about the far reset
    asking = window.decide(0.0, CAP)
    assert isinstance(asking, Wait)
    assert asking.reason == "rate-limit budget spent; a probe asks the server"


def test_released_requests_give_their_place_back() -> None:
    def never(wait: Wait) -> None:
        raise AssertionError(f"held: {wait.reason}")

    throttle = Throttle()
    headers = {"X-RateLimit-Limit": "1", "X-RateLimit-Remaining": "1"}
    for _ in range(3):  # one place, used one request after the other
        admit = throttle.acquire(CAP, never)
        assert isinstance(admit, Admit)
        throttle.release(admit, httpx.Response(200, headers=headers))


@pytest.mark.parametrize(("read", "expected"), [(5.0, 11.0), (None, 36.0), (7200.0, 3600.0)])
def test_a_lost_request_counts_against_a_shared_budget_for_at_most_an_hour(
    read: float | None, expected: float
) -> None:
    assert lease_seconds(httpx.Timeout(5.0, read=read)) == expected


# --- rate headers at their bounds --------------------------------------------------------------


def test_an_http_date_without_zone_is_gmt_in_any_local_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        now = datetime.datetime(2015, 10, 21, 7, 27, 50, tzinfo=UTC).timestamp()
        for date in ("Wed, 21 Oct 2015 07:28:00 -0000", "Wed, 21 Oct 2015 07:28:00 GMT"):
            assert retry_after_seconds({"retry-after": date}, now=now) == 10.0
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize(
    ("reset", "expected"),
    [("1000000000", 5.0), ("999999999", 999_999_999.0)],
    ids=["epoch", "seconds"],
)
def test_an_x_ratelimit_reset_from_2001_on_is_an_epoch(reset: str, expected: float) -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
    budget = parse_budget(headers, now=1_000_000_000 - 5)
    assert budget is not None
    assert budget.reset_after == expected


def test_an_ietf_ratelimit_reset_is_always_seconds_from_now() -> None:
    headers = {"ratelimit-remaining": "0", "ratelimit-reset": "1700000000"}
    budget = parse_budget(headers, now=1_700_000_000 - 5)
    assert budget is not None
    assert budget.reset_after == 1_700_000_000.0


def test_ietf_parameters_after_a_semicolon_are_ignored() -> None:
    headers = {"ratelimit-limit": "100;w=60", "ratelimit-remaining": "7;w=60"}
    assert parse_budget(headers) == Budget(limit=100, remaining=7, reset_after=None)
