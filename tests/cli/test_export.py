"""``meetbot logs --output FILE --checkpoint STATE``: appends, resumes, and stays coherent."""

from __future__ import annotations

import csv
import io
import json
import pathlib

import pytest

from tests.cli.support import Account, Ran, ids_of_jsonl, wire_ids

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
    assert "429" in failed.err
    assert ids_of_jsonl((tmp_path / "logs.jsonl").read_text()) == wire_ids(account.fake.logs)[:75]
    state = json.loads((tmp_path / "logs.jsonl.state").read_text())
    assert state["logs"] == 75
    assert state["bytes"] == (tmp_path / "logs.jsonl").stat().st_size
    account.fake.clear_faults()
    assert export(account, tmp_path).status == 0
    assert ids_of_jsonl((tmp_path / "logs.jsonl").read_text()) == wire_ids(account.fake.logs)
