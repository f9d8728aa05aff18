"""The bounds on each attempt, against raw hostile servers on loopback: a whole-attempt
deadline (the sum of the timeout's parts), however slowly a server drip-feeds its answer,
and a limit on the size of a response body before anything decodes it."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import threading
import time
from typing import Any

import httpx
import pytest

import meetbot_sdk as mb
from meetbot_sdk import AsyncMeetBot, MeetBot
from meetbot_sdk._constants import DEFAULT_MAX_RESPONSE_BYTES
from meetbot_sdk._transport._bounds import attempt_deadline
from tests.support import API_KEY, USAGE, Twin
from tests.support.raw_servers import (
    announced,
    endless_chunked,
    gzip_bomb,
    raw_server,
    trickled_body,
    trickled_headers,
)

pytestmark = pytest.mark.loopback

# Every part 0.1 s: the deadline of an attempt is their sum, 0.4 s. The servers below send
# a byte every 0.05 s, well inside the read timeout, so httpx alone would wait for ever.
TIMEOUT = 0.1
DEADLINE = 0.4
DRIP = 0.05


def get_usage(client: Any) -> Any:
    return client.api_keys.get_usage(1)


# --- the deadline -----------------------------------------------------------------------------


def test_the_deadline_is_the_sum_of_the_timeouts_parts() -> None:
    assert attempt_deadline(httpx.Timeout(TIMEOUT)) == pytest.approx(DEADLINE)
    assert attempt_deadline(httpx.Timeout(30.0, connect=5.0)) == 95.0
    # A part without a limit: the user asked for an unbounded phase, so no deadline either.
    assert attempt_deadline(httpx.Timeout(5.0, read=None)) is None


def test_a_trickled_body_ends_at_the_deadline_with_a_timeout_error(twin: Twin) -> None:
    with raw_server(trickled_body(DRIP)) as (base_url, accepted):
        started = time.monotonic()
        with pytest.raises(mb.APITimeoutError) as info:
            twin.run(get_usage, base_url=base_url, timeout=TIMEOUT, max_retries=0)
        elapsed = time.monotonic() - started
    # Sync looks at the deadline between reads, so one read more (the read timeout) at worst.
    assert DEADLINE <= elapsed < DEADLINE + TIMEOUT + 0.5
    host = base_url.removeprefix("http://").split("/")[0]
    assert str(info.value) == (
        f"Request timed out: no whole response from {host} after 1 attempt (an attempt took "
        "longer than 0.4 s, the sum of the timeout's pool, connect, write and read parts)"
    )
    assert len(accepted) == 1


def test_an_attempt_past_its_deadline_is_retried_like_a_timeout(twin: Twin) -> None:
    sleeps: list[float] = []
    with raw_server(trickled_body(DRIP)) as (base_url, accepted):
        with pytest.raises(mb.APITimeoutError):
            twin.run(get_usage, base_url=base_url, timeout=TIMEOUT, max_retries=1, sleeps=sleeps)
    assert len(accepted) == 2
    assert len(sleeps) == 1


def test_trickled_headers_end_at_the_deadline_in_the_async_client() -> None:
    # The sync client cannot look at the clock while httpx reads the header block: there
    # the read timeout per read and the library's header size limit bound it (documented).
    async def main() -> None:
        async with AsyncMeetBot(
            API_KEY, base_url=base_url, timeout=TIMEOUT, max_retries=0
        ) as client:
            await client.api_keys.get_usage(1)

    with raw_server(trickled_headers(DRIP)) as (base_url, _):
        started = time.monotonic()
        with pytest.raises(mb.APITimeoutError, match=r"longer than 0\.4 s"):
            asyncio.run(main())
        assert time.monotonic() - started < DEADLINE + 0.5


# --- the size limit ---------------------------------------------------------------------------


def test_the_default_limit_and_its_checks() -> None:
    client = MeetBot(API_KEY)
    assert client.max_response_bytes == DEFAULT_MAX_RESPONSE_BYTES == 16 * 1024 * 1024
    assert client.with_options(max_response_bytes=1024).max_response_bytes == 1024
    with pytest.raises(ValueError, match="max_response_bytes must be >= 1, got 0"):
        MeetBot(API_KEY, max_response_bytes=0)
    with pytest.raises(TypeError, match="max_response_bytes must be an int"):
        client.with_options(max_response_bytes=1.5)  # type: ignore[arg-type]
    client.close()


def test_an_announced_length_over_the_limit_is_refused_before_reading(twin: Twin) -> None:
    with raw_server(announced(100_000_000)) as (base_url, accepted):
        started = time.monotonic()
        with pytest.raises(mb.APIResponseValidationError) as info:
            twin.run(get_usage, base_url=base_url)
        assert time.monotonic() - started < 1.0
    assert str(info.value) == (
        "200 response to GET /v1/api-keys/1/usage announces 100000000 bytes (Content-Length), "
        "over max_response_bytes=16777216 (16 MiB); its body was not read. Pass a larger "
        "max_response_bytes= to the client (or to with_options()) to accept it"
    )
    assert info.value.body is None
    assert info.value.status_code == 200
    assert info.value.response.content == b""
    assert len(accepted) == 1  # never retried: it would be as large again


@pytest.mark.parametrize(
    ("limit", "shown"),
    [
        (512, "512 bytes"),
        (1024, "1 KiB"),
        (1536, "1.5 KiB"),
        (2 * 1024 * 1024, "2 MiB"),
        (3 << 30, "3 GiB"),
    ],
)
def test_the_limit_is_named_in_the_largest_unit_it_fills(limit: int, shown: str) -> None:
    with raw_server(announced(limit + 1)) as (base_url, _):
        with pytest.raises(mb.APIResponseValidationError) as info:
            Twin("sync").run(get_usage, base_url=base_url, max_response_bytes=limit)
    assert f"over max_response_bytes={limit} ({shown});" in str(info.value)


def test_an_endless_body_stops_being_read_at_the_limit(twin: Twin) -> None:
    limit = 1024 * 1024
    with raw_server(endless_chunked()) as (base_url, accepted):
        with pytest.raises(mb.APIResponseValidationError) as info:
            twin.run(get_usage, base_url=base_url, max_response_bytes=limit)
    assert str(info.value).startswith(
        "200 response to GET /v1/api-keys/1/usage is larger than max_response_bytes=1048576 "
        "(1 MiB); reading stopped there."
    )
    assert len(accepted) == 1


def test_a_body_that_inflates_past_the_limit_is_refused(twin: Twin) -> None:
    limit = 1024 * 1024
    with raw_server(gzip_bomb(20 * limit)) as (base_url, _):
        with pytest.raises(mb.APIResponseValidationError, match="is larger than max_resp"):
            twin.run(get_usage, base_url=base_url, max_response_bytes=limit)


def test_a_compressed_body_within_the_limit_decodes_as_before(twin: Twin) -> None:
    body = json.dumps(USAGE).encode()
    packed = gzip.compress(body)

    def compressed(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(packed), packed)
        )
        stop.wait(5)

    def raw(client: Any) -> Any:
        return client.api_keys.with_raw_response.get_usage(1)

    with raw_server(compressed) as (base_url, _):
        response = twin.run(raw, base_url=base_url)
    assert response.parse().requests_total == USAGE["requestsTotal"]
    assert response.headers["content-encoding"] == "gzip"
    assert response.http_response.content == body
