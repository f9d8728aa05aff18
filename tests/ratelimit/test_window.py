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


@pytest.mark.parametrize(
    ("reset_after", "later_window"),
    [(10.4, False), (10.5, False), (10.75, True), (11.0, True)],
)
def test_a_reset_more_than_half_a_second_later_is_a_new_window(
    reset_after: float, later_window: bool
) -> None:
    window = Window()
    _known(window, 0.0, Budget(limit=5, remaining=1, reset_after=10.0))
    # A later answer: fewer left would always be believed; more left only for a later window.
    told = Budget(limit=5, remaining=4, reset_after=reset_after)
    window.observe(0.0, httpx.Response(200), told, None)
    if later_window:
        assert (window.remaining, window.reset_at) == (4, reset_after)
    else:  # within half a second: the same window, answered late
        assert (window.remaining, window.reset_at) == (1, 10.0)


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


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_of_any_code_without_budget_headers_keeps_its_place_spent(status: int) -> None:
    window = Window()
    _known(window, 0.0, Budget(limit=2, remaining=1, reset_after=1.0))
    window.observe(0.25, httpx.Response(status), None, None)
    held = window.decide(0.25, CAP)
    assert isinstance(held, Wait), "the 5xx was counted: no place is left in this window"
    assert held.seconds == 0.75


def test_a_429_without_budget_headers_holds_requests_for_its_wait_but_spends_no_place() -> None:
    window = Window()
    _known(window, 0.0, Budget(limit=3, remaining=2, reset_after=10.0))
    window.observe(0.0, httpx.Response(429), None, 1.0)
    held = window.decide(0.5, CAP)
    assert isinstance(held, Wait)
    assert held.seconds == 0.5
    # The refused request was not counted: both places are still there after the wait.
    assert [type(window.decide(1.0, CAP)) for _ in range(3)] == [Admit, Admit, Wait]


def _places(window: Window, now: float) -> int:
    """How many requests go at ``now`` before one has to wait."""
    for sent in range(100):
        if not isinstance(window.decide(now, CAP), Admit):
            return sent
    raise AssertionError("no limit held the requests back")


@pytest.mark.parametrize(
    ("stated_reset", "places"),
    [
        (1.5, 1),  # half a second after the known reset: the same window, the 503 still counts
        (2.0, 2),  # a later window: its count is all there is
    ],
)
def test_a_5xx_counts_until_a_later_window_states_its_own_count(
    stated_reset: float, places: int
) -> None:
    window = Window()
    _known(window, 0.0, Budget(limit=4, remaining=3, reset_after=1.0))
    window.observe(0.25, httpx.Response(503), None, None)
    told = Budget(limit=4, remaining=2, reset_after=stated_reset - 0.25)
    window.observe(0.25, httpx.Response(200), told, None)
    assert _places(window, 0.25) == places


@pytest.mark.parametrize(
    ("opened", "reset", "stated", "from_old_window"),
    [
        # A window of 1 s: an answer stated up to half a second past its reset is from it.
        (0.0, 1.0, 1.5, True),
        # A window of 0.5 s: up to half its length past the reset, a quarter of a second.
        (10.0, 10.5, 10.75, True),
        (10.0, 10.5, 10.875, False),
    ],
)
def test_an_answer_is_taken_for_the_window_before_within_half_its_length_of_the_reset(
    opened: float, reset: float, stated: float, from_old_window: bool
) -> None:
    window = Window()
    _known(window, opened, Budget(limit=3, remaining=2, reset_after=reset - opened))
    rolled = window.decide(reset, CAP)  # the window rolled over: full again
    assert isinstance(rolled, Admit)
    window.release(rolled)
    answered = reset + 0.125
    window.observe(answered, httpx.Response(200), Budget(3, 0, stated - answered), None)
    decision = window.decide(answered, CAP)
    if from_old_window:  # its "none left" is the old window's: the new one still has places
        assert isinstance(decision, Admit)
    else:  # the new window is spent until the reset this answer states
        assert isinstance(decision, Wait)
        assert decision.seconds == stated - answered


def _whole_second_probe(window: Window, opened: float, answered: float, told: Budget) -> None:
    """The window's first request goes at ``opened``; its answer states ``told``."""
    probe = window.decide(opened, CAP)
    assert isinstance(probe, Admit)
    assert probe.probe
    window.release(probe)
    window.observe(answered, httpx.Response(200), told, None)


@pytest.mark.parametrize(
    ("opened", "answered", "reset", "ends", "asks_first"),
    [
        # Sent and answered within one whole second: the window of 1 s it opened ends by
        # the answer plus a second (and the margin), well before the rounded-up reset.
        (0.25, 0.375, 2.0, 1.395, True),
        # Opened less than a second before the stated reset: no reading, the reset as stated.
        (1.5, 1.75, 2.0, 2.0, False),
        # A whole second passed on the way: the longer length, which the reset caps.
        (0.75, 1.25, 3.0, 3.0, False),
    ],
)
def test_a_whole_second_reset_is_read_as_the_likely_end_of_the_window(
    opened: float, answered: float, reset: float, ends: float, asks_first: bool
) -> None:
    window = Window()
    told = Budget(limit=10, remaining=0, reset_after=reset - answered, whole_seconds=True)
    _whole_second_probe(window, opened, answered, told)
    held = window.decide(answered, CAP)
    assert isinstance(held, Wait)
    assert held.seconds == pytest.approx(ends - answered)
    # After a guessed end one request asks first and the others wait for its answer; after
    # a reset as stated the whole budget goes at once.
    first = window.decide(ends + 0.001, CAP)
    assert isinstance(first, Admit)
    assert first.probe is asks_first
    assert isinstance(window.decide(ends + 0.001, CAP), Wait if asks_first else Admit)


def test_the_length_of_an_earlier_window_reads_the_end_of_a_slow_answers_window() -> None:
    window = Window()
    # Sent at 0.75, answered at 1.5, reset 2.0: the window is at most 1.25 s, so 1 s.
    told = Budget(limit=10, remaining=9, reset_after=0.5, whole_seconds=True)
    _whole_second_probe(window, 0.75, 1.5, told)
    sent = window.decide(2.0, CAP)  # the stated reset: the next window opens with it
    assert isinstance(sent, Admit)
    window.release(sent)
    # Answered 1.5 s later, reset 5.0: 1, 2 or 3 s would fit; the learnt 1 s ends it by 4.5.
    spent = Budget(limit=10, remaining=0, reset_after=1.5, whole_seconds=True)
    window.observe(3.5, httpx.Response(200), spent, None)
    held = window.decide(3.5, CAP)
    assert isinstance(held, Wait)
    assert held.seconds == pytest.approx(1.02)


def _guessed_end(window: Window) -> Admit:
    """A window of 1 s opened at 0.25 stated to reset at 2.0, read as ending by 1.395; the
    first request after that end (it checks the guess)."""
    told = Budget(limit=10, remaining=9, reset_after=1.625, whole_seconds=True)
    _whole_second_probe(window, 0.25, 0.375, told)
    assert window.reset_at == pytest.approx(1.395)
    first = window.decide(1.4, CAP)
    assert isinstance(first, Admit)
    assert first.probe
    return first


@pytest.mark.parametrize(
    ("status", "checked"),
    [(200, True), (404, True), (499, True), (500, False), (502, False)],
)
def test_only_a_429_to_the_request_checking_a_guessed_end_makes_resets_believed(
    status: int, checked: bool
) -> None:
    window = Window()
    first = _guessed_end(window)
    window.release(first)
    if checked:  # answered: the window had ended when guessed
        told = Budget(limit=10, remaining=9, reset_after=1.5, whole_seconds=True)
        window.observe(1.5, httpx.Response(status), told, None)
    else:  # a proxy's 5xx page tells nothing: the next request checks again
        window.observe(1.5, httpx.Response(status), None, None)
    sent = window.decide(1.5, CAP)
    assert isinstance(sent, Admit)
    assert sent.probe is not checked
    window.release(sent)
    refused = Budget(limit=10, remaining=0, reset_after=1.375, whole_seconds=True)
    window.observe(1.625, httpx.Response(429), refused, 1.375)
    # A 429 after the check only says the window is spent; a 429 to the check, that the
    # end was guessed too early: this server's resets are believed as stated from then on.
    assert window.early_resets is checked
    assert window.reset_at == (pytest.approx(2.52) if checked else 3.0)


def test_a_429_to_a_windows_first_request_leaves_whole_second_resets_read_early() -> None:
    window = Window()
    probe = window.decide(0.25, CAP)
    assert isinstance(probe, Admit)
    window.release(probe)
    refused = Budget(limit=10, remaining=0, reset_after=1.625, whole_seconds=True)
    window.observe(0.375, httpx.Response(429), refused, 1.625)
    assert window.early_resets  # no end was guessed: nothing tells this server does not round
    assert window.reset_at == pytest.approx(1.395)


def test_a_late_answer_from_a_window_whose_end_was_guessed_does_not_refill_the_next() -> None:
    window = Window()
    told = Budget(limit=10, remaining=9, reset_after=1.625, whole_seconds=True)
    _whole_second_probe(window, 0.25, 0.375, told)
    straggler = window.decide(0.5, CAP)  # counted by the first window, answered late
    assert isinstance(straggler, Admit)
    first = window.decide(1.4, CAP)  # after the guessed end (1.395): it checks the guess
    assert isinstance(first, Admit)
    assert first.probe
    window.release(first)
    told = Budget(limit=10, remaining=9, reset_after=1.5, whole_seconds=True)
    window.observe(1.5, httpx.Response(200), told, None)
    # The straggler's answer states the first window's reset (2.0), not the guessed end.
    window.release(straggler)
    late = Budget(limit=10, remaining=0, reset_after=0.375, whole_seconds=True)
    window.observe(1.625, httpx.Response(200), late, None)
    assert _places(window, 1.625) == 9
