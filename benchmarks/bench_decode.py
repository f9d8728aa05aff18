"""Decoding one page of 100 logs with every field set and an unknown field per log.

From a dict: ``ApiLogPage.from_dict`` against pydantic v2's ``model_validate``. From bytes:
what a call does with a body (msgspec mirrors of the models with the ``speedups`` extra, else
``json.loads`` and the converter) against ``model_validate_json`` and msgspec's own typed
decoding into its structs, the fastest a Python client can go. Interleaved rounds, medians
of CPU time (see ``_timing``).
"""

from __future__ import annotations

import json

from benchmarks._timing import interleaved, print_table

ROUNDS = 15
BATCH = 100
TARGETS = {
    "plain": {"dict": 1.00},
    "speedups": {"dict": 1.00, "bytes": 0.80},
}


def _no_key() -> object:
    """The credential to redact from error text (this page holds none), as the clients pass it."""
    from meetbot_sdk._exceptions import Secret  # imported with the SDK, once msgspec is set

    return Secret("mb_bench")


def page_body() -> dict[str, object]:
    """A page of 100 logs from the fake, every optional field set, one unknown field each."""
    from meetbot_sdk.testing import FakeMeetBot

    logs = []
    for log in FakeMeetBot(seed=1, log_count=100).logs:
        full = dict(log)
        full.update(apiKeyId=full["apiKeyId"] or 9, apiKeyName=full["apiKeyName"] or "CI key")
        full.update(ipAddress=full["ipAddress"] or "192.0.2.1", userAgent=full["userAgent"] or "x")
        full["region"] = "eu-west-1"  # unknown to the SDK: ignored
        logs.append(full)
    return {"logs": logs, "total": 100, "page": 1, "page_size": 100, "nextCursor": None}


def run(mode: str) -> None:
    import httpx

    from benchmarks._msgspec_models import page_decoder
    from benchmarks._pydantic_models import PPage
    from meetbot_sdk import ApiLogPage, APIResponseValidationError, _endpoints
    from meetbot_sdk._decoding._response import decode

    no_key = _no_key()

    body = page_body()
    raw = json.dumps(body).encode()
    call = _endpoints.api_logs_get_page(1, 100, {})
    response = httpx.Response(200, content=raw)
    _check_strict(call, decode, APIResponseValidationError, body)

    decoder = page_decoder()
    assert decode(call, response, secret=no_key) == ApiLogPage.from_dict(body)
    from_dict = interleaved(
        {
            "pydantic v2 model_validate": lambda: PPage.model_validate(body),
            "ApiLogPage.from_dict": lambda: ApiLogPage.from_dict(body),
        },
        rounds=ROUNDS,
        batch=BATCH,
    )
    from_bytes = interleaved(
        {
            "pydantic v2 model_validate_json": lambda: PPage.model_validate_json(raw),
            "meetbot_sdk, as a call decodes": lambda: decode(call, response, secret=no_key),
            "msgspec.json Decoder(MPage)": lambda: decoder.decode(raw),
            "(stdlib json.loads alone)": lambda: json.loads(raw),
        },
        rounds=ROUNDS,
        batch=BATCH,
    )
    goals = TARGETS[mode]
    print_table(
        "decode 100 logs from a dict",
        from_dict,
        "pydantic v2 model_validate",
        {"ApiLogPage.from_dict": goals["dict"]},
    )
    bytes_goal = {"meetbot_sdk, as a call decodes": goals["bytes"]} if "bytes" in goals else {}
    print_table(
        "decode 100 logs from bytes", from_bytes, "pydantic v2 model_validate_json", bytes_goal
    )


def _check_strict(call: object, decode: object, error: type[Exception], body: dict) -> None:  # type: ignore[type-arg]
    """The speed is not bought with leniency: a string id is still refused, and named."""
    import httpx

    bad = json.loads(json.dumps(body))
    bad["logs"][7]["statusCode"] = "200"
    try:
        decode(call, httpx.Response(200, content=json.dumps(bad).encode()), secret=_no_key())  # type: ignore[operator]
    except error as exc:
        message = str(exc)
    else:
        message = "accepted"
    if "logs[7].statusCode" not in message:
        raise AssertionError(f"a string statusCode was not refused by name: {message}")
