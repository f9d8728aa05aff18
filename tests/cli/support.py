"""Running ``meetbot`` as a user does: in this process through ``main()``, or as a subprocess,
against a fake served on loopback."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import attrs
import httpx
import pytest

from meetbot_sdk.testing import FakeMeetBot

SECRET = "mb_test_cli_secret_4f1d7a"
"""The key the CLI tests use: it must appear in no output."""


@attrs.frozen
class Ran:
    status: int
    out: str
    err: str

    def assert_key_hidden(self) -> None:
        assert SECRET not in self.out
        assert SECRET not in self.err


class Account:
    """A fake with the CLI tests' key, served on loopback; ``run`` calls ``main()``."""

    def __init__(self, fake: FakeMeetBot, base_url: str, capsys: pytest.CaptureFixture[str]):
        self.fake, self.base_url, self._capsys = fake, base_url, capsys

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "MEETBOT_API_KEY": SECRET, "MEETBOT_BASE_URL": self.base_url}

    def run(self, *argv: str) -> Ran:
        from meetbot_sdk.cli import main

        self._capsys.readouterr()
        status = main(list(argv))
        captured = self._capsys.readouterr()
        ran = Ran(status, captured.out, captured.err)
        ran.assert_key_hidden()
        return ran

    def spawn(self, *argv: str, **options: Any) -> subprocess.Popen[str]:
        streams: dict[str, Any] = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
        return subprocess.Popen(  # noqa: S603 (this interpreter, our command)
            [sys.executable, "-m", "meetbot_sdk", *argv],
            env=self.env,
            text=True,
            **{**streams, **options},
        )


def serve(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], **fake_options: Any
) -> Iterator[Account]:
    fake = FakeMeetBot(api_key=SECRET, **fake_options)
    with fake.serve() as base_url:
        monkeypatch.setenv("MEETBOT_API_KEY", SECRET)
        monkeypatch.setenv("MEETBOT_BASE_URL", base_url)
        yield Account(fake, base_url, capsys)


def ids_of_jsonl(text: str) -> list[int]:
    import json

    return [json.loads(line)["id"] for line in text.splitlines()]


def wire_ids(logs: Sequence[dict[str, Any]], **where: Any) -> list[int]:
    names = {"method": "method", "status_code": "statusCode"}
    return [log["id"] for log in logs if all(log[names[k]] == v for k, v in where.items())]


class HeldServer:
    """The fake on loopback, whose first request waits in the server until :meth:`release`
    (``arrived`` is set once it is there): a run of ``meetbot`` caught mid-export."""

    def __init__(self, fake: FakeMeetBot) -> None:
        self.arrived, self._released = threading.Event(), threading.Event()
        held = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if not held.arrived.is_set():
                    held.arrived.set()
                    held._released.wait(timeout=60)
                answer = fake.handle(
                    httpx.Request("GET", f"http://fake{self.path}", headers=dict(self.headers))
                )
                self.send_response(answer.status_code)
                for name, value in answer.headers.items():
                    if name.lower() not in {"content-length", "transfer-encoding", "connection"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def release(self) -> None:
        self._released.set()

    def close(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
