"""``meetbot logs --output FILE --checkpoint STATE``: appends, resumes, and stays coherent."""

from __future__ import annotations

import csv
import io
import json
import pathlib

import pytest

from meetbot_sdk import WalkCheckpoint
from meetbot_sdk._walk._checkpoint import account_fingerprint
from tests.cli.support import Account, HeldServer, Ran, ids_of_jsonl, wire_ids

pytestmark = pytest.mark.loopback


def export(account: Account, tmp_path: pathlib.Path, *extra: str, name: str = "logs.jsonl") -> Ran:
    return account.run(
        "logs",
        "--page-size",
        "25",
        "--output",
        str(tmp_path / name),
        "--checkpoint",
        str(tmp_path / f"{name}.state"),
        *extra,
    )


def csv_ids(path: pathlib.Path) -> list[int]:
    return [int(row["id"]) for row in csv.DictReader(io.StringIO(path.read_text()))]


@pytest.mark.parametrize("name", ["logs.jsonl", "logs.csv"])
def test_a_rerun_appends_only_the_logs_that_arrived(
    account: Account, tmp_path: pathlib.Path, name: str
) -> None:
    target = tmp_path / name
    read = csv_ids if name.endswith(".csv") else (lambda path: ids_of_jsonl(path.read_text()))
    first = export(account, tmp_path, "--method", "GET", name=name)
    assert first.status == 0
    expected = wire_ids(account.fake.logs, method="GET")
    assert read(target) == expected
    assert (
        first.err.strip()
        == f"meetbot: wrote {len(expected)} logs to {target} ({len(expected)} in the file)"
    )
    assert "agree" not in first.err
    again = export(account, tmp_path, "--method", "GET", name=name)
    assert again.err.strip().startswith("meetbot: wrote 0 logs")
    new = [log["id"] for log in reversed(account.fake.add_logs(60)) if log["method"] == "GET"]
    export(account, tmp_path, "--method", "GET", name=name)
    assert read(target) == expected + new
    if name.endswith(".csv"):
        assert target.read_text().count("id,method,path") == 1


def test_a_partial_last_line_is_cut_and_written_again(
    account: Account, tmp_path: pathlib.Path
) -> None:
    export(account, tmp_path, "--limit", "60")
    target = tmp_path / "logs.jsonl"
    lines = target.read_text().splitlines(keepends=True)
    # As if killed between writing the next page and saving STATE: a line and a half more.
    extra = '{"id": 1, "method": "GET"}\n{"id": 2, "me'
    with target.open("a") as out:
        out.write(extra)
    ran = export(account, tmp_path)
    assert ran.status == 0
    assert f"cut {len(extra)} bytes written to" in ran.err
    ids = ids_of_jsonl(target.read_text())
    assert ids == wire_ids(account.fake.logs)
    assert target.read_text().startswith("".join(lines))


def test_limit_exports_in_chunks(account: Account, tmp_path: pathlib.Path) -> None:
    sizes = []
    for _ in range(6):
        ran = export(account, tmp_path, "--limit", "90", "--status-code", "200")
        sizes.append(int(ran.err.split("wrote ")[1].split(" log")[0]))
    expected = wire_ids(account.fake.logs, status_code=200)
    assert sum(sizes) == len(expected)
    assert sizes[0] == 90
    assert ids_of_jsonl((tmp_path / "logs.jsonl").read_text()) == expected


@pytest.mark.parametrize(
    ("arrange", "argv", "message"),
    [
        ("file without state", [], "exists but"),
        ("corrupt state", [], "is not a checkpoint of meetbot logs"),
        ("foreign json state", [], "is not a checkpoint of meetbot logs"),
        ("shorter file", [], "is shorter"),
        ("missing file", [], "which is missing"),
        ("done", ["--format", "csv"], "pass --format jsonl"),
        ("done", ["--method", "POST"], "holds a walk with other filters"),
    ],
)
def test_what_cannot_be_resumed_is_a_usage_error(
    account: Account, tmp_path: pathlib.Path, arrange: str, argv: list[str], message: str
) -> None:
    target, state = tmp_path / "logs.jsonl", tmp_path / "logs.jsonl.state"
    if arrange == "file without state":
        target.write_text("{}\n")
    elif arrange == "corrupt state":
        state.write_text("{not json")
    elif arrange == "foreign json state":
        state.write_text(json.dumps({"format": "something else"}))
    else:
        export(account, tmp_path, "--limit", "30")
        if arrange == "shorter file":
            target.write_text(target.read_text()[:-10])
        elif arrange == "missing file":
            target.unlink()
    before = len(account.fake.requests)
    ran = export(account, tmp_path, *argv)
    assert ran.status == 2
    assert message in ran.err
    assert len(account.fake.requests) == before


def test_a_failed_export_leaves_file_and_state_coherent(
    account: Account, tmp_path: pathlib.Path
) -> None:
    account.fake.set_rate_limit(3, per=3600)  # the fourth page is refused for an hour
    failed = export(account, tmp_path)
    assert failed.status == 1
    error, resume = failed.err.strip().splitlines()[-2:]
    assert error.startswith("meetbot: error: ")
    assert "429" in error
    target, state_path = tmp_path / "logs.jsonl", tmp_path / "logs.jsonl.state"
    assert resume == f"meetbot: {target} and {state_path} agree; run the same command to go on"
    assert ids_of_jsonl((tmp_path / "logs.jsonl").read_text()) == wire_ids(account.fake.logs)[:75]
    state = json.loads((tmp_path / "logs.jsonl.state").read_text())
    assert state["logs"] == 75
    assert state["bytes"] == (tmp_path / "logs.jsonl").stat().st_size
    account.fake.clear_faults()
    assert export(account, tmp_path).status == 0
    assert ids_of_jsonl((tmp_path / "logs.jsonl").read_text()) == wire_ids(account.fake.logs)


# --- two runs, hostile files, another account ---------------------------------------------------


def test_a_second_export_on_the_same_state_stops_at_once_naming_the_first(
    account: Account, tmp_path: pathlib.Path
) -> None:
    # Once, both wrote through one temporary name: one died, the other reported success,
    # and FILE ended with a corrupt line and duplicates for good.
    held = HeldServer(account.fake)
    target, state = tmp_path / "logs.jsonl", tmp_path / "logs.jsonl.state"
    argv = ["logs", "--base-url", held.base_url, "--page-size", "25", "--output", str(target)]
    argv += ["--checkpoint", str(state)]
    try:
        first = account.spawn(*argv)
        assert held.arrived.wait(timeout=60)  # its first page is in the server: it holds STATE
        before = len(account.fake.requests)
        second = account.run(*argv)
        assert second.status == 1
        assert second.err == (
            f"Error: {state} is in use by another export (pid {first.pid}): let it finish,"
            " or choose another --checkpoint\n"
        )
        assert len(account.fake.requests) == before  # refused before any request
        held.release()
        _, err = first.communicate(timeout=60)
        assert first.returncode == 0, err
        again = account.run(*argv)  # the lock is let go with the run
    finally:
        held.close()
    expected = wire_ids(account.fake.logs)
    assert ids_of_jsonl(target.read_text()) == expected
    assert (again.status, again.err) == (
        0,
        f"meetbot: wrote 0 logs to {target} ({len(expected)} in the file)\n",
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        ".logs.jsonl.state.lock",
        "logs.jsonl",
        "logs.jsonl.state",
    ]


def test_the_state_is_written_through_a_temporary_file_of_its_own(
    account: Account, tmp_path: pathlib.Path
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    # A link planted at the temporary name every run used to write through.
    (tmp_path / ".logs.jsonl.state.tmp").symlink_to(victim)
    (tmp_path / ".logs.jsonl.state.k2j4h5.tmp").write_text("left by a run killed with -9")
    assert export(account, tmp_path, "--limit", "30").status == 0
    assert victim.read_text() == "precious"
    assert not (tmp_path / ".logs.jsonl.state.k2j4h5.tmp").exists()  # removed under the lock
    assert json.loads((tmp_path / "logs.jsonl.state").read_text())["logs"] == 30


@pytest.mark.parametrize("which", ["--output", "--checkpoint"])
@pytest.mark.parametrize("dangling", [True, False])
def test_a_symlink_as_file_or_state_is_refused(
    account: Account, tmp_path: pathlib.Path, which: str, dangling: bool
) -> None:
    victim = tmp_path / "victim"
    if not dangling:
        victim.write_text("precious")
    link = tmp_path / ("logs.jsonl" if which == "--output" else "logs.jsonl.state")
    link.symlink_to(victim)
    ran = export(account, tmp_path)
    assert ran.status == 2
    assert ran.err.splitlines()[-1] == (
        f"Error: {link} is a symbolic link, and meetbot logs never writes through one"
        f" ({which}): name the file itself"
    )
    assert victim.read_text() == "precious" if not dangling else not victim.exists()
    assert account.fake.requests == []


def test_a_symlink_as_file_is_refused_without_a_state_too(
    account: Account, tmp_path: pathlib.Path
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / "logs.jsonl").symlink_to(victim)
    ran = account.run("logs", "--output", str(tmp_path / "logs.jsonl"))
    assert ran.status == 2
    assert "is a symbolic link, and meetbot logs never writes through one (--output)" in ran.err
    assert victim.read_text() == "precious"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[" * 60_000, "nested deeper than 64 levels"),
        ('{"checkpoint": "' + "x" * 5_000_000 + '"}', "larger than 132096 bytes"),
    ],
)
def test_a_hostile_state_is_a_one_line_usage_error(
    account: Account, tmp_path: pathlib.Path, text: str, reason: str
) -> None:
    state = tmp_path / "logs.jsonl.state"
    state.write_text(text)
    ran = export(account, tmp_path)
    assert ran.status == 2
    assert ran.err.splitlines()[-1] == (
        f"Error: {state} is not a checkpoint of meetbot logs ({reason})"
    )
    assert "Traceback" not in ran.err
    assert account.fake.requests == []


def test_a_state_of_another_account_or_api_is_refused_before_any_request(
    account: Account, tmp_path: pathlib.Path
) -> None:
    # Once, the rerun against a second account exported 1 of its 80 logs and exited 0.
    assert export(account, tmp_path, "--limit", "30").status == 0
    state = tmp_path / "logs.jsonl.state"
    checkpoint = WalkCheckpoint.from_json(json.loads(state.read_text())["checkpoint"])
    before = len(account.fake.requests)
    other_key = export(account, tmp_path, "--api-key", "mb_test_another_account_key")
    assert other_key.status == 2
    assert other_key.err.splitlines()[-1] == (
        f"Error: {state} records an export made with another API key (key fingerprint"
        f" {checkpoint.account}; this key's is"
        f" {account_fingerprint('mb_test_another_account_key')}): pass that key, or start"
        " another export (another --output and --checkpoint)"
    )
    assert "mb_test_another_account_key" not in other_key.err
    other_api = export(account, tmp_path, "--base-url", "http://127.0.0.1:9/v1")
    assert other_api.status == 2
    assert other_api.err.splitlines()[-1] == (
        f"Error: {state} records an export from {account.base_url}, and this run talks to"
        " http://127.0.0.1:9/v1: pass that --base-url, or start another export (another"
        " --output and --checkpoint)"
    )
    assert len(account.fake.requests) == before
