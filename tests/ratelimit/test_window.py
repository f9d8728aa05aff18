"""The rate-limit window at its bounds: a later reset, a 5xx's retry wait, a spent budget at the
cap, a new window of unknown size, the reasons a request waits, places given back, leases."""

from __future__ import annotations

import httpx
import pytest

from meetbot_sdk._ratelimit._throttle import Admit, Throttle, Wait, Window
from meetbot_sdk._ratelimit._window import lease_seconds
from meetbot_sdk._retry import Budget

CAP = 60.0


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


def test_a_lease_past_its_deadline_lapses_not_only_one_due_this_instant() -> None:
    window = Window()
    _known(window, 0.0, Budget(limit=5, remaining=5, reset_after=100.0))
    gone = window.decide(0.0, CAP, lease="gone", lease_until=10.0)
    assert isinstance(gone, Admit)
    window.decide(11.0, CAP)  # a second after the deadline: its process is gone
    assert "gone" not in window.leases
    assert window.in_flight == 1


@pytest.mark.parametrize("status", [404, 431, 451, 499])
def test_a_4xx_without_rate_headers_says_no_limit_whatever_its_code_except_429(
    status: int,
) -> None:
    window = Window()
    window.decide(0.0, CAP)
    window.observe(0.0, httpx.Response(status), None, None)
    assert window.unlimited
    window = Window()
    window.decide(0.0, CAP)
    window.observe(0.0, httpx.Response(429), None, None)
    assert not window.known


def test_a_later_server_wait_extends_the_block_and_an_earlier_one_does_not_shorten_it() -> None:
    window = Window()
    _known(window, 0.0, Budget(limit=5, remaining=5, reset_after=100.0))
    window.observe(0.0, httpx.Response(429), None, 5.0)
    window.observe(0.0, httpx.Response(503), None, 10.0)
    window.observe(0.0, httpx.Response(503), None, 2.0)
    held = window.decide(7.0, CAP)
    assert isinstance(held, Wait)
    assert held.seconds == 3.0


def test_a_stated_budget_replaces_the_no_limit_belief_even_within_the_same_window() -> None:
    window = Window()
    _known(window, 0.0, Budget(limit=50, remaining=1, reset_after=60.0))
    window.observe(0.0, httpx.Response(200), None, None)  # a response without rate headers
    assert window.unlimited
    window.observe(0.0, httpx.Response(200), Budget(limit=50, remaining=40, reset_after=60.0), None)
    assert not window.unlimited
    assert window.remaining == 40


def test_a_budget_with_a_reset_is_believed_after_one_without() -> None:
    window = Window()
    _known(window, 0.0, Budget(limit=50, remaining=5, reset_after=None))
    window.observe(0.0, httpx.Response(200), Budget(limit=50, remaining=40, reset_after=60.0), None)
    assert window.remaining == 40
    assert window.reset_at == 60.0


def test_a_5xx_without_budget_headers_keeps_its_place_spent() -> None:
    # A server counts every request it answers, a 503 too, whether or not it says so in
    # headers: the place such an answer held stays spent until a budget says otherwise.
    window = Window()
    _known(window, 0.0, Budget(limit=3, remaining=2, reset_after=1.0))
    first, second = window.decide(0.1, CAP), window.decide(0.1, CAP)
    assert isinstance(first, Admit)
    assert isinstance(second, Admit)
    window.release(first)
    window.observe(0.2, httpx.Response(503), None, None)
    held = window.decide(0.2, CAP)
    assert isinstance(held, Wait), "the 503 was counted: no place is left in this window"
    assert held.seconds == pytest.approx(0.8)


def test_a_late_answer_from_the_window_before_does_not_refill_the_new_one() -> None:
    window = Window()
    _known(window, 0.0, Budget(limit=3, remaining=1, reset_after=1.0))
    straggler = window.decide(0.5, CAP)  # the last place of the first window
    assert isinstance(straggler, Admit)
    assert isinstance(window.decide(0.5, CAP), Wait)
    # At the reset the window is full again: two more go (the straggler is still out).
    decided = [window.decide(1.0, CAP), window.decide(1.0, CAP)]
    new = [each for each in decided if isinstance(each, Admit)]
    assert len(new) == 2
    for left, each in zip([2, 1], new, strict=True):  # answered in the new window
        window.release(each)
        window.observe(1.01, httpx.Response(200), Budget(3, left, 0.99), None)
    # The straggler was counted by the first window; its answer comes only now.
    window.release(straggler)
    window.observe(1.02, httpx.Response(200), Budget(limit=3, remaining=0, reset_after=0.0), None)
    # One place is left in the new window, not a whole new budget of three.
    assert isinstance(window.decide(1.03, CAP), Admit)
    assert isinstance(window.decide(1.03, CAP), Wait)


def test_a_503_read_before_an_earlier_counted_answer_still_counts() -> None:
    window = Window()
    _known(window, 0.0, Budget(limit=4, remaining=3, reset_after=1.0))
    counted_first, counted_second = window.decide(0.1, CAP), window.decide(0.1, CAP)
    assert isinstance(counted_first, Admit)
    assert isinstance(counted_second, Admit)
    # The server counted both (2 left, then 1); the 503 of the second is read first.
    window.release(counted_second)
    window.observe(0.2, httpx.Response(503), None, None)
    window.release(counted_first)
    window.observe(0.21, httpx.Response(200), Budget(limit=4, remaining=2, reset_after=0.8), None)
    assert isinstance(window.decide(0.22, CAP), Admit)  # the one place left
    assert isinstance(window.decide(0.22, CAP), Wait)
