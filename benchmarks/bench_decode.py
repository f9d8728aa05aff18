"""Decoding one 100-log page: our converter against pydantic v2's ``model_validate``."""

from __future__ import annotations

import json
import timeit
from collections.abc import Callable

from meetbot_sdk import ApiLogPage
from meetbot_sdk.testing import FakeMeetBot

ROUNDS = 2_000


def page_body() -> dict[str, object]:
    fake = FakeMeetBot(seed=1, log_count=100)
    return {"logs": list(fake.logs), "total": 100, "page": 1, "page_size": 100}


def per_call_us(fn: Callable[[], object], rounds: int = ROUNDS) -> float:
    best = min(timeit.repeat(fn, number=rounds, repeat=5))
    return best / rounds * 1e6


def main() -> None:
    body = page_body()
    raw = json.dumps(body).encode()
    ours = per_call_us(lambda: ApiLogPage.from_dict(body))
    print(f"meetbot_sdk  from_dict          {ours:8.1f} us/page of 100 logs")
    print(f"stdlib       json.loads         {per_call_us(lambda: json.loads(raw)):8.1f} us/page")
    try:
        from benchmarks._pydantic_models import PPage
    except ImportError:
        print("pydantic     (not installed: pip install -e '.[bench]')")
        return
    theirs = per_call_us(lambda: PPage.model_validate(body))
    print(f"pydantic v2  model_validate     {theirs:8.1f} us/page")
    print(f"ratio ours / pydantic           {ours / theirs:8.2f}")
