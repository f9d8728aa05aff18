"""Every example runs, and says what it should."""

from __future__ import annotations

import datetime
import importlib.util
import pathlib
import re
from types import ModuleType

import httpx
import pytest

from meetbot_sdk import MeetBot
from meetbot_sdk.testing import FakeMeetBot

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.loopback
def test_demo_runs_against_the_fake_over_loopback(capsys: pytest.CaptureFixture[str]) -> None:
    assert load("demo").main([]) == 0
    out = capsys.readouterr().out
    assert "fake MeetBot server listening at http://127.0.0.1:" in out
    for heading in ("Usage: the last 30d, and all time", "API calls", "by platform", "Webhooks"):
        assert heading in out
    assert "Newest 15 of 5,000 request logs" in out
    assert "API key " in out
    assert re.search(r"Last 7 days: walked [\d,]+ request logs \(each once\) in \d+ pages", out)
    # Counted: analytics (the injected 503 is not), a page, the walk's pages (a page read
    # ahead may be fetched twice while logs arrive), the usage.
    pages = int(re.findall(r"in (\d+) pages", out)[0])
    (left,) = re.findall(r"Rate limit: (\d+) of 60 requests left, window resets at ", out)
    assert 60 - 3 - 2 * pages <= int(left) <= 60 - 3 - pages
    assert "The analytics call was retried once" in out


def test_demo_summary_reports_what_the_server_holds() -> None:
    fake = FakeMeetBot(seed=3, log_count=1_234)
    with MeetBot(
        fake.api_key, http_client=httpx.Client(transport=fake.transport("httpx"))
    ) as client:
        text = load("demo").run(client, period="90d", key_id=2)
    assert "all time 1,234" in text
    assert "Newest 15 of 1,234 request logs" in text
    assert text.count("\n20") >= 15  # fifteen table rows, each starting with a date
    key_2 = sum(1 for log in fake.logs if log["apiKeyId"] == 2)
    assert "API key 2: " in text
    assert f"{key_2:,} in all" in text
    newest = datetime.datetime.fromisoformat(fake.logs[0]["createdAt"].replace("Z", "+00:00"))
    week = [
        log
        for log in fake.logs
        if datetime.datetime.fromisoformat(log["createdAt"].replace("Z", "+00:00"))
        >= newest - datetime.timedelta(days=7)
    ]
    assert f"walked {len(week):,} request logs (each once)" in text
    assert "Rate limit: none announced by the server" in text
    assert "retried" not in text


def test_demo_against_the_real_api_without_a_key_says_what_is_missing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert load("demo").main(["--real"]) == 1
    assert "MEETBOT_API_KEY" in capsys.readouterr().err


def test_demo_help_gives_the_whole_summary(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        load("demo").main(["--help"])
    assert exited.value.code == 0
    summary = " ".join(capsys.readouterr().out.split())
    assert "a walk over every log of the last week, and one key's usage." in summary


@pytest.mark.loopback
def test_cli_demo_appends_only_the_new_logs(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.support import needs_extra

    needs_extra("click")
    assert load("cli_demo").main([]) == 0
    out = capsys.readouterr().out
    assert "$ meetbot analytics --period 7d --format table" in out
    assert "Usage: the last 7d, and all time" in out
    assert "when (UTC)" in out
    first, second = re.findall(
        r"meetbot: wrote ([\d,]+) logs? to posts.csv \(([\d,]+) in the file\)", out
    )
    (posts,) = re.findall(r"400 new requests reach the account, (\d+) of them POSTs", out)
    assert second == (posts, str(int(first[1]) + int(posts)))
    assert f"posts.csv: {second[1]} rows, {second[1]} distinct log ids" in out
    assert "exit status" not in out
