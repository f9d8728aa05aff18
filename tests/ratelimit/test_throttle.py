"""The rate-limit throttle: the pure window state with a fake clock, then its waiting."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import math
import threading
import time
from typing import Any

import httpx
import pytest

from meetbot_sdk._ratelimit._throttle import Abandoned, Admit, Refuse, Throttle, Wait, Window
from meetbot_sdk._retry import Budget
from meetbot_sdk.testing import instant_waits

CAP = 60.0


def response(status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers={k.replace("_", "-"): v for k, v in headers.items()})


def answer(
    window: Window,
    admit: Admit,
    now: float,
    budget: Budget | None,
    *,
    status: int = 200,
    wait: float | None = None,
) -> None:
    window.release(admit)
    window.observe(now, response(status), budget, wait)


def admitted(decision: object) -> Admit:
    assert isinstance(decision, Admit), decision
    return decision


def test_a_cold_burst_sends_one_probe_and_holds_the_rest_for_its_answer() -> None:
    window = Window()
    probe = admitted(window.decide(0.0, CAP))
    assert probe.probe
    held = window.decide(0.0, CAP)
    assert isinstance(held, Wait)
    assert math.isinf(held.seconds)
    assert "first response" in held.reason

    answer(window, probe, 0.05, Budget(limit=5, remaining=4, reset_after=1.0))
    sent = [window.decide(0.05, CAP) for _ in range(4)]
    assert all(isinstance(d, Admit) and not d.probe for d in sent)
    fifth = window.decide(0.05, CAP)
    assert isinstance(fifth, Wait)
    assert fifth.seconds == pytest.approx(1.0)
    assert "budget spent" in fifth.reason


def test_requests_in_flight_count_against_the_budget() -> None:
    window = Window()
    answer(window, admitted(window.decide(0, CAP)), 0, Budget(10, remaining=2, reset_after=5))
    first, second = admitted(window.decide(0, CAP)), admitted(window.decide(0, CAP))
    assert isinstance(window.decide(0, CAP), Wait)
    answer(window, first, 0.1, Budget(10, remaining=1, reset_after=4.9))
    # the second request is still out, so the one left in the budget is already taken
    assert isinstance(window.decide(0.1, CAP), Wait)
    answer(window, second, 0.2, Budget(10, remaining=0, reset_after=4.8))
    wait = window.decide(0.2, CAP)
    assert isinstance(wait, Wait)
    assert wait.seconds == pytest.approx(4.8)


def test_after_the_reset_the_budget_is_full_again() -> None:
    window = Window()
    answer(window, admitted(window.decide(0, CAP)), 0, Budget(3, remaining=0, reset_after=1.0))
    assert isinstance(window.decide(0.5, CAP), Wait)
    assert all(isinstance(window.decide(1.0, CAP), Admit) for _ in range(3))
    # with the reset unknown until one of them answers, the fourth waits for an answer
    fourth = window.decide(1.0, CAP)
    assert isinstance(fourth, Wait)
    assert math.isinf(fourth.seconds)


def test_without_a_limit_header_a_new_window_is_probed_first() -> None:
    window = Window()
    answer(window, admitted(window.decide(0, CAP)), 0, Budget(None, remaining=0, reset_after=1))
    probe = admitted(window.decide(1.0, CAP))
    assert probe.probe
    assert isinstance(window.decide(1.0, CAP), Wait)


def test_responses_without_headers_mean_no_known_limit() -> None:
    window = Window()
    answer(window, admitted(window.decide(0, CAP)), 0, None)
    assert all(isinstance(window.decide(0, CAP), Admit) for _ in range(100))
    assert window.in_flight == 100


def test_a_5xx_without_headers_says_nothing_and_the_next_request_probes() -> None:
    window = Window()
    probe = admitted(window.decide(0, CAP))
    answer(window, probe, 0, None, status=502)
    assert admitted(window.decide(0, CAP)).probe


def test_a_probe_that_gets_no_answer_hands_over_to_the_next() -> None:
    window = Window()
    probe = admitted(window.decide(0, CAP))
    window.release(probe)  # a connection error: nothing observed
    assert admitted(window.decide(0, CAP)).probe


def test_a_spent_budget_with_no_reset_and_nothing_in_flight_probes_instead_of_hanging() -> None:
    window = Window()
    answer(window, admitted(window.decide(0, CAP)), 0, Budget(5, remaining=0, reset_after=None))
    assert admitted(window.decide(0, CAP)).probe
    held = window.decide(0, CAP)
    assert isinstance(held, Wait)
    assert math.isinf(held.seconds)


def test_a_429_blocks_everyone_until_its_wait_is_over() -> None:
    window = Window()
    first = admitted(window.decide(0, CAP))
    answer(window, first, 0, None)
    answer(window, admitted(window.decide(0, CAP)), 1.0, None, status=429, wait=2.0)
    assert window.decide(1.5, CAP) == Wait(1.5, "the server asked to wait (Retry-After)")
    assert isinstance(window.decide(3.0, CAP), Admit)


def test_a_shorter_wait_does_not_cut_a_block_short() -> None:
    window = Window()
    window.release(admitted(window.decide(0, CAP)))
    first = response(429)
    window.observe(0, first, None, 5.0)
    window.observe(1, response(503), None, 1.0)  # until 2.0, inside the block until 5.0
    assert (window.blocked_until, window.blocked_by) == (5.0, first)


def test_a_wait_over_the_cap_is_refused_without_sending() -> None:
    window = Window()
    probe = admitted(window.decide(0, CAP))
    window.release(probe)
    refusal = response(429, retry_after="3600")
    window.observe(0, refusal, None, 3600.0)
    decision = window.decide(100.0, CAP)
    assert decision == Refuse(3500.0, refusal)
    # a client with a larger cap waits instead
    assert window.decide(100.0, 4000.0) == Wait(3500.0, "the server asked to wait (Retry-After)")


def test_a_spent_budget_resetting_beyond_the_cap_sends_one_probe_to_ask() -> None:
    window = Window()
    answer(window, admitted(window.decide(0, CAP)), 0, Budget(100, remaining=0, reset_after=3600))
    probe = admitted(window.decide(1, CAP))
    assert probe.probe
    held = window.decide(1, CAP)
    assert isinstance(held, Wait)
    assert math.isinf(held.seconds)


def test_late_answers_from_the_same_window_do_not_raise_the_budget() -> None:
    window = Window()
    answer(window, admitted(window.decide(0, CAP)), 0, Budget(10, remaining=9, reset_after=1.0))
    early, late = admitted(window.decide(0, CAP)), admitted(window.decide(0, CAP))
    answer(window, late, 0.10, Budget(10, remaining=7, reset_after=0.90))
    answer(window, early, 0.11, Budget(10, remaining=8, reset_after=0.89))  # overtaken
    assert window.remaining == 7
    # a response from a later window is believed even though it shows more left
    answer(window, admitted(window.decide(1.2, CAP)), 1.2, Budget(10, remaining=9, reset_after=1))
    assert (window.remaining, window.reset_at) == (9, pytest.approx(2.2))


# --- the shared, locked throttle ------------------------------------------------------------


def test_the_last_budget_seen_is_visible_with_its_reset_time() -> None:
    throttle = Throttle()
    before = datetime.datetime.now(datetime.timezone.utc)
    headers = {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "59", "X-RateLimit-Reset": "30"}
    throttle.release(None, httpx.Response(200, headers=headers))
    seen = throttle.last_seen
    assert seen is not None
    assert (seen.limit, seen.remaining) == (60, 59)
    assert seen.reset is not None
    assert seen.reset.tzinfo is datetime.timezone.utc
    assert 29 <= (seen.reset - before).total_seconds() <= 31

    assert throttle.last_seen is seen  # one object until a response states another budget

    throttle.release(None, httpx.Response(502))  # a proxy's page: nothing learnt
    assert throttle.last_seen is seen
    throttle.release(None, httpx.Response(500))  # nor from any 5xx without the headers
    assert throttle.last_seen is seen
    throttle.release(None, httpx.Response(429))  # a 429 without them: still limited
    assert throttle.last_seen is seen
    throttle.release(None, httpx.Response(200))  # no headers: no known limit
    assert throttle.last_seen is None


@pytest.mark.parametrize("status", [200, 404, 499])
def test_an_answer_below_500_without_rate_headers_means_no_known_limit(status: int) -> None:
    throttle = Throttle()
    throttle.release(None, response(x_ratelimit_limit="60", x_ratelimit_remaining="59"))
    assert throttle.last_seen is not None
    throttle.release(None, httpx.Response(status))
    assert throttle.last_seen is None


def test_a_thread_held_for_the_probe_goes_when_it_answers() -> None:
    throttle = Throttle()
    probe = throttle.acquire(CAP, on_wait=lambda wait: None)
    assert isinstance(probe, Admit)
    waits: list[Wait] = []
    results: list[Admit | Refuse] = []
    thread = threading.Thread(target=lambda: results.append(throttle.acquire(CAP, waits.append)))
    thread.start()
    while not waits:  # the thread is holding (it reports before it sleeps, under the lock)
        time.sleep(0.001)
    throttle.release(probe, httpx.Response(200))
    thread.join(5)
    assert results == [Admit()]
    assert math.isinf(waits[0].seconds)


def test_a_timed_wait_ends_by_itself() -> None:
    throttle = Throttle()
    probe = throttle.acquire(CAP, on_wait=lambda wait: None)
    assert isinstance(probe, Admit)
    throttle.release(probe, response(429, retry_after_ms="10"))
    waits: list[Wait] = []
    assert throttle.acquire(CAP, waits.append) == Admit(probe=True)
    assert [w.seconds for w in waits] == [pytest.approx(0.01, abs=0.005)]


def test_a_thread_held_after_another_waited_goes_when_the_probe_answers() -> None:
    # A thread that slept and woke leaves no trace behind: the next one to sleep is woken
    # by the release as the first would have been.
    throttle = Throttle()
    probe = throttle.acquire(CAP, on_wait=lambda wait: None)
    assert isinstance(probe, Admit)
    throttle.release(probe, response(429, retry_after_ms="10"))
    probe = throttle.acquire(CAP, on_wait=lambda wait: None)  # slept the 10 ms, then asks
    assert probe == Admit(probe=True)
    waits: list[Wait] = []
    results: list[Admit | Refuse] = []
    thread = threading.Thread(
        target=lambda: results.append(throttle.acquire(CAP, waits.append)), daemon=True
    )
    thread.start()
    sleeping = throttle._condition._waiters  # type: ignore[attr-defined]
    for _ in range(5000):  # until it sleeps: a release before that would not need to wake it
        if sleeping:
            break
        time.sleep(0.001)
    throttle.release(probe, httpx.Response(200))
    thread.join(5)
    assert results == [Admit()]
    assert math.isinf(waits[0].seconds)


def test_under_instant_waits_a_thread_held_for_an_answer_skips_no_time() -> None:
    # Waiting for another request's answer is no wait of time: the answer ends it, and the
    # SDK's clock does not move on for it.
    throttle = Throttle()
    probe = throttle.acquire(CAP, on_wait=lambda wait: None)
    assert isinstance(probe, Admit)

    def answered(wait: Wait) -> None:
        throttle.release(probe, httpx.Response(200))

    with instant_waits() as waits:
        assert throttle.acquire(CAP, answered) == Admit()
    assert waits == []


def test_a_long_block_is_refused_at_once() -> None:
    throttle = Throttle()
    probe = throttle.acquire(CAP, on_wait=lambda wait: None)
    assert isinstance(probe, Admit)
    refusal = response(429, retry_after="3600")
    throttle.release(probe, refusal)
    decision = throttle.acquire(CAP, on_wait=lambda wait: None)
    assert isinstance(decision, Refuse)
    assert decision.response is refusal
    assert 3590 < decision.seconds <= 3600


def test_async_waiters_wake_on_release_and_cancellation_leaves_nothing_behind() -> None:
    async def main() -> None:
        throttle = Throttle()
        probe = await throttle.acquire_async(CAP, on_wait=lambda wait: None)
        assert isinstance(probe, Admit)
        held = asyncio.create_task(throttle.acquire_async(CAP, on_wait=lambda wait: None))
        cancelled = asyncio.create_task(throttle.acquire_async(CAP, on_wait=lambda wait: None))
        await asyncio.sleep(0)
        assert len(throttle._waiters) == 2
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        assert len(throttle._waiters) == 1
        throttle.release(probe, response(429, retry_after_ms="5"))
        # the held task now waits out the server's 5 ms, then goes
        assert await asyncio.wait_for(held, 1.0) == Admit(probe=True)
        assert throttle._waiters == set()

    asyncio.run(main())


def spent_for_an_hour(throttle: Throttle) -> None:
    probe = throttle.acquire(CAP, on_wait=lambda wait: None)
    assert isinstance(probe, Admit)
    spent = response(x_ratelimit_limit="5", x_ratelimit_remaining="0", x_ratelimit_reset="3600")
    throttle.release(probe, spent)


def test_outside_instant_waits_a_thread_really_waits_until_stopped() -> None:
    throttle = Throttle()
    spent_for_an_hour(throttle)
    stop, waiting = threading.Event(), threading.Event()
    results: list[object] = []

    def wait_for_the_budget() -> None:
        try:
            results.append(throttle.acquire(7200.0, lambda wait: waiting.set(), stop))
        except Abandoned:
            results.append(Abandoned)

    thread = threading.Thread(target=wait_for_the_budget)
    thread.start()
    assert waiting.wait(5)
    stop.set()
    throttle.wake_all()
    thread.join(5)
    assert results == [Abandoned]  # it was still waiting for the reset an hour away


def in_a_thread(work: Any) -> list[object]:
    """Run ``work`` in a thread for at most 5 s; what it returned or raised (nothing if it
    is still waiting then)."""
    results: list[object] = []

    def run() -> None:
        try:
            results.append(work())
        except Abandoned:
            results.append(Abandoned)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(5)
    return results


def test_a_stop_set_just_before_a_thread_sleeps_is_seen() -> None:
    # The stop and wake_all come after the thread decided to wait, before it sleeps: it
    # must not sleep through them until the reset an hour away.
    throttle = Throttle()
    spent_for_an_hour(throttle)
    stop = threading.Event()

    def stopped(wait: Wait) -> None:
        stop.set()
        throttle.wake_all()

    assert in_a_thread(lambda: throttle.acquire(7200.0, stopped, stop)) == [Abandoned]


def test_a_release_just_before_a_thread_sleeps_cuts_its_wait_short() -> None:
    # The probe answers after the thread decided to wait for it, before it sleeps: no
    # answer slips between deciding and waiting.
    throttle = Throttle()
    probe = throttle.acquire(CAP, on_wait=lambda wait: None)
    assert isinstance(probe, Admit)
    waits: list[Wait] = []

    def answered(wait: Wait) -> None:
        waits.append(wait)
        throttle.release(probe, httpx.Response(200))

    assert in_a_thread(lambda: throttle.acquire(CAP, answered)) == [Admit()]
    assert len(waits) == 1
    assert math.isinf(waits[0].seconds)


def test_a_thread_waiting_for_the_budget_sleeps_rather_than_deciding_again() -> None:
    # Until it is woken or its pause ends, a waiting thread costs no CPU: one decision, then
    # it sleeps on the throttle's condition.
    throttle = Throttle()
    spent_for_an_hour(throttle)
    decisions: list[object] = []
    decide = throttle._decide

    def counting(change: Any) -> Any:
        decisions.append(change)
        return decide(change)

    throttle._decide = counting  # type: ignore[method-assign]
    stop = threading.Event()

    def wait_for_the_budget() -> None:
        with contextlib.suppress(Abandoned):
            throttle.acquire(7200.0, lambda wait: None, stop)

    thread = threading.Thread(target=wait_for_the_budget)
    thread.start()
    sleeping = throttle._condition._waiters  # type: ignore[attr-defined]
    for _ in range(5000):
        if sleeping or len(decisions) > 100:
            break
        time.sleep(0.001)
    decided_before_waking, slept = len(decisions), bool(sleeping)
    stop.set()
    throttle.wake_all()
    thread.join(5)
    assert (decided_before_waking, slept) == (1, True)


def test_outside_instant_waits_a_task_waiting_for_the_reset_goes_on_a_release() -> None:
    async def main() -> None:
        throttle = Throttle()
        spent_for_an_hour(throttle)
        waits: list[Wait] = []
        task = asyncio.create_task(throttle.acquire_async(7200.0, waits.append))
        await asyncio.sleep(0)
        assert [round(w.seconds, -1) for w in waits] == [3600.0]
        # an answer to another client's request: the budget is back
        throttle.release(None, response(x_ratelimit_limit="5", x_ratelimit_remaining="5"))
        assert await asyncio.wait_for(task, 5) == Admit()

    asyncio.run(main())


# --- the window at its bounds: the reset, the cap, 5xx, async waits ------------------------------


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


def test_whole_second_resets_cost_no_extra_second_per_window() -> None:
    # A server keeping fine time opens a window of 1 s with the first request and states
    # its end rounded up to a whole epoch second (X-RateLimit-Reset, as GitHub sends it).
    # Waiting for the stated reset opened every next window just after a whole second,
    # whose end was rounded up again: 2 s for each window of 1 s.
    window, now, latency = Window(), 1_000.3, 0.001
    started, opened, counted, answered, refused = now, -math.inf, 0, 0, 0
    while answered < 80:  # 80 calls one after the other, 10 per second allowed
        decision = window.decide(now, CAP)
        if isinstance(decision, Wait):
            now += decision.seconds
            continue
        admit = admitted(decision)
        arrival = now + latency
        if arrival >= opened + 1.0:
            opened, counted = arrival, 0
        reset_after = math.ceil(opened + 1.0) - (arrival + latency)
        status = 429 if counted >= 10 else 200
        counted += status == 200
        budget = Budget(10, 10 - counted, reset_after, whole_seconds=True)
        now = arrival + latency
        answer(window, admit, now, budget, status=status, wait=reset_after)
        answered += status == 200
        refused += status == 429
    assert refused == 0
    assert now - started <= 1.15 * 8  # the ideal: 8 s for 80 calls at 10 per second


def test_a_429_to_the_first_request_after_a_guessed_end_makes_resets_believed() -> None:
    window = Window()
    probe = admitted(window.decide(0.3, CAP))  # the window opens with it
    answer(window, probe, 0.31, Budget(10, 9, reset_after=1.69, whole_seconds=True))
    # Stated reset 2.0; the window of whole seconds that opened by 0.31 ends by 1.31.
    assert window.reset_at == pytest.approx(1.33)
    assert window.stated_reset == pytest.approx(2.0)
    for left in range(8, -1, -1):
        sent = admitted(window.decide(0.4, CAP))
        answer(window, sent, 0.41, Budget(10, left, 1.59, whole_seconds=True))
    waited = window.decide(0.5, CAP)
    assert isinstance(waited, Wait)
    assert waited.seconds == pytest.approx(0.83)
    # At the likely end one request asks first; the others wait for its answer.
    first = admitted(window.decide(1.33, CAP))
    assert first.probe
    assert isinstance(window.decide(1.33, CAP), Wait)
    # This server does not round up: a 429, and the stated resets are believed from now on.
    answer(window, first, 1.34, Budget(10, 0, 0.66, whole_seconds=True), status=429, wait=1.0)
    assert not window.early_resets
    assert window.reset_at == pytest.approx(2.0)
