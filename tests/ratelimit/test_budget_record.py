"""The record a shared budget stores: a window travels through it whole, and a record not to
be trusted is ignored; the leases that bound a dead process's hold."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from meetbot_sdk._ratelimit import _throttle
from meetbot_sdk._ratelimit._budget_record import MAX_LEASE_SECONDS, dump, load
from meetbot_sdk._ratelimit._throttle import Admit, Refuse, Wait, Window
from meetbot_sdk._ratelimit._window import EARLY_MARGIN_SECONDS
from meetbot_sdk._retry import Budget

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
    assert decision.response.headers["retry-after"] == "499"  # what is left of the wait
    assert decision.response.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("body", "json_typed"),
    [('{"detail": "slow down"}', True), (' [{"detail": "slow down"}]', True), ("slow down", False)],
)
def test_the_refusal_raised_elsewhere_is_typed_like_its_body(body: str, json_typed: bool) -> None:
    window = Window()
    window.decide(100.0, CAP, lease="a", lease_until=130.0)
    window.observe(100.0, httpx.Response(503, text=body), None, 30.0)
    blocked = load(dump(window, "k"), "k", 100.0, where="test").blocked_by
    assert blocked is not None
    assert blocked.text == body
    assert (blocked.headers.get("content-type") == "application/json") is json_typed


def test_a_record_of_up_to_64_kib_is_read() -> None:
    record = dump(Window(), "k").encode()
    largest = record + b" " * (64 * 1024 - len(record))
    assert load(largest, "k", 100.0, where="test").known is False
    assert load(largest.replace(b'"known":false', b'"known":true '), "k", 100.0, where="t").known


@pytest.mark.parametrize(
    ("record", "why"),
    [
        (b"\x00garbage", "not JSON (Expecting value: line 1 column 1 (char 0))"),
        (b"[" * 60_000, "nested deeper than 4 levels"),  # once a RecursionError in every call
        (b'{"v": 1, "leases": {"x": [[[[]]]]}}', "nested deeper than 4 levels"),
        (b'{"v": 1, "key": "k", "known": \xff}', "not UTF-8"),
        (b'{"v": 2}', "not a meetbot-sdk budget record"),
        (b"[1]", "not a meetbot-sdk budget record"),
        ("other", "written for another API key or base URL"),
        ({"remaining": -1}, "expected an integer >= 0, got -1"),
        ({"limit": True}, "expected an integer >= 1, got True"),
        ({"limit": 0}, "expected an integer >= 1, got 0"),
        ({"untold": -1}, "expected an integer >= 0, got -1"),
        ({"length": 0}, "expected an integer >= 1, got 0"),
        ({"span": 2 * 86400 + 1}, "a time 172801 s from now is not believable"),
        ({"known": "yes"}, "expected true or false, got 'yes'"),
        ({"leases": {"x": 10_000.0}}, "a time 9900 s from now is not believable"),  # hours away
        ({"leases": {"x": "soon"}}, "expected a time, got 'soon'"),
        ({"leases": {"x" * 65: 100.0}}, "expected a string of at most 64 characters"),
        ({"leases": []}, "leases is not a small mapping"),
        ({"reset_at": float("nan")}, "a time nan s from now is not believable"),
        ({"reset_at": 100.0 + 2 * 86400 + 1}, "a time 172801 s from now is not believable"),
        ({"probe": "ghost"}, "the probe holds no lease"),
        ({"blocked": [150.0, 200, "", None]}, "blocked by status 200"),
        ({"blocked": [150.0, True, "", None]}, "blocked by status True"),
        ({"blocked": [150.0]}, "blocked is not [until, status, body, request id]"),
        (
            {"blocked": [150.0, 429, "", None, None]},
            "blocked is not [until, status, body, request id]",
        ),
        (
            {"blocked": [150.0, 429, "x" * 2001, None]},
            "expected a string of at most 2000 characters",
        ),
        ({"blocked": [150.0, 429, "", "r" * 201]}, "expected a string of at most 200 characters"),
        ({"blocked": [150.0, 429, 5, None]}, "expected a string of at most 2000 characters"),
        (b" " * (64 * 1024 + 1), "larger than 65536 bytes"),
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
    # the whole line: what an operator reads to learn why the fleet's budget started afresh
    assert [r.getMessage() for r in caplog.records] == [
        f"Ignoring the shared rate budget in file 'x': {why}; starting afresh"
    ]


def test_a_record_at_its_bounds_is_believed() -> None:
    window = Window()
    window.leases["n" * 64] = 100.0 + MAX_LEASE_SECONDS  # the longest name, the longest lease
    window.reset_at = 100.0 + 2 * 86400  # a reset two days away, the furthest believed
    window.rolled_span = 2 * 86400  # the window before lasted as long
    window.window_seconds = 1  # the shortest window a whole-second reset can tell
    refusal = httpx.Response(429, text="x" * 2000, headers={"X-Request-Id": "r" * 200})
    window.observe(100.0, refusal, None, 2 * 86400)
    again = load(dump(window, "k"), "k", 100.0, where="test")
    assert again.leases == window.leases
    assert again.reset_at == window.reset_at
    assert (again.rolled_span, again.window_seconds) == (2 * 86400, 1)
    assert again.blocked_until == 100.0 + 2 * 86400
    assert again.blocked_by is not None
    assert again.blocked_by.text == "x" * 2000
    assert again.blocked_by.headers["x-request-id"] == "r" * 200
    # as many leases as a record may hold (a fleet of 4096 requests in flight), not one more
    record = json.loads(dump(Window(), "k"))
    record["leases"] = {str(n): 101 for n in range(4096)}
    assert len(load(json.dumps(record), "k", 100.0, where="test").leases) == 4096
    record["leases"]["one more"] = 101
    assert load(json.dumps(record), "k", 100.0, where="test").leases == {}


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


def earlier_version_record(**fields: object) -> str:
    """A record as the first version wrote it: none of the fields added since."""
    record = {"v": 1, "key": "k", "known": True, "unlimited": False, "limit": 3, "remaining": 0}
    record |= {"reset_at": 100.0, "leases": {}, "probe": None, "blocked": None}
    return json.dumps(record | fields)


def test_a_record_of_an_earlier_version_rolls_over_and_keeps_the_windows_apart() -> None:
    # Earlier versions wrote neither the stated reset nor when the window opened (its length
    # is unknown): the window still resets, and only an answer stated at its very reset is
    # taken for the window before.
    window = load(earlier_version_record(leases={"old": 130.0}), "k", 99.75, where="test")
    held = window.decide(99.75, CAP)
    assert isinstance(held, Wait)
    assert held.seconds == 0.25
    # At the reset two go: the third place is held by the old window's request, still out.
    first, second = window.decide(100.0, CAP), window.decide(100.0, CAP)
    assert isinstance(first, Admit)
    assert isinstance(second, Admit)
    assert isinstance(window.decide(100.0, CAP), Wait)
    window.release(first)
    window.observe(100.0, httpx.Response(200), Budget(limit=3, remaining=2, reset_after=1.0), None)
    # The old request answered at that instant: its "none left" is the old window's.
    window.release(Admit(lease="old"))
    window.observe(100.0, httpx.Response(200), Budget(limit=3, remaining=0, reset_after=0.0), None)
    assert isinstance(window.decide(100.0, CAP), Admit)  # the new window's last place
    last = window.decide(100.0, CAP)
    assert isinstance(last, Wait)
    assert last.seconds == 1.0


def test_a_record_of_an_earlier_version_spends_every_place_it_states() -> None:
    # Earlier versions did not count the answers without a budget (a 5xx): none are counted.
    window = load(earlier_version_record(remaining=2, reset_at=150.0), "k", 100.0, where="test")
    assert isinstance(window.decide(100.0, CAP), Admit)
    assert isinstance(window.decide(100.0, CAP), Admit)
    spent = window.decide(100.0, CAP)
    assert isinstance(spent, Wait)
    assert spent.seconds == 50.0  # the third waits for the reset


@pytest.mark.parametrize("status", [200, 429])
def test_a_record_of_an_earlier_version_reads_whole_second_resets(status: int) -> None:
    # Earlier versions knew nothing of whole-second resets: a window read from their record
    # reads them as a fresh one does, its first answer (even a 429) guessing nothing yet.
    window = load(earlier_version_record(known=False, reset_at=None), "k", 100.5, where="test")
    probe = window.decide(100.5, CAP)  # the window opens with this request
    assert probe == Admit(probe=True, lease=probe.lease)
    window.release(probe)
    told = Budget(limit=10, remaining=0, reset_after=9.25, whole_seconds=True)  # at 110 s
    window.observe(100.75, httpx.Response(status), told, None)
    held = window.decide(100.75, CAP)
    assert isinstance(held, Wait)
    # a 9 s window, answered 0.25 s after it opened, most likely ends at 109.75 s, not 110 s
    assert held.seconds == pytest.approx(9.0 + EARLY_MARGIN_SECONDS)
