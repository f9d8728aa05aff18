"""Mutation testing of the core modules with cosmic-ray: ``make mutate`` (on demand, never in
``make test``).

cosmic-ray makes the mutants (every comparison, operator, boolean, number, exception and loop it
knows), writes each into the module on disk, runs the module's tests in a fresh process and
restores the file. This driver only does what cosmic-ray leaves to its users: it runs cosmic-ray
in a scratch copy of the repository (so the working tree is never touched), once per core module
with that module's tests (``tests/mutation/cosmic-ray.toml``), marks the mutants listed as
equivalent in ``tests/mutation/equivalents.md`` as skipped before they run (a filter over the
session database, as cosmic-ray's own filters do), and prints a score per module with every
survivor.

Usage::

    python -m tests.mutation [MODULE ...] [--max N] [--seed S] [--line N] [--keep DIR] [--list]
    python -m tests.mutation [MODULE ...] --report DIR

``MODULE`` is a core module's name (``_window``) or path under ``meetbot_sdk/``; none means all.
``--max`` samples that many mutants per module (a fixed ``--seed`` gives the same sample);
``--line`` runs only the mutants of the lines it names (with one module: a survivor's new test).
``--report DIR`` scores again the sessions a run kept in ``DIR`` (``--keep``), with today's
equivalents, running nothing.

A mutant's key names it by the function or class around it (cosmic-ray's definition name) and
the line before and after the change, not by a line number, so keys in the equivalents file hold
while code moves: ``_retry:backoff 'exponent = min(attempt, 16)' -> 'exponent = min(attempt, 17)'``.
A key that repeats is told apart by ``(#2)``, ``(#3)``... in source order. Keys listed as
equivalent that match no mutant any more are reported as *stale*.
"""

from __future__ import annotations

import argparse
import ast
import compileall
import contextlib
import difflib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import coverage
import tomllib
from cosmic_ray.mutating import mutate_code
from cosmic_ray.plugins import get_operator
from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import MutationSpec, TestOutcome, WorkerOutcome, WorkResult

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CONFIG = HERE / "cosmic-ray.toml"
EQUIVALENTS = HERE / "equivalents.md"


def core_modules() -> dict[str, list[str]]:
    """Each core module's path under ``meetbot_sdk/`` and the test files that exercise it."""
    with CONFIG.open("rb") as f:
        modules: dict[str, list[str]] = tomllib.load(f)["meetbot"]["modules"]
    return modules


def excluded_operators() -> list[str]:
    """The operators left out (patterns of their names): cosmic-ray's own filter setting."""
    with CONFIG.open("rb") as f:
        config = tomllib.load(f)["cosmic-ray"]
    patterns: list[str] = config["filters"]["operators-filter"]["exclude-operators"]
    return patterns


def equivalents() -> dict[str, str]:
    """Keys listed in the equivalents file (lines ``- `KEY` — why``) and their reasons."""
    listed = {}
    for line in EQUIVALENTS.read_text(encoding="utf-8").splitlines():
        if line.startswith("- `") and "` — " in line:
            key, why = line[3:].split("` — ", 1)
            listed[key] = why
    return listed


class Mutant(NamedTuple):
    job_id: str
    key: str
    line: int
    # Why it is not counted: it changes only what type checkers read (see _run_time_shape),
    # or cosmic-ray cannot write it; None for a mutant of behaviour.
    not_counted: str | None


_NO_DEFAULT = ast.Name(id="<no default>")


def _run_time_shape(code: str) -> str:
    """The module's syntax tree without what only type checkers read, so that a mutant that
    changes only that is not counted as a mutant of behaviour:

    - functions' argument and return annotations: under ``from __future__ import
      annotations`` (every core module) they are strings nobody evaluates;
    - which parameters are positional-only or keyword-only (``*`` made ``/``): every caller in
      the package passes them as the signature asks, and a call the marker would refuse is a
      type error under ``mypy --strict``; the core modules are private;
    - ``if TYPE_CHECKING:`` made ``if not TYPE_CHECKING:`` over a block of imports only: the
      imports, of names used only in annotations, then also run; and any change inside an
      ``if TYPE_CHECKING:`` block, which never runs.
    """
    tree = ast.parse(code)
    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            node.annotation = None
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.returns = None
        elif isinstance(node, ast.arguments):
            positional = [*node.posonlyargs, *node.args]
            defaults: list[ast.expr] = [_NO_DEFAULT] * (len(positional) - len(node.defaults))
            defaults += node.defaults
            defaults += [d or _NO_DEFAULT for d in node.kw_defaults]
            node.posonlyargs, node.args, node.kwonlyargs = [], [*positional, *node.kwonlyargs], []
            node.defaults, node.kw_defaults = defaults, []
        elif isinstance(node, ast.If) and not node.orelse:
            test = node.test
            if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
                test = test.operand
            imports_only = all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in node.body)
            if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
                if node.test is test:  # the block itself never runs
                    node.body = [ast.Pass()]
                elif imports_only:
                    node.test = test
    return ast.dump(tree)


def _keys(module: str, source: str, items: list[tuple[str, MutationSpec]]) -> list[Mutant]:
    """Name each mutant by its scope and the line it changes (see the module docstring)."""
    original = source.splitlines()
    found: list[Mutant] = []
    seen: Counter[str] = Counter()
    plain = _run_time_shape(source)
    for job_id, spec in sorted(items, key=lambda item: (item[1].start_pos, item[1].occurrence)):
        operator = get_operator(spec.operator_name)(**spec.operator_args)
        try:
            mutated = mutate_code(source, operator, spec.occurrence)
        except Exception:  # cosmic-ray fails on some syntax; its own run reports that mutant
            mutated = None
        before, after = "?", "?"
        not_counted = None if mutated is not None else "cosmic-ray cannot write it"
        if mutated is not None:
            with contextlib.suppress(SyntaxError):
                if _run_time_shape(mutated) == plain:
                    not_counted = "static only"
            changed = difflib.SequenceMatcher(None, original, mutated.splitlines()).get_opcodes()
            for tag, i1, i2, j1, j2 in changed:
                if tag != "equal":
                    before = " ".join(s.strip() for s in original[i1:i2])
                    after = " ".join(s.strip() for s in mutated.splitlines()[j1:j2])
                    break
        base = f"{module}:{spec.definition_name or '<module>'} {before!r} -> {after!r}"
        seen[base] += 1
        key = base if seen[base] == 1 else f"{base} (#{seen[base]})"
        found.append(Mutant(job_id, key, spec.start_pos[0], not_counted))
    return found


class Score(NamedTuple):
    module: str
    mutants: int
    tested: int
    killed: int
    equivalent: int
    survivors: list[Mutant]

    @property
    def percent(self) -> float:
        scored = self.tested - self.equivalent
        return 100.0 if scored == 0 else 100.0 * self.killed / scored


def _skip(db: WorkDB, job_id: str, why: str) -> None:
    db.set_result(job_id, WorkResult(output=why, worker_outcome=WorkerOutcome.SKIPPED))


def _filter(
    session: Path,
    module: str,
    source: str,
    *,
    limit: int | None,
    seed: int,
    listed: dict[str, str],
    lines: set[int] | None = None,
) -> tuple[list[Mutant], list[Mutant]]:
    """Mark as skipped, before anything runs, the mutants that change only annotations, those
    left out of a sample, and those listed as equivalent; return all mutants and those of
    behaviour."""
    with use_db(str(session)) as db:
        unused = [re.compile(pattern) for pattern in excluded_operators()]
        items = [
            (item.job_id, item.mutations[0])
            for item in db.pending_work_items
            if not any(p.match(item.mutations[0].operator_name) for p in unused)
        ]
        for item in db.pending_work_items:
            if any(p.match(item.mutations[0].operator_name) for p in unused):
                _skip(db, item.job_id, "operator not used")
        mutants = _keys(module, source, items)
        behaviour = [m for m in mutants if not m.not_counted]
        sample = [m for m in behaviour if lines is None or m.line in lines]
        if limit is not None:
            sample = random.Random(seed).sample(sample, min(limit, len(sample)))  # noqa: S311
        chosen = {m.job_id for m in sample}
        for mutant in mutants:
            if mutant.not_counted:
                _skip(db, mutant.job_id, mutant.not_counted)
            elif mutant.job_id not in chosen:
                _skip(db, mutant.job_id, "not sampled")
            elif mutant.key in listed:
                _skip(db, mutant.job_id, "equivalent")
    return mutants, behaviour


def run_module(
    path: str,
    tests: list[str],
    scratch: Path,
    limit: int | None,
    seed: int,
    *,
    server: str = "",
    dry: bool = False,
    lines: set[int] | None = None,
) -> Score:
    module = Path(path).stem
    target = Path("meetbot_sdk") / path
    config = scratch / f"{module}.toml"
    session = scratch / f"{module}.sqlite"
    test_files = " ".join(f"tests/{t}" for t in tests)
    select = _coverage_map(target, [f"tests/{t}" for t in tests], scratch) if not dry else ""
    config.write_text(
        CONFIG.read_text(encoding="utf-8")
        .replace('module-path = ""', f'module-path = "{target}"')
        .replace(
            'test-command = ""',
            f'test-command = "{sys.executable} -S {HERE / "_ask.py"} {server} {select}'
            f'-x -q -p no:cacheprovider {test_files}"',
        ),
        encoding="utf-8",
    )
    cosmic_ray = [sys.executable, "-m", "cosmic_ray.cli"]
    # our own interpreter and arguments
    subprocess.run([*cosmic_ray, "init", str(config), str(session)], cwd=scratch, check=True)  # noqa: S603

    listed = equivalents()
    source = (scratch / target).read_text(encoding="utf-8")
    mutants, behaviour = _filter(
        session, module, source, limit=limit, seed=seed, listed=listed, lines=lines
    )
    current = {m.key for m in mutants}
    for key in sorted(k for k in listed if k.startswith(f"{module}:") and k not in current):
        print(f"  stale equivalent (matches no mutant today): {key}", flush=True)
    if dry:  # --list: name the mutants, run none
        for mutant in sorted(behaviour, key=lambda m: m.line):
            mark = "equivalent" if mutant.key in listed else "mutant"
            print(f"  {mark} [line {mutant.line}]: {mutant.key}", flush=True)
        return Score(module, len(behaviour), 0, 0, 0, [])

    exec_ = ["nice", "-n", "19", *cosmic_ray, "exec", str(config), str(session)]
    subprocess.run(exec_, cwd=scratch, check=True)  # noqa: S603 (nice, on PATH everywhere)
    return _score(module, session, mutants, listed)


def _score(module: str, session: Path, mutants: list[Mutant], listed: dict[str, str]) -> Score:
    """The score of the mutants of ``module`` that ran in ``session``: a mutant listed as
    equivalent counts as such even if it ran (the list may be newer than the run), one that
    changes only what type checkers read not at all."""
    killed, equivalent, survivors = 0, 0, []
    by_id = {m.job_id: m for m in mutants if not m.not_counted}
    with use_db(str(session)) as db:
        for item, result in db.completed_work_items:
            mutant = by_id.get(item.job_id)
            if mutant is None:  # an operator left out (see excluded_operators), not counted
                continue
            if mutant.key in listed:
                equivalent += 1
            elif result.worker_outcome == WorkerOutcome.SKIPPED:
                continue
            elif result.test_outcome == TestOutcome.SURVIVED:
                survivors.append(mutant)
            else:  # killed, or incompetent (the mutant does not even import): not a survivor
                killed += 1
    return Score(
        module,
        len(by_id),
        killed + equivalent + len(survivors),
        killed,
        equivalent,
        sorted(survivors, key=lambda m: m.line),
    )


def report(path: str, scratch: Path) -> Score:
    """Score a module's finished session in ``scratch`` (a ``--keep`` folder) again, with
    today's equivalents and rules, running nothing."""
    module = Path(path).stem
    # The module as it was before any mutant (the file itself may hold one, mid-run).
    coverage_map = scratch / f"{module}.select.json"
    if coverage_map.exists():
        source = json.loads(coverage_map.read_text(encoding="utf-8"))["original"]
    else:
        source = (scratch / "meetbot_sdk" / path).read_text(encoding="utf-8")
    unused = [re.compile(pattern) for pattern in excluded_operators()]
    with use_db(str(scratch / f"{module}.sqlite")) as db:
        items = [
            (item.job_id, item.mutations[0])
            for item in db.work_items
            if not any(p.match(item.mutations[0].operator_name) for p in unused)
        ]
    return _score(module, scratch / f"{module}.sqlite", _keys(module, source, items), equivalents())


def _coverage_map(target: Path, files: list[str], scratch: Path) -> str:
    """Run the module's tests once on the unmutated copy with coverage, one context per test,
    and write, for the fork server, which tests ran each line of ``target``; the server's
    option that names the map (a space-terminated argument of the test command)."""
    data_file = scratch / f"{target.stem}.coverage"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"]
    command += ["--cov=meetbot_sdk", "--cov-context=test", "--cov-report=", "--cov-fail-under=0"]
    command += files
    env = {**os.environ, "COVERAGE_FILE": str(data_file)}
    baseline = subprocess.run(  # noqa: S603 (our own interpreter and pytest)
        command, cwd=scratch, env=env, capture_output=True, text=True, check=False
    )
    if baseline.returncode != 0:
        raise SystemExit(f"the tests of {target} fail before any mutation:\n{baseline.stdout}")
    data = coverage.CoverageData(basename=str(data_file))
    data.read()
    measured = next(
        f for f in data.measured_files() if Path(f).resolve() == (scratch / target).resolve()
    )
    lines = {
        str(line): sorted({context.partition("|")[0] for context in contexts})
        for line, contexts in data.contexts_by_lineno(measured).items()
    }
    source = (scratch / target).read_text(encoding="utf-8")
    path = scratch / f"{target.stem}.select.json"
    document = {"module": str(target), "original": source, "files": files, "lines": lines}
    path.write_text(json.dumps(document), encoding="utf-8")
    return f"--meetbot-select={path} "


@contextlib.contextmanager
def _fork_server(scratch: Path) -> Iterator[str]:
    """Start ``_forkserver.py`` (see there) on a socket in ``scratch``; its path."""
    path = str(scratch / "forkserver.sock")
    server = subprocess.Popen(  # noqa: S603 (our own interpreter and script)
        [sys.executable, str(HERE / "_forkserver.py"), path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    assert server.stdin is not None
    if server.stdout.readline().strip() != "ready":
        raise RuntimeError("the mutation fork server did not start")
    try:
        yield path
    finally:
        server.stdin.close()  # the server ends when its stdin closes
        server.wait(timeout=60)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.mutation", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("modules", nargs="*", help="core modules (e.g. _window); default: all")
    parser.add_argument("--max", type=int, default=None, help="sample this many mutants per module")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--line",
        type=int,
        action="append",
        help="run only the mutants of this line (repeatable): to check a survivor's new test",
    )
    parser.add_argument("--list", action="store_true", help="list the mutants and run none")
    parser.add_argument(
        "--keep", type=Path, default=None, help="keep the scratch copy and sessions here"
    )
    parser.add_argument(
        "--report",
        type=Path,
        default=None,
        help="score again the sessions kept in this folder (by --keep), running nothing",
    )
    args = parser.parse_args(argv)

    table = core_modules()
    wanted = args.modules or list(table)
    unknown = [m for m in wanted if not any(m in (p, Path(p).stem) for p in table)]
    if unknown:
        parser.error(
            f"not a core module: {', '.join(unknown)}; the core modules are {', '.join(table)}"
        )
    chosen = [p for p in table if any(m in (p, Path(p).stem) for m in wanted)]

    if args.report is not None:
        done = [p for p in chosen if (args.report / f"{Path(p).stem}.sqlite").exists()]
        scores = [report(path, args.report) for path in done]
        for path, score in zip(done, scores, strict=True):
            print(f"== {path}")
            for mutant in score.survivors:
                print(f"  survived [line {mutant.line}]: {mutant.key}")
        return _print_scores(scores)

    scratch = Path(tempfile.mkdtemp(prefix="meetbot-mutation-")) if args.keep is None else args.keep
    ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache", ".hypothesis")
    for part in ("meetbot_sdk", "tests"):
        shutil.copytree(ROOT / part, scratch / part, ignore=ignore, dirs_exist_ok=True)
    shutil.copy2(ROOT / "pyproject.toml", scratch / "pyproject.toml")

    # Byte-compile the copy once: cosmic-ray's runs write no .pyc (a mutant's could be stale),
    # so they read these, and compile only the mutated module.
    compileall.compile_dir(scratch / "meetbot_sdk", quiet=1)
    scores = []
    with _fork_server(scratch) as server:
        for path in chosen:
            print(f"== {path}", flush=True)
            score = run_module(
                path,
                table[path],
                scratch,
                args.max,
                args.seed,
                server=server,
                dry=args.list,
                lines=None if args.line is None else set(args.line),
            )
            scores.append(score)
            for mutant in score.survivors:
                print(f"  survived [line {mutant.line}]: {mutant.key}", flush=True)
    if args.keep is None:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0 if args.list else _print_scores(scores)


def _print_scores(scores: list[Score]) -> int:
    print()
    print(f"{'module':<18}{'mutants':>8}{'tested':>8}{'killed':>8}{'equiv':>7}{'score':>8}")
    for s in scores:
        print(
            f"{s.module:<18}{s.mutants:>8}{s.tested:>8}{s.killed:>8}{s.equivalent:>7}{s.percent:>7.1f}%"
        )
    return 0 if all(s.percent >= 95.0 for s in scores) else 1


if __name__ == "__main__":
    sys.exit(main())
