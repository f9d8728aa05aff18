"""A fork server for the mutants' test runs: pytest and the libraries the tests use are imported
once, and each run is a fork of that process that imports ``meetbot_sdk`` and the tests afresh.

cosmic-ray runs a test command per mutant, in a fresh process. Most of such a process's time is
spent importing pytest, its plugins, hypothesis and httpx (about 1.5 s of CPU), which no mutant
changes. The driver starts :func:`serve` with none of the package or the tests imported, and
gives cosmic-ray ``python -S tests/mutation/_ask.py SOCKET ARGS`` as the test command: ``_ask``
sends the arguments, the server forks, and the fork runs ``pytest.main(ARGS)`` in the scratch
copy, importing the mutated module from disk as a fresh process would. Its exit code and output
come back to ``_ask``, which exits with that code. If cosmic-ray kills ``_ask`` (its timeout),
the server kills the fork.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import select
import signal
import socket
import sys
import tempfile
import traceback
from typing import Any

# What every test run imports and no mutant changes (never the package nor the tests).
PRELOAD = (
    "pytest",
    "_pytest.pytester",
    "hypothesis",
    "hypothesis.strategies",
    "pytest_httpx",
    "anyio",
    "httpx",
    "httpcore",
    "attrs",
    "cattrs",
    "tenacity",
    "asyncio",
    "json",
    "logging",
    "threading",
    "subprocess",
)


def serve(path: str) -> None:
    """Answer runs on the unix socket ``path`` until stdin closes (the driver ends)."""
    for name in PRELOAD:
        with contextlib.suppress(ImportError):
            __import__(name)
    fresh = ("meetbot_sdk", "tests")  # what every run must import afresh
    assert not any(m.partition(".")[0] in fresh for m in sys.modules)
    # Mutation runs give way to other work, but not so far that a starved test run passes
    # cosmic-ray's timeout (which counts as a kill).
    os.nice(5)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    print("ready", flush=True)
    while True:
        ready, _, _ = select.select([listener, sys.stdin], [], [])
        if sys.stdin in ready:  # the driver closed our stdin: it is done
            return
        connection, _ = listener.accept()
        with connection:
            _answer(connection)


TEST_TIMEOUT = 15  # seconds for one test: 5x the slowest test a core module's list runs
SELECT = "--meetbot-select="  # the driver's coverage map of the module (see _selected)


def _answer(connection: socket.socket) -> None:
    request = json.loads(connection.makefile("r", encoding="utf-8").readline())
    args = [a for a in request["args"] if not a.startswith(SELECT)]
    maps = [a.removeprefix(SELECT) for a in request["args"] if a.startswith(SELECT)]
    first = _selected(maps[0], args) if maps else None
    if first is not None:
        status, output = _run(first, request, connection)
        if status in (1, 2, 3):  # a test failed, or the mutant broke collection: killed
            connection.sendall(f"{status}\n".encode() + output)
            return
    status, output = _run(args, request, connection)  # all the module's tests decide
    with contextlib.suppress(OSError):  # _ask may be gone (killed at its timeout)
        connection.sendall(f"{status}\n".encode() + output)


def _selected(path: str, args: list[str]) -> list[str] | None:
    """``args`` with the test files replaced by the tests that ran the mutated statement, or
    ``None`` where all must run.

    The map (written by the driver from a coverage run of the module's tests with a context
    per test) holds the module's original text and, per line, the tests that ran it. The
    mutated statement is the innermost one holding the first changed line. Statements run at
    import time, and statements no test ran, get no selection: all tests run. The selection
    only orders the work: a mutant the selected tests do not kill runs against all of them.
    """
    with open(path, encoding="utf-8") as f:
        coverage_map = json.load(f)
    with open(coverage_map["module"], encoding="utf-8") as f:
        mutated = f.read().splitlines()
    original = coverage_map["original"].splitlines()
    changed = next(
        (i + 1 for i, (a, b) in enumerate(zip(original, mutated, strict=False)) if a != b), None
    )
    if changed is None:
        return None
    statements = [
        node
        for node in ast.walk(ast.parse(coverage_map["original"]))
        if isinstance(node, ast.stmt) and node.lineno <= changed <= (node.end_lineno or 0)
    ]
    if not statements:
        return None
    innermost = max(statements, key=lambda node: node.lineno)
    tests = coverage_map["lines"].get(str(innermost.lineno))
    if not tests or "" in tests:  # no test ran it, or it runs at import: all tests
        return None
    files = coverage_map["files"]
    ordered = sorted(tests, key=lambda t: (files.index(t.partition("::")[0]), t))
    return [a for a in args if a not in files] + ordered


def _run(args: list[str], request: dict[str, Any], connection: socket.socket) -> tuple[int, bytes]:
    """One pytest run of ``args`` in a fork: its exit code and output."""
    with tempfile.TemporaryFile() as output:
        pid = os.fork()
        if pid == 0:  # the fork: one test run, then exit without returning to the server loop
            code = 3
            try:
                os.dup2(output.fileno(), 1)
                os.dup2(output.fileno(), 2)
                os.chdir(request["cwd"])
                sys.path.insert(0, request["cwd"])  # as `python -m pytest` puts the cwd first
                sys.dont_write_bytecode = True  # as cosmic-ray's own runs (stale .pyc of a mutant)
                os.environ.update(request["env"])
                import pytest  # imported already: the server preloaded it

                # The preloaded plugins cannot be assertion-rewritten any more, which pytest
                # warns of (an error under the suite's filterwarnings); only their own asserts
                # would have been, never the tests'.
                quiet = ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
                # A mutant that makes a test hang fails that test (pytest-timeout), instead of
                # holding the whole run until cosmic-ray's own timeout.
                hang = [f"--timeout={TEST_TIMEOUT}"]
                code = int(pytest.main([*quiet, *hang, *args]))
            except BaseException:  # the run itself failed: say why, as a fresh process would
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        status = _wait(pid, connection)
        output.seek(0)
        return status, output.read()


def _wait(pid: int, connection: socket.socket) -> int:
    """The fork's exit code; kill it if ``_ask`` goes away first (cosmic-ray's timeout)."""
    process = os.pidfd_open(pid)
    try:
        ready, _, _ = select.select([process, connection.fileno()], [], [])
        if process not in ready:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(process)
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1


if __name__ == "__main__":
    serve(sys.argv[1])
