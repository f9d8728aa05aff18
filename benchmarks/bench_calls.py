"""Per-call cost in-process (no network, an injected ``httpx.Client`` on the fake's
transport, best of timeit repeats in wall time): ours against raw httpx + pydantic. What a
user pays over a real connection is measured by ``bench_client_cpu``."""

from __future__ import annotations

import json
import timeit

import httpx

from meetbot_sdk import MeetBot
from meetbot_sdk.testing import FakeMeetBot

ROUNDS = 300


def main() -> None:
    fake = FakeMeetBot(seed=1, log_count=2_000)
    transport = fake.transport()
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    with MeetBot(fake.api_key, http_client=httpx.Client(transport=transport)) as client:

        def sdk_small() -> object:
            return client.api_keys.get_usage(1)

        def sdk_page() -> object:
            return client.api_logs.get_page(page=3, page_size=100)

        raw = httpx.Client(transport=transport, base_url=fake.base_url, headers=headers)
        sdk_page()  # warm the fake's per-log cache for page 3
        rows = [("get_usage", sdk_small), ("get_page(100)", sdk_page)]
        results = {name: _us(fn) for name, fn in rows}
        try:
            from benchmarks._pydantic_models import PPage
        except ImportError:
            PPage = None  # noqa: N806 - a class or nothing
        if PPage is not None:

            def raw_page() -> object:
                response = raw.get("/users/me/api-logs", params={"page": 3, "page_size": 100})
                response.raise_for_status()
                return PPage.model_validate_json(response.content)

            results["raw httpx + pydantic, page(100)"] = _us(raw_page)
        raw.close()
    results.update(_overhead())
    for name, value in results.items():
        print(f"{name:34} {value:8.1f} us/call")
    if "raw httpx + pydantic, page(100)" in results:
        ratio = results["get_page(100)"] / results["raw httpx + pydantic, page(100)"]
        print(f"{'ratio get_page / raw (in-process)':34} {ratio:8.2f}")


def _overhead() -> dict[str, float]:
    """The SDK's own cost per call: a constant response, no fake behind the transport."""
    body = json.dumps(
        {"requestsToday": 1, "requestsThisMonth": 2, "requestsTotal": 3, "recentRequests": []}
    ).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    transport = httpx.MockTransport(handler)
    with (
        MeetBot("mb_bench", http_client=httpx.Client(transport=transport)) as client,
        httpx.Client(transport=transport, base_url="https://api.meetbot.dev/v1") as raw,
    ):
        sdk = _us(lambda: client.api_keys.get_usage(1))
        bare = _us(lambda: json.loads(raw.get("/api-keys/1/usage").content))
    return {
        "get_usage, constant response": sdk,
        "raw httpx + json.loads, same": bare,
        "SDK overhead per call": sdk - bare,
    }


def _us(fn: object) -> float:
    best = min(timeit.repeat(fn, number=ROUNDS, repeat=5))  # type: ignore[arg-type]
    return best / ROUNDS * 1e6


if __name__ == "__main__":
    main()
