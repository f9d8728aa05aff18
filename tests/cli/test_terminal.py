"""What only a terminal shows, and what Ctrl-C does while a batch is being written."""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
from typing import Any

import pytest

from meetbot_sdk.testing import Fault
from tests.cli.support import SECRET, Account, ids_of_jsonl, wire_ids


def test_ctrl_c_while_writing_waits_for_the_batch_to_end() -> None:
    from meetbot_sdk.cli._interrupts import Interrupts, shielded

    interrupts = Interrupts.install()
    written = []

    def write_batch() -> None:
        with shielded():
            os.kill(os.getpid(), signal.SIGINT)
            written.append("the rest of the batch")

    try:
        with pytest.raises(KeyboardInterrupt):
            write_batch()
    finally:
        interrupts.uninstall()
    assert written == ["the rest of the batch"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    interrupts = Interrupts.install()
    try:
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)  # outside a batch: at once
    finally:
        interrupts.uninstall()


class _ExitedAtOnceError(Exception):
    pass


def test_a_second_ctrl_c_during_the_clean_up_exits_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from meetbot_sdk.cli import _interrupts

    def exit_at_once() -> None:
        raise _ExitedAtOnceError

    monkeypatch.setattr(_interrupts, "_exit_at_once", exit_at_once)
    interrupts = _interrupts.Interrupts.install()
    try:
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
        with pytest.raises(_ExitedAtOnceError):  # the clean-up of the first is running
            os.kill(os.getpid(), signal.SIGINT)
    finally:
        interrupts.uninstall()


def test_a_long_export_shows_progress_on_a_terminal(
    account: Account, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from meetbot_sdk.cli import _logs

    monkeypatch.setattr(_logs, "_PROGRESS_AFTER_SECONDS", 0.0)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    ran = account.run("logs", "--page-size", "50", "--output", str(tmp_path / "all.jsonl"))
    assert ran.status == 0
    assert "exporting logs" in ran.err
    assert ran.err.rstrip().endswith(
        f"meetbot: wrote 400 logs to {tmp_path / 'all.jsonl'} (400 in the file)"
    )


def test_a_quick_export_shows_no_progress(
    account: Account, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    ran = account.run("logs", "--limit", "5", "--output", str(tmp_path / "few.csv"))
    assert "exporting logs" not in ran.err


def test_without_click_main_prints_the_install_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from meetbot_sdk import cli

    monkeypatch.setitem(sys.modules, "click", None)  # as if not installed
    assert cli.main(["logs"]) == 2
    assert capsys.readouterr().err == (
        "meetbot: The meetbot command needs the optional 'click' package. "
        'Install it with: pip install "meetbot-sdk[cli]"\n'
    )


def test_serve_fake_prints_the_environment_and_stops_when_told() -> None:
    import io
    import threading

    import httpx

    from meetbot_sdk.testing._serve import serve_fake

    out, stop = io.StringIO(), threading.Event()
    server = threading.Thread(
        target=serve_fake, args=(out,), kwargs={"log_count": 12, "stop": stop}
    )
    server.start()
    try:
        for _ in range(500):
            if out.getvalue().count("\n") == 2:
                break
            stop.wait(0.01)
        lines = dict(
            line.removeprefix("export ").split("=", 1) for line in out.getvalue().splitlines()
        )
        assert lines["MEETBOT_BASE_URL"].startswith("http://127.0.0.1:")
        headers = {"Authorization": f"Bearer {lines['MEETBOT_API_KEY']}"}
        url = lines["MEETBOT_BASE_URL"] + "/users/me/api-logs"
        assert httpx.get(url, headers=headers).json()["total"] == 12
    finally:
        stop.set()
        server.join(10)
    assert not server.is_alive()


# --- tables: every character, at any width --------------------------------------------------

_ROW_START = re.compile(r"^\d{4}-\d\d-\d\d ")


def _log_rows(out: str) -> tuple[list[str], list[dict[str, str]]]:
    """The table's lines, and its rows with each cell's wrapped lines joined: as they are
    (a value without spaces is folded anywhere), but the key's with a space (its names are
    words, wrapped between them)."""
    lines = out.splitlines()
    header = lines[0]
    names = ["when (UTC)", "method", "status", "ms", "key", "path"]
    starts = [header.index(name) for name in names]
    # right-justified headers end where their column ends: take the column from the gap
    bounds = [0, starts[1], starts[1] + len("OPTIONS") + 2, header.index("status") + 8]
    bounds += [starts[4], starts[5], 10_000]
    rows: list[dict[str, list[str]]] = []
    for line in lines[1:]:
        if _ROW_START.match(line):
            rows.append({name: [] for name in names})
        cells = [line[bounds[i] : bounds[i + 1]].strip() for i in range(len(names))]
        for name, cell in zip(names, cells, strict=True):
            if cell:
                rows[-1][name].append(cell)
    joined = [
        {name: (" " if name == "key" else "").join(parts) for name, parts in row.items()}
        for row in rows
    ]
    return lines, joined


@pytest.mark.parametrize("width", [80, 120])
def test_the_log_table_keeps_every_character_at_any_width(
    account: Account, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    ran = account.run("logs", "--format", "table", "--limit", "40", "--page-size", "15")
    assert ran.status == 0
    lines, rows = _log_rows(ran.out)
    assert max(len(line) for line in lines) <= width
    assert lines[0].startswith("when (UTC)")  # the time first
    expected = account.fake.logs[:40]
    assert len(rows) == len(expected)
    longest = max(len(log["path"]) for log in expected)
    assert width > 80 or longest > 19  # at 80 columns some paths do wrap
    for row, log in zip(rows, expected, strict=True):
        when = datetime.datetime.fromisoformat(log["createdAt"].replace("Z", "+00:00"))
        assert row["when (UTC)"] == f"{when:%Y-%m-%d %H:%M:%S}"
        assert row["method"] == log["method"]
        assert row["status"] == str(log["statusCode"])
        assert row["ms"] == str(log["responseTimeMs"])
        assert row["path"] == log["path"]
        key = log["apiKeyName"] or "(access token)"
        assert row["key"] == key


# --- what the server sends is shown, never acted on -----------------------------------------

HOSTILE = (
    "/x[/][/bold][red]red[/red][link=https://evil.example]click[/link]:smile:"
    "\x1b[2J\x1b]0;owned\x07\x1b]8;;https://evil.example\x1b\\\\here\x1b]8;;\x1b\\\\"
    "\x9b31m\u202eabc\u200b"
)
HOSTILE_SHOWN = (
    "/x[/][/bold][red]red[/red][link=https://evil.example]click[/link]:smile:"
    "\\x1b[2J\\x1b]0;owned\\x07\\x1b]8;;https://evil.example\\x1b\\\\here\\x1b]8;;\\x1b\\\\"
    "\\x9b31m\\u202eabc\\u200b"
)
HOSTILE_KEY = "[red]K\x1b[5m"
HOSTILE_KEY_SHOWN = "[red]K\\x1b[5m"
_RAW = ("\x1b", "\x9b", "\u202e", "\u200b", "\x07")


def _wire(account: Account, path: str) -> Any:
    import httpx

    headers = {"Authorization": f"Bearer {SECRET}"}
    return httpx.get(account.base_url + path, headers=headers).json()


def _serve_once(account: Account, path: str, document: object, status: int = 200) -> None:
    account.fake.inject(Fault.status(status, json=document), path=path)


def _hostile_logs_page(account: Account) -> dict[str, Any]:
    log = {**account.fake.logs[0], "path": HOSTILE, "apiKeyName": HOSTILE_KEY, "method": "GET"}
    return {"logs": [log], "total": 1, "page": 1, "page_size": 100}


def test_the_log_table_shows_markup_and_control_characters_literally(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    _serve_once(account, "/users/me/api-logs", _hostile_logs_page(account))
    ran = account.run("logs", "--format", "table")
    assert ran.status == 0, ran.err
    assert HOSTILE_SHOWN in ran.out
    assert HOSTILE_KEY_SHOWN in ran.out
    assert not any(char in ran.out for char in _RAW)


def test_analytics_and_key_usage_tables_show_server_text_literally(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    analytics = _wire(account, "/users/me/analytics?period=7d")
    analytics["bots"]["platformBreakdown"] = {HOSTILE: 3}
    analytics["bots"]["statusBreakdown"] = {"[/bold]": 1}
    _serve_once(account, "/users/me/analytics", analytics)
    ran = account.run("analytics", "--period", "7d", "--format", "table")
    assert ran.status == 0, ran.err
    assert f"{HOSTILE_SHOWN} 3" in ran.out
    assert "[/bold] 1" in ran.out
    usage = _wire(account, "/api-keys/2/usage")
    usage["recentRequests"][0]["path"] = HOSTILE
    usage["recentRequests"][0]["method"] = HOSTILE_KEY
    _serve_once(account, "/api-keys/2/usage", usage)
    ran = account.run("key-usage", "2", "--format", "table")
    assert ran.status == 0, ran.err
    assert HOSTILE_SHOWN in ran.out
    assert not any(char in ran.out for char in _RAW)


def test_an_error_from_the_server_is_shown_literally(account: Account) -> None:
    _serve_once(account, "/api-keys/3/usage", {"detail": HOSTILE}, status=404)
    ran = account.run("key-usage", "3")
    assert ran.status == 1
    assert ran.err == f"meetbot: error: 404 Not Found: {HOSTILE_SHOWN} (request_id=req_1)\n"


def test_json_and_jsonl_escape_control_characters_and_keep_the_data(account: Account) -> None:
    for form in ("jsonl", "json"):
        _serve_once(account, "/users/me/api-logs", _hostile_logs_page(account))
        ran = account.run("logs", "--format", form)
        assert ran.status == 0, ran.err
        assert not any(char in ran.out for char in _RAW)
        assert "\\u202e" in ran.out
        document = json.loads(ran.out) if form == "json" else [json.loads(ran.out)]
        assert document[0]["path"] == HOSTILE
        assert document[0]["api_key_name"] == HOSTILE_KEY


def test_csv_on_a_terminal_shows_control_characters_escaped(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    _serve_once(account, "/users/me/api-logs", _hostile_logs_page(account))
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    ran = account.run("logs", "--format", "csv")
    assert not any(char in ran.out for char in _RAW)
    assert HOSTILE_SHOWN in ran.out
    _serve_once(account, "/users/me/api-logs", _hostile_logs_page(account))
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    piped = account.run("logs", "--format", "csv")
    (row,) = csv.DictReader(io.StringIO(piped.out))
    assert row["path"] == HOSTILE  # as received


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain /api/v1/bots", "plain /api/v1/bots"),
        ("tab\there", "tab\\x09here"),
        ("line\nbreak\r", "line\\x0abreak\\x0d"),
        ("del\x7f c1\x85\x9b", "del\\x7f c1\\x85\\x9b"),
        ("bidi \u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069", None),
        ("zero\u200b\u200c\u200d\u2060\ufeff width", None),
        ("separators \u2028\u2029", "separators \\u2028\\u2029"),
        ("lone \ud800 surrogate", "lone \\ud800 surrogate"),
        ("tag \U000e0041", "tag \\U000e0041"),
        ("kept: é ü 漢字 🙂 \u00a0nbsp \ue000", "kept: é ü 漢字 🙂 \u00a0nbsp \ue000"),
    ],
)
def test_visible_escapes_what_a_terminal_would_act_on(text: str, shown: str | None) -> None:
    from meetbot_sdk.cli._literal import json_visible, visible

    result = visible(text)
    if shown is not None:
        assert result == shown
    assert result.isprintable() or all(
        char.isprintable() or char in "\u00a0\ue000" for char in result
    )
    encoded = json_visible(json.dumps(text, ensure_ascii=False))
    assert json.loads(encoded) == text
    assert all(char.isprintable() or char in "\u00a0\ue000" for char in encoded)


# --- a terminal shows the newest 50, and says how to see more --------------------------------


def test_on_a_terminal_logs_shows_the_newest_50_and_how_to_see_more(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    ran = account.run("logs", "--format", "jsonl")
    assert ran.status == 0
    assert ids_of_jsonl(ran.out) == wire_ids(account.fake.logs)[:50]
    assert ran.err == (
        "meetbot: 350 more logs not shown (of 400); see them with --limit N or --all\n"
    )
    every = account.run("logs", "--format", "jsonl", "--all")
    assert ids_of_jsonl(every.out) == wire_ids(account.fake.logs)
    assert every.err == ""
    some = account.run("logs", "--format", "jsonl", "--limit", "70")
    assert len(some.out.splitlines()) == 70
    assert some.err == ""
    few = account.run("logs", "--format", "jsonl", "--status-code", "500")
    assert len(few.out.splitlines()) == len(wire_ids(account.fake.logs, status_code=500)) < 50
    assert few.err == ""


def test_piped_logs_streams_every_log(account: Account) -> None:
    ran = account.run("logs", "--format", "jsonl")
    assert ids_of_jsonl(ran.out) == wire_ids(account.fake.logs)
    assert ran.err == ""


# --- colour: --no-color and NO_COLOR ---------------------------------------------------------

_RED = "\x1b[31m"


@pytest.mark.parametrize("how", ["flag", "flag after the command", "NO_COLOR"])
def test_no_color_and_NO_COLOR_take_the_colour_out(  # noqa: N802 (the variable's name)
    account: Account, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv("TERM", "xterm-256color")
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    argv = ["logs", "--status-code", "500", "--limit", "3"]
    coloured = account.run(*argv)
    assert _RED in coloured.out  # 5xx in red
    if how == "flag":
        plain = account.run("--no-color", *argv)
    elif how == "flag after the command":
        plain = account.run(*argv, "--no-color")
    else:
        monkeypatch.setenv("NO_COLOR", "1")
        plain = account.run(*argv)
    assert plain.status == 0
    assert "\x1b[3" not in plain.out  # no foreground colour at all
    assert "500" in plain.out


# --- a second Ctrl-C ---------------------------------------------------------------------------


def test_a_second_ctrl_c_with_read_ahead_exits_130_quietly(account: Account) -> None:
    # The first page at once, then slow ones: read-ahead requests are on the wire when
    # Ctrl-C comes, and the clean-up waits for them.
    slow = [Fault.delay(1.5)] * 12
    account.fake.inject(Fault.delay(0), *slow, path="/users/me/api-logs")
    process = account.spawn("logs", "--page-size", "5", "--concurrency", "4")
    assert process.stdout is not None
    process.stdout.readline()
    err = ""
    for _ in range(6):  # Ctrl-C, and again while it cleans up (two close ones count once)
        process.send_signal(signal.SIGINT)
        try:
            err = process.communicate(timeout=0.3)[1]
            break
        except subprocess.TimeoutExpired:
            continue
    else:
        err = process.communicate(timeout=30)[1]
    # 130 after one Ctrl-C that found it waiting; killed by SIGINT (a shell's 130) by a
    # second one during the clean-up
    assert process.returncode in (130, -signal.SIGINT)
    assert "Exception ignored" not in err
    assert "Traceback" not in err
    assert err.strip().endswith("meetbot: interrupted")
