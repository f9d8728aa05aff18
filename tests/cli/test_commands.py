"""Every command and format of ``meetbot``, and every way it fails, as a user sees them."""

from __future__ import annotations

import csv
import io
import json
import re
import signal
import subprocess
import sys

import pytest

from meetbot_sdk import MeetBot
from meetbot_sdk.testing import Fault
from tests.cli.support import SECRET, Account, ids_of_jsonl, wire_ids
from tests.support import BARE_RUN
from tests.support.frames import LOG_COLUMNS

pytestmark = pytest.mark.loopback


# --- analytics ----------------------------------------------------------------------------------


def test_analytics_json_has_the_models_names_and_values(account: Account) -> None:
    ran = account.run("analytics", "--period", "7d", "--format", "json")
    assert ran.status == 0
    document = json.loads(ran.out)
    with MeetBot(SECRET, base_url=account.base_url) as client:
        expected = client.analytics.get(period="7d")
    assert document["api_calls"]["total"] == expected.api_calls.total
    assert document["bots"]["platform_breakdown"] == expected.bots.platform_breakdown
    assert document["webhooks"]["avg_response_time_ms"] == expected.webhooks.avg_response_time_ms
    assert [day["date"] for day in document["api_calls"]["daily_breakdown"]] == [
        day.date.isoformat() for day in expected.api_calls.daily_breakdown
    ]


def test_analytics_piped_defaults_to_json(account: Account) -> None:
    assert json.loads(account.run("analytics").out)["api_calls"]["total"] == 400


@pytest.mark.parametrize("form", ["csv", "jsonl"])
def test_analytics_rows_are_one_per_day(account: Account, form: str) -> None:
    ran = account.run("analytics", "-p", "30d", "-f", form)
    if form == "csv":
        rows = list(csv.DictReader(io.StringIO(ran.out)))
    else:
        rows = [json.loads(line) for line in ran.out.splitlines()]
    assert len(rows) == 30
    assert set(rows[0]) == {"date", "api_calls", "bots_created"}
    assert sum(int(row["api_calls"]) for row in rows) > 0


def test_analytics_table_is_for_people(account: Account) -> None:
    ran = account.run("analytics", "--period", "90d", "--format", "table")
    assert ran.status == 0
    assert "Usage: the last 90d, and all time" in ran.out
    # The total is every call ever made, not the period's: the label says so.
    assert re.search(r"this month [\d,]+ · all time [\d,]+", ran.out)
    assert "created in the last 90d" in ran.out
    assert "by platform" in ran.out
    assert "Per day (UTC)" in ran.out


# --- key-usage ----------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["json", "jsonl", "csv", "table"])
def test_key_usage_in_every_format(account: Account, form: str) -> None:
    ran = account.run("key-usage", "2", "--format", form)
    assert ran.status == 0
    with MeetBot(SECRET, base_url=account.base_url) as client:
        usage = client.api_keys.get_usage(2)
    if form == "json":
        assert json.loads(ran.out)["requests_total"] == usage.requests_total
    elif form == "jsonl":
        first = json.loads(ran.out.splitlines()[0])
        assert first["created_at"] == usage.recent_requests[0].to_dict()["createdAt"]
        assert set(first) == {"method", "path", "status_code", "created_at"}
    elif form == "csv":
        rows = list(csv.DictReader(io.StringIO(ran.out)))
        assert len(rows) == len(usage.recent_requests)
    else:
        assert "API key 2" in ran.out
        assert f"{usage.requests_total:,}" in ran.out


def test_an_unknown_key_is_an_api_error(account: Account) -> None:
    ran = account.run("key-usage", "99")
    assert ran.status == 1
    assert ran.out == ""
    assert (
        ran.err.strip() == "meetbot: error: 404 Not Found: API key 99 not found (request_id=req_1)"
    )


@pytest.mark.parametrize("key_id", ["0", "abc", "1/../x"])
def test_a_bad_key_id_is_a_usage_error(account: Account, key_id: str) -> None:
    ran = account.run("key-usage", key_id)
    assert ran.status == 2
    assert "Invalid value for 'KEY_ID'" in ran.err
    assert account.fake.requests == []


# --- logs ---------------------------------------------------------------------------------------


def test_logs_jsonl_is_every_matching_log_once(account: Account) -> None:
    ran = account.run("logs", "--method", "GET", "--page-size", "30", "--format", "jsonl")
    assert ran.status == 0
    assert ids_of_jsonl(ran.out) == wire_ids(account.fake.logs, method="GET")
    first = json.loads(ran.out.splitlines()[0])
    assert list(first) == LOG_COLUMNS  # the models' attribute names, in order
    assert first["created_at"].endswith("Z")
    assert "wrote" not in ran.err  # stdout exports say nothing on stderr


def test_logs_filters_reach_the_api(account: Account) -> None:
    ran = account.run(
        "logs",
        "--status-code",
        "200",
        "--path",
        "/bots",
        "--api-key-id",
        "1",
        "--start-date",
        "2025-12-01",
        "--end-date",
        "2026-01-10T00:00:00+01:00",
        "--limit",
        "5",
    )
    assert ran.status == 0
    (query,) = [request.query for request in account.fake.requests]
    assert query == {
        "page": "1",
        "page_size": "100",
        "status_code": "200",
        "path": "/bots",
        "api_key_id": "1",
        "start_date": "2025-12-01",
        "end_date": "2026-01-09T23:00:00Z",
    }
    assert len(ran.out.splitlines()) == 5


def test_logs_csv_has_a_header_and_empty_cells_for_nulls(account: Account) -> None:
    ran = account.run("logs", "--format", "csv", "--page-size", "50")
    rows = list(csv.DictReader(io.StringIO(ran.out)))
    assert [int(row["id"]) for row in rows] == wire_ids(account.fake.logs)
    tokens = [row for row in rows if row["api_key_id"] == ""]
    assert tokens
    assert all(row["api_key_name"] == "" for row in tokens)


def test_logs_json_is_one_array(account: Account) -> None:
    ran = account.run("logs", "--format", "json", "--limit", "150", "--page-size", "60")
    assert [log["id"] for log in json.loads(ran.out)] == wire_ids(account.fake.logs)[:150]
    empty = account.run("logs", "--format", "json", "--start-date", "2030-01-01")
    assert json.loads(empty.out) == []
    header_only = account.run("logs", "--format", "csv", "--start-date", "2030-01-01")
    assert header_only.out.splitlines() == [
        "id,method,path,status_code,response_time_ms,api_key_id,api_key_name,ip_address,user_agent,created_at"
    ]


def test_logs_table_has_one_header_over_many_pages(account: Account) -> None:
    ran = account.run("logs", "--format", "table", "--limit", "45", "--page-size", "20")
    assert ran.status == 0
    assert ran.out.count("when (UTC)") == 1
    assert ran.out.count("\n") >= 46


def test_logs_output_file_without_checkpoint_is_written_afresh(
    account: Account, tmp_path: pytest.TempPathFactory
) -> None:
    target = tmp_path / "logs.csv"  # type: ignore[operator]
    target.write_text("old\n")
    ran = account.run("logs", "--limit", "7", "--output", str(target))
    assert ran.status == 0
    assert ran.err.strip() == f"meetbot: wrote 7 logs to {target} (7 in the file)"
    assert target.read_text().splitlines()[0].startswith("id,method,path")
    assert len(target.read_text().splitlines()) == 8


FORMULAS = [
    '=HYPERLINK("http://evil.example","x")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
]


def _formula_page(account: Account) -> dict[str, object]:
    first = account.fake.logs[0]
    logs = [
        {**first, "id": 900 + n, "path": text, "apiKeyName": text, "responseTimeMs": -5}
        for n, text in enumerate(FORMULAS)
    ]
    return {"logs": logs, "total": len(logs), "page": 1, "page_size": 100}


def test_csv_neutralises_formula_cells_and_keeps_numbers(
    account: Account, tmp_path: pytest.TempPathFactory
) -> None:
    account.fake.inject(Fault.status(200, json=_formula_page(account)), path="/users/me/api-logs")
    ran = account.run("logs", "--format", "csv")
    assert ran.status == 0
    rows = list(csv.DictReader(io.StringIO(ran.out)))
    assert [row["path"] for row in rows] == ["'" + text for text in FORMULAS]
    assert [row["api_key_name"] for row in rows] == ["'" + text for text in FORMULAS]
    assert {row["response_time_ms"] for row in rows} == {"-5"}  # a number stays a number
    assert ran.out.splitlines()[1].startswith("900,GET,\"'=HYPERLINK(")  # quoted: it has ","
    target = tmp_path / "logs.csv"  # type: ignore[operator]
    account.fake.inject(Fault.status(200, json=_formula_page(account)), path="/users/me/api-logs")
    assert account.run("logs", "--output", str(target)).status == 0
    written = list(csv.DictReader(io.StringIO(target.read_bytes().decode(), newline="")))
    assert [row["path"] for row in written] == ["'" + text for text in FORMULAS]


def test_csv_raw_cells_writes_them_as_received(account: Account) -> None:
    account.fake.inject(Fault.status(200, json=_formula_page(account)), path="/users/me/api-logs")
    ran = account.run("logs", "--format", "csv", "--csv-raw-cells")
    rows = list(csv.DictReader(io.StringIO(ran.out, newline="")))
    assert [row["path"] for row in rows] == FORMULAS


def test_key_usage_csv_neutralises_formula_paths(account: Account) -> None:
    import httpx

    headers = {"Authorization": f"Bearer {SECRET}"}
    usage = httpx.get(f"{account.base_url}/api-keys/2/usage", headers=headers).json()
    usage["recentRequests"][0]["path"] = FORMULAS[0]
    for raw in (False, True):
        account.fake.inject(Fault.status(200, json=usage), path="/api-keys/2/usage")
        argv = ["key-usage", "2", "--format", "csv", *(["--csv-raw-cells"] * raw)]
        rows = list(csv.DictReader(io.StringIO(account.run(*argv).out)))
        assert rows[0]["path"] == ("" if raw else "'") + FORMULAS[0]


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["logs", "--start-date", "yesterday"],
            "meetbot: error: --start-date must be an ISO 8601 date ('2024-01-15') or timestamp"
            " ('2024-01-15T10:30:00Z'), got 'yesterday'",
        ),
        (
            ["logs", "--start-date", "2026-01-10", "--end-date", "2026-01-01"],
            "meetbot: error: --start-date (2026-01-10) must not be after --end-date (2026-01-01)",
        ),
        (
            ["logs", "--method", "G3T"],
            "meetbot: error: --method must be an HTTP method name such as 'GET', got 'G3T'",
        ),
        (["logs", "--all", "--limit", "3"], "--all and --limit exclude each other: choose one"),
        (["logs", "--status-code", "42"], "Invalid value for '--status-code'"),
        (["logs", "--page-size", "101"], "Invalid value for '--page-size'"),
        (["logs", "--checkpoint", "state"], "--checkpoint needs --output FILE"),
        (["logs", "--output", "x.jsonl", "--format", "table"], "--output writes jsonl or csv"),
        (["logs", "--frobnicate"], "No such option '--frobnicate'"),
        (["analytics", "--period", "1y"], "Invalid value for '-p' / '--period'"),
        (["nonsense"], "No such command 'nonsense'"),
        (["--base-url", "http://example.com/v1", "analytics"], "refusing plain http://"),
    ],
)
def test_bad_usage_exits_2_before_any_request(
    account: Account, argv: list[str], message: str
) -> None:
    ran = account.run(*argv)
    assert ran.status == 2
    assert message in ran.err
    assert "Traceback" not in ran.err
    assert account.fake.requests == []


def test_no_key_at_all_says_where_to_put_one(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MEETBOT_API_KEY")
    ran = account.run("analytics")
    assert ran.status == 2
    assert "no API key: pass --api-key or set MEETBOT_API_KEY" in ran.err


def test_a_wrong_key_is_one_line_and_the_key_is_not_in_it(account: Account) -> None:
    ran = account.run("logs", "--api-key", "mb_wrong_key_123456", "--limit", "1")
    assert ran.status == 1
    assert ran.err.count("\n") == 1
    assert "401 Unauthorized" in ran.err
    assert "check --api-key or MEETBOT_API_KEY" in ran.err
    assert "mb_wrong_key_123456" not in ran.err


def test_an_unreachable_server_is_exit_1(account: Account) -> None:
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    ran = account.run(
        "--base-url", f"http://127.0.0.1:{port}/v1", "analytics", "--max-retries", "0"
    )
    assert ran.status == 1
    assert ran.err.startswith("meetbot: error: Connection error")
    assert "check --base-url and the network" in ran.err


def test_global_options_go_before_or_after_the_command(account: Account) -> None:
    ran = account.run("--api-key", "mb_wrong_key_123456", "logs", "--api-key", SECRET, "-n", "1")
    assert ran.status == 0
    assert len(ran.out.splitlines()) == 1


def test_verbose_logs_the_sdk_to_stderr_without_the_key(account: Account) -> None:
    ran = account.run("-vv", "logs", "--limit", "1")
    assert ran.status == 0
    assert "GET /v1/users/me/api-logs?page=1&page_size=100 -> 200" in ran.err


@pytest.mark.parametrize("argv", [[], ["analytics"], ["key-usage"], ["logs"]])
def test_help_everywhere_names_the_environment_variables(account: Account, argv: list[str]) -> None:
    ran = account.run(*argv, "--help")
    text = " ".join(ran.out.split())  # as wrapped for any width
    assert (
        "--api-key KEY The API key (or access token). Never printed. [env var: MEETBOT_API_KEY]"
        in text
    )
    assert (
        "--base-url URL The API's base URL [env var: MEETBOT_BASE_URL; default:"
        " https://api.meetbot.dev/v1]"
    ) in text
    assert "--no-color" in text


@pytest.mark.parametrize("argv", [[], ["analytics"], ["key-usage"], ["logs"], ["fake-server"]])
def test_help_everywhere_has_examples(account: Account, argv: list[str]) -> None:
    ran = account.run(*argv, "--help")
    assert ran.status == 0
    assert "Examples:" in ran.out
    assert f"meetbot {argv[0]}" in ran.out if argv else "meetbot logs" in ran.out


def test_version(account: Account) -> None:
    from meetbot_sdk import __version__

    assert account.run("--version").out == f"meetbot {__version__}\n"


# --- as a process: python -m meetbot_sdk, pipes, Ctrl-C, the fake server -----------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["logs", "--format", "table"],
        ["logs", "--format", "json"],
        ["analytics", "--format", "table"],
        ["key-usage", "2", "--format", "table"],
    ],
)
def test_a_reader_that_went_away_is_exit_141_in_every_format(
    account: Account, argv: list[str]
) -> None:
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)  # as `| head` that has read enough, before the first write
    try:
        process = account.spawn(*argv, stdout=write_end)
        _, err = process.communicate(timeout=30)
    finally:
        os.close(write_end)
    assert err == ""
    assert process.returncode == 141


def test_piped_into_head_it_ends_quietly(account: Account) -> None:
    command = [sys.executable, "-m", "meetbot_sdk", "logs", "--page-size", "10"]
    producer = subprocess.Popen(  # noqa: S603 (this interpreter, our command)
        command, env=account.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert producer.stdout is not None
    first = producer.stdout.readline()
    producer.stdout.close()  # what head does once it has its lines
    _, err = producer.communicate(timeout=30)
    assert json.loads(first)["id"] == 400
    assert err == b""
    assert producer.returncode == 141


def test_ctrl_c_exits_130_with_complete_lines_only(account: Account) -> None:
    account.fake.set_latency(0.05)
    process = account.spawn("logs", "--page-size", "5")
    assert process.stdout is not None
    lines = [process.stdout.readline() for _ in range(7)]
    process.send_signal(signal.SIGINT)
    rest, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert err.strip().endswith("meetbot: interrupted")
    assert "Traceback" not in err
    output = "".join(lines) + rest
    assert output.endswith("\n")
    ids = [json.loads(line)["id"] for line in output.splitlines()]
    assert ids == wire_ids(account.fake.logs)[: len(ids)]


def test_fake_server_prints_where_it_listens_and_stops_on_ctrl_c(account: Account) -> None:
    process = account.spawn("fake-server", "--log-count", "25", "--seed", "3")
    assert process.stdout is not None
    base_line, key_line = process.stdout.readline(), process.stdout.readline()
    assert base_line.startswith("export MEETBOT_BASE_URL=http://127.0.0.1:")
    assert key_line == "export MEETBOT_API_KEY=mb_test_0000000000000000000000000000\n"
    base_url, key = base_line.strip().split("=", 1)[1], key_line.strip().split("=", 1)[1]
    with MeetBot(key, base_url=base_url) as client:
        assert client.api_logs.get_page().total == 25
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "Traceback" not in err
    assert '$env:MEETBOT_BASE_URL="http://127.0.0.1:' in err  # PowerShell's spelling


def test_fake_server_on_a_port_in_use_is_exit_1(account: Account) -> None:
    port = account.base_url.split(":")[2].split("/")[0]
    ran = account.run("fake-server", "--port", port)
    assert ran.status == 1
    assert "meetbot: error:" in ran.err
    assert "Address already in use" in ran.err


# --- without the extra --------------------------------------------------------------------------


@pytest.mark.skipif(not BARE_RUN, reason="only the bare run lacks the cli extra")
def test_without_the_extra_it_says_how_to_install_it() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "meetbot_sdk", "logs"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "meetbot: The meetbot command needs the optional 'click' package. "
        'Install it with: pip install "meetbot-sdk[cli]"'
    )


def test_importing_the_sdk_loads_no_part_of_the_command() -> None:
    # httpx imports click and rich itself when they are installed (for its own CLI), so
    # the check is on our modules; the bare run checks that the SDK needs neither.
    code = "import sys, meetbot_sdk; print(sorted(m for m in sys.modules if 'cli' in m))"
    result = subprocess.run(  # noqa: S603 (this interpreter, a fixed command)
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "meetbot_sdk.cli" not in result.stdout


@pytest.mark.parametrize(
    ("argv", "last_line"),
    [
        (  # the key pasted where the URL goes: not echoed
            ["--base-url", SECRET, "analytics"],
            "Error: Invalid value for --base-url: base_url must be an absolute http(s) URL, got"
            f" {len(SECRET)} characters that are not a URL (not shown: perhaps a credential)",
        ),
        (  # inside a URL: redacted
            ["--base-url", f"https://api.meetbot.dev/v1?key={SECRET}", "analytics"],
            "Error: Invalid value for --base-url: base_url must not have a query or fragment,"
            " got 'https://api.meetbot.dev/v1?key=[redacted]'",
        ),
        (  # a malformed key is the key's fault, not the URL's
            ["--api-key", "mb_live two words", "analytics"],
            "Error: Invalid value for --api-key: api_key must be a non-empty string of visible"
            " ASCII characters (no spaces, control or non-ASCII characters), as an HTTP header"
            " value must be; check for a stray quote, newline or a character pasted from a"
            " document",
        ),
    ],
)
def test_a_key_in_the_wrong_option_is_never_echoed(
    account: Account, argv: list[str], last_line: str
) -> None:
    ran = account.run(*argv)  # Ran checks that SECRET is in neither stream
    assert ran.status == 2
    assert ran.err.splitlines()[-1] == last_line
    assert "mb_live two words" not in ran.err
    assert account.fake.requests == []
