"""What a page walk is tested against, in-process: logs arriving, latency, random faults."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from meetbot_sdk import MeetBot
from meetbot_sdk._ratelimit._throttle import Admit, Throttle, Wait
from meetbot_sdk._retry import rate_headers, server_wait
from meetbot_sdk.testing import FakeMeetBot, Fault
from meetbot_sdk.testing._conditions import DEFAULT_RANDOM_FAULTS
from tests.testing.conftest import Rendezvous, SleepGate
from tests.testing.raw_http import NOW, async_raw_client, raw_client

ANALYTICS = "/users/me/analytics"
LOGS = "/users/me/api-logs"
USAGE = "/api-keys/1/usage"


def outcome(client: httpx.Client, path: str, **params: Any) -> int | str:
    """The status of a GET, or ``"dropped"`` when the connection was dropped."""
    try:
        return client.get(path, params=params).status_code
    except httpx.RemoteProtocolError:
        return "dropped"


def outcomes(fake: FakeMeetBot, count: int, path: str = ANALYTICS) -> list[int | str]:
    with raw_client(fake) as client:
        return [outcome(client, path) for _ in range(count)]


# Logs arriving after each page


def test_logs_arrive_after_each_page_and_the_next_page_sees_them(
    fake: FakeMeetBot, client: httpx.Client
) -> None:
    before = list(fake.logs)
    fake.add_logs_after_each_page(3)

    first = client.get(LOGS, params={"page_size": 10}).json()
    second = client.get(LOGS, params={"page": 2, "page_size": 10}).json()

    assert (first["total"], second["total"]) == (600, 603)
    assert first["logs"] == before[:10]
    assert second["logs"] == before[7:17]  # shifted by the three that arrived in between
    assert [log["id"] for log in fake.logs[:6]] == [606, 605, 604, 603, 602, 601]
    assert len(fake.requests) == 2


def test_arrivals_are_the_logs_add_logs_would_add() -> None:
    walked = FakeMeetBot(seed=5, log_count=40, now=NOW)
    added = FakeMeetBot(seed=5, log_count=40, now=NOW)
    walked.add_logs_after_each_page(4)

    with raw_client(walked) as client:
        client.get(LOGS)
    added.add_logs(4)

    assert list(walked.logs) == list(added.logs)


def test_the_sdk_client_sees_arrivals_between_pages(fake: FakeMeetBot) -> None:
    before = list(fake.logs)
    fake.add_logs_after_each_page(5)

    with httpx.Client(transport=fake.transport("httpx")) as http:
        client = MeetBot(api_key=fake.api_key, http_client=http)
        first = client.api_logs.get_page(page_size=20)
        second = client.api_logs.get_page(page=2, page_size=20)

    assert [log.id for log in first.logs] == [log["id"] for log in before[:20]]
    assert [log.id for log in second.logs] == [log["id"] for log in before[15:35]]
    assert second.total == 605


@pytest.mark.parametrize(
    ("fault", "path", "params"),
    [
        (None, ANALYTICS, {}),
        (None, USAGE, {}),
        (None, LOGS, {"page_size": 0}),  # 422: the routes answered, but not with a page
        (Fault.status(200), LOGS, {}),  # a 2xx, but scripted
        (Fault.status(503), LOGS, {}),
        (Fault.malformed_body(), LOGS, {}),
        (Fault.drop_connection(), LOGS, {}),
    ],
    ids=["analytics", "key-usage", "invalid-query", "status-200", "status-503", "html", "drop"],
)
def test_only_pages_answered_normally_bring_arrivals(
    fake: FakeMeetBot,
    client: httpx.Client,
    fault: Fault | None,
    path: str,
    params: dict[str, Any],
) -> None:
    fake.add_logs_after_each_page(3)
    if fault is not None:
        fake.inject(fault)

    outcome(client, path, **params)

    assert len(fake.logs) == 600
    assert len(fake.requests) == 1


def test_a_page_refused_with_a_wrong_key_brings_no_arrivals(fake: FakeMeetBot) -> None:
    fake.add_logs_after_each_page(3)
    with httpx.Client(
        transport=fake.transport("httpx"), headers={"Authorization": "Bearer no"}
    ) as c:
        refused = c.get(f"{fake.base_url}{LOGS}")

    assert refused.status_code == 401
    assert len(fake.logs) == 600


@pytest.mark.parametrize("fault", [Fault.delay(0), Fault.truncated_body()])
def test_a_page_that_was_answered_late_or_cut_brings_arrivals(
    fake: FakeMeetBot, client: httpx.Client, fault: Fault
) -> None:
    fake.add_logs_after_each_page(3)
    fake.inject(fault)

    outcome(client, LOGS)

    assert len(fake.logs) == 603


def test_pages_the_rate_limit_refuses_bring_no_arrivals(
    fake: FakeMeetBot, client: httpx.Client
) -> None:
    fake.add_logs_after_each_page(3)
    fake.set_rate_limit(1, per=60, clock=lambda: 1_000.0)

    statuses = [outcome(client, LOGS), outcome(client, LOGS)]

    assert statuses == [200, 429]
    assert len(fake.logs) == 603


def test_pages_that_fail_at_random_bring_no_arrivals(
    fake: FakeMeetBot, client: httpx.Client
) -> None:
    fake.add_logs_after_each_page(3)
    fake.fail_randomly(1, Fault.status(503))

    assert outcome(client, LOGS) == 503
    assert len(fake.logs) == 600


def test_zero_stops_arrivals_and_clear_faults_does_not(
    fake: FakeMeetBot, client: httpx.Client
) -> None:
    fake.add_logs_after_each_page(2)
    fake.clear_faults()
    client.get(LOGS)
    fake.add_logs_after_each_page(0)
    client.get(LOGS)

    assert len(fake.logs) == 602


@pytest.mark.parametrize(
    ("count", "error", "message"),
    [
        (-1, ValueError, "count must be >= 0, got -1"),
        (True, TypeError, "count must be an int >= 0, got True"),
        (1.5, TypeError, "count must be an int >= 0, got 1.5"),
        ("3", TypeError, "count must be an int >= 0, got '3'"),
    ],
)
@pytest.mark.parametrize("method", ["add_logs_after_each_page", "add_logs"])
def test_adding_logs_checks_the_count(
    fake: FakeMeetBot, method: str, count: Any, error: type[Exception], message: str
) -> None:
    before = len(fake.logs)
    with pytest.raises(error, match=re.escape(message)):
        getattr(fake, method)(count)
    assert len(fake.logs) == before


# Latency


def test_latency_delays_every_answer_on_top_of_a_fault_delay(
    fake: FakeMeetBot, client: httpx.Client, sleeps: SleepGate
) -> None:
    fake.set_latency(0.2)
    fake.inject(Fault.delay(0.3), Fault.drop_connection(), Fault.truncated_body())

    answered = [outcome(client, ANALYTICS) for _ in range(3)]
    answered += [outcome(client, LOGS), outcome(client, USAGE, page=1)]

    assert answered == [200, "dropped", "dropped", 200, 200]
    assert sleeps.waits == [0.5, 0.2, 0.2, 0.2, 0.2]  # the connection drops after the wait


def test_latency_applies_to_handle_and_to_refusals(fake: FakeMeetBot, sleeps: SleepGate) -> None:
    fake.set_latency(0.1)
    fake.set_rate_limit(1, per=60, clock=lambda: 1_000.0)
    request = httpx.Request("GET", f"{fake.base_url}{ANALYTICS}")

    statuses = [fake.handle(request).status_code for _ in range(2)]

    assert statuses == [401, 429]  # no credentials, then no budget left
    assert sleeps.waits == [0.1, 0.1]


def test_zero_turns_latency_off_and_clear_faults_does_not(
    fake: FakeMeetBot, client: httpx.Client, sleeps: SleepGate
) -> None:
    fake.set_latency(0.2)
    fake.clear_faults()
    client.get(ANALYTICS)
    fake.set_latency(0)
    client.get(ANALYTICS)

    assert sleeps.waits == [0.2]


def test_a_read_timeout_shorter_than_latency_and_delay_together_times_out(
    fake: FakeMeetBot, client: httpx.Client, sleeps: SleepGate
) -> None:
    fake.set_latency(0.2)
    fake.inject(Fault.delay(0.3))
    timeout = httpx.Timeout(5, read=0.4)

    with pytest.raises(httpx.ReadTimeout, match=r"read timeout is 0\.4 s .* by 0\.5 s"):
        client.get(ANALYTICS, timeout=timeout)
    in_time = client.get(ANALYTICS, timeout=timeout)

    assert in_time.status_code == 200
    assert sleeps.waits == [0.4, 0.2]  # it waits out the read timeout, as a socket would


@pytest.mark.anyio
async def test_an_async_read_timeout_shorter_than_the_latency_times_out(fake: FakeMeetBot) -> None:
    fake.set_latency(30)
    async with async_raw_client(fake) as client:
        with pytest.raises(httpx.ReadTimeout, match="delays this response by 30 s"):
            await client.get(ANALYTICS, timeout=httpx.Timeout(5, read=0.01))


def test_threads_wait_out_the_latency_side_by_side(
    fake: FakeMeetBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    parties = 4
    rendezvous = Rendezvous(parties)
    monkeypatch.setattr("time.sleep", rendezvous)
    fake.set_latency(0.05)

    def get() -> int:
        with raw_client(fake) as client:
            return client.get(LOGS).status_code

    with ThreadPoolExecutor(parties) as pool:
        statuses = [future.result() for future in [pool.submit(get) for _ in range(parties)]]

    assert statuses == [200] * parties
    assert rendezvous.waits == [0.05] * parties


@pytest.mark.anyio
async def test_async_requests_wait_out_the_latency_side_by_side(
    fake: FakeMeetBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    parties = 4
    sleeping: list[float] = []
    all_asleep = asyncio.Event()
    real_sleep = asyncio.sleep

    async def rendezvous(seconds: float, *args: Any) -> Any:
        if seconds != 0.05:  # not the fake's: the event loop's own business
            return await real_sleep(seconds, *args)
        sleeping.append(seconds)
        if len(sleeping) == parties:
            all_asleep.set()
        # Had the transport slept before letting the loop run others, none would join.
        return await asyncio.wait_for(all_asleep.wait(), 5)

    monkeypatch.setattr(asyncio, "sleep", rendezvous)
    fake.set_latency(0.05)
    async with async_raw_client(fake) as client:
        responses = await asyncio.gather(*(client.get(LOGS) for _ in range(parties)))

    assert [response.status_code for response in responses] == [200] * parties
    assert sleeping == [0.05] * parties


@pytest.mark.parametrize("seconds", [-1, float("inf"), float("nan"), "1", True])
def test_set_latency_checks_its_seconds(fake: FakeMeetBot, seconds: Any) -> None:
    with pytest.raises(ValueError, match="seconds must be a finite number >= 0, got"):
        fake.set_latency(seconds)


# Random faults


def test_the_same_seed_gives_the_same_faults() -> None:
    runs = []
    for seed in (1, 1, 2):
        fake = FakeMeetBot(seed=3, log_count=10)
        fake.fail_randomly(0.3, seed=seed)
        runs.append(outcomes(fake, 40))

    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    assert {200, 503, 429, "dropped"} <= set(runs[0])


def test_scripted_faults_come_first_and_take_no_draw() -> None:
    plain, scripted = FakeMeetBot(log_count=10), FakeMeetBot(log_count=10)
    for fake in (plain, scripted):
        fake.fail_randomly(0.5, Fault.status(500), Fault.status(502), seed=4)
    scripted.inject(Fault.status(418))

    assert outcomes(scripted, 21) == [418, *outcomes(plain, 20)]


def test_a_rate_of_one_fails_every_request_and_zero_none(fake: FakeMeetBot) -> None:
    fake.fail_randomly(1, Fault.status(500))
    always = outcomes(fake, 10)
    fake.fail_randomly(0, Fault.status(500))
    never = outcomes(fake, 10)

    assert (always, never) == ([500] * 10, [200] * 10)


def test_a_path_limits_which_requests_fail(fake: FakeMeetBot, client: httpx.Client) -> None:
    fake.fail_randomly(1, Fault.status(500), path=LOGS)

    answered = [outcome(client, ANALYTICS), outcome(client, LOGS), outcome(client, LOGS, page=2)]

    assert answered == [200, 500, 500]


def test_other_paths_do_not_shift_the_draws() -> None:
    alone, mixed = FakeMeetBot(log_count=10), FakeMeetBot(log_count=10)
    for fake in (alone, mixed):
        fake.fail_randomly(0.5, Fault.status(500), seed=9, path=LOGS)
    with raw_client(mixed) as client:
        walked = []
        for _ in range(15):
            client.get(ANALYTICS)
            walked.append(outcome(client, LOGS))

    assert walked == outcomes(alone, 15, LOGS)


def test_the_default_mix_holds_a_503_a_dropped_connection_and_a_short_429(
    fake: FakeMeetBot, client: httpx.Client
) -> None:
    fake.fail_randomly(1)

    seen = {outcome(client, ANALYTICS) for _ in range(30)}
    fake.inject(DEFAULT_RANDOM_FAULTS[2])
    refused = client.get(ANALYTICS)

    assert seen == {503, 429, "dropped"}
    assert refused.status_code == 429
    assert {name: refused.headers[name] for name in rate_headers(refused.headers)} == {
        "retry-after": "0",
        "x-ratelimit-limit": "10",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": "0.05",
    }


def test_the_sdk_waits_only_50_ms_for_the_default_429(fake: FakeMeetBot) -> None:
    fake.inject(DEFAULT_RANDOM_FAULTS[2])
    request = httpx.Request("GET", f"{fake.base_url}{ANALYTICS}")
    refused = fake.handle(request)
    now = [100.0]
    throttle = Throttle(clock=lambda: now[0])

    retry_wait = server_wait(429, rate_headers(refused.headers))
    throttle.release(None, refused)
    held = throttle.window.decide(now[0], max_wait=60)
    now[0] += 0.05
    after_the_reset = throttle.window.decide(now[0], max_wait=60)

    assert retry_wait == 0
    assert isinstance(held, Wait)
    assert held.seconds == pytest.approx(0.05)
    assert after_the_reset == Admit()  # the whole budget is back: no probe goes first


def test_random_faults_beat_the_rate_limit_and_are_not_counted(
    fake: FakeMeetBot, client: httpx.Client
) -> None:
    fake.set_rate_limit(1, per=60, clock=lambda: 1_000.0)
    fake.fail_randomly(1, Fault.status(503))
    failed = outcome(client, ANALYTICS)
    fake.fail_randomly(0)

    assert [failed, outcome(client, ANALYTICS), outcome(client, ANALYTICS)] == [503, 200, 429]


def test_random_faults_are_recorded_like_any_request(fake: FakeMeetBot) -> None:
    fake.fail_randomly(1, Fault.drop_connection())

    outcomes(fake, 3)

    assert [request.path for request in fake.requests] == [ANALYTICS] * 3
    assert fake.pending_faults == 0


def test_clear_faults_stops_random_faults_but_not_latency_or_arrivals(
    fake: FakeMeetBot, client: httpx.Client, sleeps: SleepGate
) -> None:
    fake.fail_randomly(1, Fault.status(500))
    fake.set_latency(0.1)
    fake.add_logs_after_each_page(1)
    fake.clear_faults()

    assert outcome(client, LOGS) == 200
    assert sleeps.waits == [0.1]
    assert len(fake.logs) == 601


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"rate": -0.1}, ValueError, "rate must be a number from 0 to 1, got -0.1"),
        ({"rate": 1.5}, ValueError, "rate must be a number from 0 to 1, got 1.5"),
        ({"rate": float("nan")}, ValueError, "rate must be a number from 0 to 1, got nan"),
        ({"rate": "0.5"}, ValueError, "rate must be a number from 0 to 1, got '0.5'"),
        ({"rate": True}, ValueError, "rate must be a number from 0 to 1, got True"),
        ({"faults": (503,)}, TypeError, "fail_randomly() takes Fault objects, such as"),
        ({"seed": "7"}, TypeError, "seed must be an int, got '7'"),
        ({"path": "users/me"}, ValueError, "path must start with '/'"),
        ({"path": "/v1/users/me"}, ValueError, "path is matched without the /v1 prefix"),
    ],
)
def test_fail_randomly_checks_its_arguments(
    fake: FakeMeetBot, arguments: dict[str, Any], error: type[Exception], message: str
) -> None:
    arguments = dict(arguments)  # the parametrize data is shared: a rerun must see it whole
    rate = arguments.pop("rate", 0.5)
    faults = arguments.pop("faults", ())

    with pytest.raises(error, match=re.escape(message)):
        fake.fail_randomly(rate, *faults, **arguments)
    assert outcomes(fake, 5) == [200] * 5  # nothing was set
