"""The fake's rate-limit window, driven by a fake clock."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from meetbot_sdk.testing import FakeMeetBot, Fault
from tests.testing.raw_http import async_raw_client, raw_client

ANALYTICS = "/users/me/analytics"
X_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
IETF_HEADERS = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset")


class FakeClock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def budget(response: httpx.Response, names: tuple[str, ...] = X_HEADERS) -> tuple[str, ...]:
    return tuple(response.headers.get(name, "-") for name in names)


def test_the_budget_shrinks_until_requests_are_refused(
    fake: FakeMeetBot, client: httpx.Client, clock: FakeClock
) -> None:
    fake.set_rate_limit(3, per=10, clock=clock)

    answered = []
    for _ in range(3):
        answered.append(client.get(ANALYTICS))
        clock.advance(1)
    clock.advance(0.5)
    refused = client.get(ANALYTICS)

    assert [r.status_code for r in answered] == [200, 200, 200]
    assert [budget(r) for r in answered] == [
        ("3", "2", "10.000"),
        ("3", "1", "9.000"),
        ("3", "0", "8.000"),
    ]
    assert refused.status_code == 429
    assert budget(refused) == ("3", "0", "6.500")
    assert refused.headers["retry-after"] == "7"
    assert refused.headers["x-request-id"] == "req_4"
    assert refused.json() == {
        "error": {"code": "rate_limited", "message": "Rate limit of 3 requests per 10 s exceeded"}
    }


def test_a_new_window_opens_after_per_seconds(
    fake: FakeMeetBot, client: httpx.Client, clock: FakeClock
) -> None:
    fake.set_rate_limit(1, per=2, clock=clock)

    first = client.get(ANALYTICS)
    clock.advance(1.999)
    refused = client.get(ANALYTICS)
    clock.advance(0.001)
    second = client.get(ANALYTICS)

    assert [r.status_code for r in (first, refused, second)] == [200, 429, 200]
    assert budget(second) == ("1", "0", "2.000")
    assert refused.headers["retry-after"] == "1"  # never 0, though the window ends in 1 ms
    assert refused.json()["error"]["message"] == "Rate limit of 1 request per 2 s exceeded"


def test_the_window_opens_at_the_first_request_counted(
    fake: FakeMeetBot, client: httpx.Client, clock: FakeClock
) -> None:
    fake.set_rate_limit(5, per=1, clock=clock)
    clock.advance(30)  # nothing is counted while no request comes

    first = client.get(ANALYTICS)
    clock.advance(0.2655)
    second = client.get(ANALYTICS)

    assert budget(first) == ("5", "4", "1.000")
    assert budget(second) == ("5", "3", "0.735")  # 0.7345 s, rounded up to the millisecond


def test_every_normally_routed_response_counts(
    fake: FakeMeetBot, client: httpx.Client, clock: FakeClock
) -> None:
    fake.set_rate_limit(3, per=60, clock=clock)

    responses = [
        client.get(ANALYTICS, headers={"Authorization": "Bearer wrong"}),
        client.get("/nowhere"),
        client.get("/users/me/api-logs", params={"page": 0}),
        client.get(ANALYTICS),
    ]

    assert [r.status_code for r in responses] == [401, 404, 422, 429]
    assert [r.headers["x-ratelimit-remaining"] for r in responses] == ["2", "1", "0", "0"]
    assert len(fake.requests) == 4


def test_epoch_resets_name_the_second_the_window_ends(
    fake: FakeMeetBot, client: httpx.Client
) -> None:
    clock = FakeClock(1_767_225_600.25)
    fake.set_rate_limit(1, per=60, reset_format="epoch", clock=clock)

    answered = client.get(ANALYTICS)
    clock.advance(10)
    refused = client.get(ANALYTICS)

    assert budget(answered) == ("1", "0", "1767225661")
    assert budget(refused) == ("1", "0", "1767225661")
    assert refused.headers["retry-after"] == "50"


def test_ietf_headers_give_whole_seconds_from_now(
    fake: FakeMeetBot, client: httpx.Client, clock: FakeClock
) -> None:
    fake.set_rate_limit(2, per=10, header_style="ietf", clock=clock)

    first = client.get(ANALYTICS)
    clock.advance(2.5)
    second = client.get(ANALYTICS)
    refused = client.get(ANALYTICS)

    assert budget(first, IETF_HEADERS) == ("2", "1", "10")
    assert budget(second, IETF_HEADERS) == ("2", "0", "8")
    assert budget(refused, IETF_HEADERS) == ("2", "0", "8")
    assert budget(refused) == ("-", "-", "-")
    assert (refused.status_code, refused.headers["retry-after"]) == (429, "8")


def test_scripted_faults_take_precedence_and_are_not_counted(
    fake: FakeMeetBot, client: httpx.Client, clock: FakeClock
) -> None:
    fake.set_rate_limit(1, per=60, clock=clock)
    fake.inject(Fault.status(503), Fault.malformed_body(), Fault.truncated_body())

    unavailable = client.get(ANALYTICS)
    malformed = client.get(ANALYTICS)
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(ANALYTICS)
    counted = client.get(ANALYTICS)
    fake.inject(Fault.status(200))
    scripted_over_the_limit = client.get(ANALYTICS)
    refused = client.get(ANALYTICS)

    assert budget(unavailable) == budget(malformed) == ("-", "-", "-")
    assert (counted.status_code, budget(counted)) == (200, ("1", "0", "60.000"))
    assert scripted_over_the_limit.status_code == 200
    assert refused.status_code == 429
    assert len(fake.requests) == 6


def test_a_delayed_request_is_counted_like_any_other(
    fake: FakeMeetBot, client: httpx.Client, clock: FakeClock
) -> None:
    fake.set_rate_limit(1, per=60, clock=clock)
    fake.inject(Fault.delay(0), Fault.delay(0))

    delayed = client.get(ANALYTICS)
    refused_later = client.get(ANALYTICS)

    assert (delayed.status_code, budget(delayed)) == (200, ("1", "0", "60.000"))
    assert refused_later.status_code == 429


def test_setting_a_new_limit_starts_afresh(
    fake: FakeMeetBot, client: httpx.Client, clock: FakeClock
) -> None:
    fake.set_rate_limit(1, per=60, clock=clock)
    client.get(ANALYTICS)
    fake.set_rate_limit(2, per=30, clock=clock)

    response = client.get(ANALYTICS)

    assert budget(response) == ("2", "1", "30.000")


def test_the_default_clock_is_the_wall_clock(fake: FakeMeetBot, client: httpx.Client) -> None:
    fake.set_rate_limit(1, per=60)

    client.get(ANALYTICS)
    refused = client.get(ANALYTICS)

    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert 0 < float(refused.headers["x-ratelimit-reset"]) <= 60


@pytest.mark.anyio
async def test_async_clients_share_the_window(fake: FakeMeetBot, clock: FakeClock) -> None:
    fake.set_rate_limit(1, per=5, clock=clock)
    async with async_raw_client(fake) as client:
        answered = await client.get(ANALYTICS)
        refused = await client.get(ANALYTICS)

    assert (answered.status_code, refused.status_code) == (200, 429)
    assert refused.headers["retry-after"] == "5"


@pytest.mark.loopback
def test_the_window_applies_over_loopback(fake: FakeMeetBot, clock: FakeClock) -> None:
    fake.set_rate_limit(2, per=1, clock=clock)
    with fake.serve() as base_url, raw_client(fake, base_url=base_url) as client:
        codes = [client.get(ANALYTICS).status_code for _ in range(3)]
        refused = client.get(ANALYTICS)

    assert codes == [200, 200, 429]
    assert budget(refused) == ("2", "0", "1.000")
    assert refused.headers["retry-after"] == "1"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"limit": 0}, "limit must be an int >= 1, got 0"),
        ({"limit": 2.5}, "limit must be an int >= 1, got 2.5"),
        ({"limit": True}, "limit must be an int >= 1, got True"),
        ({"per": 0}, "per must be a finite number of seconds > 0, got 0"),
        ({"per": float("nan")}, "per must be a finite number of seconds > 0, got nan"),
        ({"reset_format": "unix"}, "reset_format must be 'delta' or 'epoch', got 'unix'"),
        ({"header_style": "IETF"}, "header_style must be 'x-ratelimit' or 'ietf', got 'IETF'"),
        (
            {"header_style": "ietf", "reset_format": "epoch"},
            "header_style='ietf' sends RateLimit-Reset as delta seconds",
        ),
    ],
)
def test_rate_limit_arguments_are_validated(
    fake: FakeMeetBot, client: httpx.Client, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        fake.set_rate_limit(**{"limit": 1, **kwargs})

    assert "x-ratelimit-limit" not in client.get(ANALYTICS).headers


def test_a_clock_must_be_callable(fake: FakeMeetBot) -> None:
    with pytest.raises(TypeError, match=r"clock must be a callable .* such as time\.time"):
        fake.set_rate_limit(1, clock=1_000.0)  # type: ignore[arg-type]
