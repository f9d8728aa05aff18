"""The record a shared budget stores: a window travels through it whole, and a record not to
be trusted is ignored; the leases that bound a dead process's hold."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from meetbot_sdk import _throttle
from meetbot_sdk._budget_record import dump, load
from meetbot_sdk._throttle import Admit, Refuse, Wait, Window

CAP = 60.0


# --- the record -------------------------------------------------------------------------------


def test_a_window_travels_through_its_record_whole() -> None:
    window = Window()
    probe = window.decide(100.0, CAP, lease="a", lease_until=130.0)
    assert probe == Admit(probe=True)
    refusal = httpx.Response(
        429, json={"error": {"message": "slow down"}}, headers={"X-Request-Id": "req_9"}
    )
    window.observe(100.0, refusal, None, 500.0)
    again = load(dump(window, "k"), "k", 101.0, where="test")
    assert (again.leases, again.probe, again.blocked_until) == ({"a": 130.0}, "a", 600.0)
    # the refusal another process got is raised here the same: status, message, request id
    decision = again.decide(101.0, CAP)
    assert isinstance(decision, Refuse)
    assert decision.response.status_code == 429
    assert decision.response.json() == {"error": {"message": "slow down"}}
    assert decision.response.headers["x-request-id"] == "req_9"


@pytest.mark.parametrize(
    ("record", "why"),
    [
        (b"\x00garbage", "Expecting value"),
        (b'{"v": 2}', "not a meetbot-sdk budget record"),
        (b"[1]", "not a meetbot-sdk budget record"),
        ("other", "written for another API key"),
        ({"remaining": -1}, "expected an integer >= 0"),
        ({"limit": True}, "expected an integer >= 1"),
        ({"known": "yes"}, "expected true or false"),
        ({"leases": {"x": 10_000.0}}, "not believable"),  # lapses hours from now
        ({"leases": {"x": "soon"}}, "expected a time"),
        ({"leases": []}, "not a small mapping"),
        ({"reset_at": float("nan")}, "not believable"),
        ({"probe": "ghost"}, "the probe holds no lease"),
        ({"blocked": [150.0, 200, "", None]}, "blocked by status 200"),
        ({"blocked": [150.0]}, "blocked is not"),
        ({"unknown_field_missing": None}, "'known'"),
    ],
)
def test_a_record_not_to_be_trusted_is_ignored_with_a_warning(
    record: object, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    good = Window()
    good.decide(100.0, CAP, lease="a", lease_until=110.0)
    if isinstance(record, dict):
        data = json.loads(dump(good, "k"))
        if "unknown_field_missing" in record:
            del data["known"]
        else:
            data.update(record)
        record = json.dumps(data).encode()
    elif record == "other":
        record = dump(good, "another key")
    assert isinstance(record, (bytes, str))
    with caplog.at_level(logging.WARNING, "meetbot_sdk"):
        window = load(record, "k", 100.0, where="file 'x'")
    assert (window.known, window.in_flight, window.probing) == (False, 0, False)
    assert why in caplog.text
    assert "Ignoring the shared rate budget in file 'x'" in caplog.text


def test_a_lease_lapses_at_its_deadline_and_frees_its_place() -> None:
    window = Window()
    probe = window.decide(0.0, CAP, lease="dead", lease_until=5.0)
    assert isinstance(probe, Admit)
    assert probe.probe
    assert isinstance(window.decide(4.9, CAP), Wait)  # the probe's answer is awaited
    after = window.decide(5.0, CAP, lease="next", lease_until=10.0)
    assert after == Admit(probe=True)  # the dead process's probe is forgotten
    window.release(probe)  # its late release changes nothing
    assert window.leases == {"next": 10.0}


def test_a_lease_lasts_the_clients_timeout() -> None:
    assert _throttle.lease_seconds(httpx.Timeout(30.0, connect=5.0)) == 36.0
    assert _throttle.lease_seconds(httpx.Timeout(None)) == 31.0
    assert _throttle.lease_seconds(httpx.Timeout(1e9)) == _throttle.MAX_LEASE_SECONDS
