"""Mutation testing of the core modules: ``make mutate`` (on demand, never in ``make test``).

Each mutant is one small change to one module (a comparison, operator, boolean, constant,
string or returned value), written into a copy of the package, and the module's tests run
against it in a fresh ``pytest`` process. A mutant the tests fail on is *killed*; one they
pass is a *survivor*: a behaviour no test checks, unless it is listed as equivalent (same
behaviour) in ``tests/mutation_equivalents.md``.

Why not mutmut: mutmut 3 forks its workers after importing the package and swaps function
bodies through trampolines, so it cannot mutate module-level tables and constants, nor
anything computed from them at import time. A fresh process per mutant sees every change.

Usage::

    python -m tests.mutate [MODULE ...] [--max N] [--seed S] [--list]

``--max`` samples that many mutants per module (fixed ``--seed``: the same sample each run).

A mutant's key names where it is by the enclosing function or class (its qualified name, or
``<module>``) and the name an assignment around it binds, not by line number, so keys in the
equivalents file survive code moving above them: ``_retry:backoff.exponent 16 -> 17``; a key
that repeats in one scope is told apart by ``(#2)``, ``(#3)``... in source order. The report
prints each mutant's current line beside its key, and lists as *stale* every equivalents key
that no longer matches any mutant.
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "meetbot_sdk"
EQUIVALENTS = Path(__file__).with_name("mutation_equivalents.md")
TIMEOUT = 60  # seconds per mutant (4x the slowest module's tests): a hang counts as killed


def _source(module: str) -> Path:
    """The path of core module ``module`` inside the package (it may sit in a subpackage)."""
    (found,) = PACKAGE.rglob(f"{module}.py")
    return found.relative_to(PACKAGE)


# Each core module and the tests that exercise it.
MODULES: dict[str, list[str]] = {  # fastest first: with -x a killed mutant stops early
    "_pagination": [
        "walk/test_pagination.py",
        "decoding/test_converter.py",
        "test_exceptions.py",
        "walk/test_checkpoint.py",
        "walk/test_pagers.py",
        "walk/test_read_ahead.py",
        "walk/test_checkpoint_chains.py",
    ],
    "_retry": [
        "test_retry.py",
        "ratelimit/test_throttle.py",
        "ratelimit/test_window.py",
        "clients/test_client_retries.py",
    ],
    "_throttle": [
        "ratelimit/test_throttle.py",
        "ratelimit/test_window.py",
        "test_retry.py",
        "clients/test_client_logs.py",
        "clients/test_client_retries.py",
        "ratelimit/test_file_budget.py",
        "ratelimit/test_budgets.py",
    ],
    "_window": [
        "ratelimit/test_throttle.py",
        "ratelimit/test_window.py",
        "test_retry.py",
        "ratelimit/test_budget_record.py",
    ],
    "_budget_record": [
        "ratelimit/test_budget_record.py",
        "ratelimit/test_file_budget.py",
        "ratelimit/test_budgets.py",
    ],
    "_budgets": [
        "ratelimit/test_file_budget.py",
        "ratelimit/test_budgets.py",
    ],
    "_exceptions": [
        "test_exceptions.py",
        "decoding/test_converter.py",
        "walk/test_pagination.py",
        "decoding/test_response.py",
        "clients/test_client.py",
        "clients/test_client_retries.py",
    ],
    "_converter": [  # timestamps and dates are parsed for the filters too; depth in test_response
        "decoding/test_converter.py",
        "test_exceptions.py",
        "walk/test_pagination.py",
        "test_endpoints.py",
        "decoding/test_models.py",
        "decoding/test_response.py",
        "clients/test_client.py",
        "clients/test_client_retries.py",
        "decoding/test_speedups.py",
    ],
    "_fast_structure": [
        "decoding/test_converter.py",
        "test_exceptions.py",
        "walk/test_pagination.py",
        "decoding/test_models.py",
    ],
    "_speedups": [
        "decoding/test_speedups.py",
        "decoding/test_models.py",
        "decoding/test_converter.py",
    ],
    "_endpoints": [
        "test_endpoints.py",
        "clients/test_client.py",
    ],
    "_config": [  # its defaults and limits are met where they act: retries, pages, periods
        "test_endpoints.py",
        "test_retry.py",
        "test_exceptions.py",
        "decoding/test_response.py",
        "clients/test_client.py",
        "clients/test_client_retries.py",
        "walk/test_pagers.py",
        "ratelimit/test_budgets.py",
    ],
    "_base_client": [
        "clients/test_client_logs.py",
        "test_exceptions.py",
        "decoding/test_response.py",
        "clients/test_client.py",
        "clients/test_client_retries.py",
        "transport/test_http_libraries.py",
        "testing/test_fake_clients.py",
        "ratelimit/test_budgets.py",
        # the proxy policy, on loopback (the rest of that file is 10 s of random stops)
        "clients/test_early_stops_loopback.py::test_plain_http_loopback_never_goes_through_an_environment_proxy",
        "clients/test_early_stops_loopback.py::test_an_injected_client_that_would_proxy_plain_http_is_refused",
        "clients/test_early_stops_loopback.py::test_https_keeps_honouring_environment_proxies_through_a_tunnel",
    ],
    "_checkpoint": [
        "walk/test_checkpoint.py",
        "test_public_api.py",
        "walk/test_checkpoint_chains.py",
    ],
}

_COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
_BINOP_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv,
    ast.Pow: ast.Mult,
    ast.BitOr: ast.BitAnd,
    ast.BitAnd: ast.BitOr,
}


class Mutant(NamedTuple):
    module: str
    line: int
    start: int  # offsets into the source text of the span replaced
    end: int
    replacement: str
    description: str
    scope: str = "<module>"  # qualified name of the enclosing function or class

    @property
    def key(self) -> str:
        """How the equivalents file names it: ``_retry:Backoff.delay '<' -> '<='``."""
        return f"{self.module}:{self.scope} {self.description}"

    @property
    def shown(self) -> str:
        """The key and, for a reader, the line it is on today: ``KEY  [line 57]``."""
        return f"{self.key}  [line {self.line}]"


def _short(text: str) -> str:
    """A span of source as one short line, for a mutant's key."""
    line = " ".join(text.split())
    return repr(line if len(line) <= 60 else line[:57] + "...")


def _offsets(source: str) -> list[int]:
    starts, total = [0], 0
    for line in source.splitlines(keepends=True):
        total += len(line.encode())
        starts.append(total)
    return starts


# attrs.field(init=False) and kw_only=True shape a signature no caller uses positionally or
# at all (internal state): flipping them changes no behaviour, so they are not mutated.
_DECLARATION_FLAGS = frozenset({"init", "kw_only"})


def _skipped(tree: ast.Module) -> set[int]:
    """Nodes never mutated: docstrings, annotations, ``__all__``, ``TYPE_CHECKING`` blocks,
    f-string parts (their spans are not the source's) and attrs' ``init``/``kw_only`` flags."""
    skip: set[int] = set()

    def drop(node: ast.AST) -> None:
        skip.update(id(sub) for sub in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            drop(node)  # docstrings, of modules, classes, functions and attributes
        elif isinstance(node, ast.JoinedStr):
            drop(node)
        elif isinstance(node, (ast.AnnAssign, ast.arg)) and node.annotation is not None:
            drop(node.annotation)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns:
            drop(node.returns)
        elif (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
        ) or (isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)):
            drop(node)
        elif isinstance(node, ast.keyword) and node.arg in _DECLARATION_FLAGS:
            drop(node.value)
    return skip


def _assigned(node: ast.AST) -> str | None:
    """The name a one-target assignment binds (``x = ...``, ``self.x: int = ...``), if any."""
    targets = (
        node.targets
        if isinstance(node, ast.Assign)
        else [node.target]
        if isinstance(node, ast.AnnAssign)
        else []
    )
    if len(targets) == 1 and isinstance(targets[0], ast.Name):
        return targets[0].id
    if len(targets) == 1 and isinstance(targets[0], ast.Attribute):
        return targets[0].attr
    return None


def _scopes(tree: ast.Module) -> dict[int, str]:
    """Each node's enclosing function or class, as a dotted qualified name, and inside an
    assignment the name assigned (``Walk.repeated``, ``_T``): a class's fields or a module's
    constants do not share one count of occurrences."""
    scope: dict[int, str] = {}

    def visit(node: ast.AST, name: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = name
            named = _assigned(child)
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                named = child.name
            if named is not None:
                inner = named if name == "<module>" else f"{name}.{named}"
            scope[id(child)] = inner
            visit(child, inner)

    visit(tree, "<module>")
    return scope


def mutants(module: str) -> Iterator[Mutant]:
    """Every mutant of ``meetbot_sdk/<module>.py``, in source order; a key that repeats in
    its scope (two ``False`` in one function) is told apart by ``(#2)``, ``(#3)``..."""
    seen: dict[str, int] = {}
    for mutant in _mutants(module):
        seen[mutant.key] = count = seen.get(mutant.key, 0) + 1
        yield (
            mutant
            if count == 1
            else mutant._replace(description=f"{mutant.description} (#{count})")
        )


def _mutants(module: str) -> Iterator[Mutant]:
    source = (PACKAGE / _source(module)).read_text()
    raw = source.encode()
    tree = ast.parse(source)
    skip = _skipped(tree)
    scopes = _scopes(tree)
    line_starts = _offsets(source)

    def span(node: ast.expr | ast.stmt) -> tuple[int, int]:
        assert node.end_lineno is not None
        assert node.end_col_offset is not None
        start = line_starts[node.lineno - 1] + node.col_offset
        return start, line_starts[node.end_lineno - 1] + node.end_col_offset

    def make(node: ast.expr, new: ast.expr, description: str) -> Mutant:
        start, end = span(node)
        replacement = f"({ast.unparse(new)})"
        return Mutant(module, node.lineno, start, end, replacement, description, scopes[id(node)])

    nodes = sorted(
        (n for n in ast.walk(tree) if hasattr(n, "lineno")),
        key=lambda n: (n.lineno, n.col_offset),
    )
    for node in nodes:
        if id(node) in skip:
            continue
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                swap = _COMPARE_SWAPS.get(type(op))
                if swap is not None:
                    ops = [*node.ops]
                    ops[i] = swap()
                    new = ast.Compare(node.left, ops, node.comparators)
                    old_text = raw[slice(*span(node))].decode()
                    yield make(
                        node, new, f"{_short(old_text)}: {type(op).__name__}->{swap.__name__}"
                    )
        elif isinstance(node, ast.BinOp):
            swap_op = _BINOP_SWAPS.get(type(node.op))
            if swap_op is not None:
                new_bin = ast.BinOp(node.left, swap_op(), node.right)
                text = raw[slice(*span(node))].decode()
                yield make(
                    node, new_bin, f"{_short(text)}: {type(node.op).__name__}->{swap_op.__name__}"
                )
        elif isinstance(node, ast.BoolOp):
            other: ast.boolop = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            text = raw[slice(*span(node))].decode()
            yield make(node, ast.BoolOp(other, node.values), f"{_short(text)}: and<->or")
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            text = raw[slice(*span(node))].decode()
            yield make(node, node.operand, f"{_short(text)}: not dropped")
        elif isinstance(node, ast.Constant):
            yield from _constant(node, make)
        elif isinstance(node, ast.Return) and node.value is not None:
            value = node.value
            if not (isinstance(value, ast.Constant) and value.value is None):
                start, end = span(value)
                text = raw[start:end].decode()
                description = f"return {_short(text)} -> None"
                yield Mutant(
                    module, node.lineno, start, end, "(None)", description, scopes[id(node)]
                )


def _constant(node: ast.Constant, make: object) -> Iterator[Mutant]:
    value = node.value
    new: object
    if isinstance(value, bool):
        new = not value
    elif isinstance(value, int):
        new = value + 1
    elif isinstance(value, float):
        new = value * 2 + 1
    elif isinstance(value, str):
        new = "XX" + value + "XX"
    elif isinstance(value, bytes):
        new = b"XX" + value + b"XX"
    else:
        return
    assert callable(make)
    yield make(node, ast.Constant(new), f"{value!r} -> {new!r}")


def apply(mutant: Mutant, package_copy: Path) -> None:
    raw = (PACKAGE / _source(mutant.module)).read_bytes()
    changed = raw[: mutant.start] + mutant.replacement.encode() + raw[mutant.end :]
    (package_copy / _source(mutant.module)).write_bytes(changed)


def run_tests(module: str, copy_root: Path) -> bool:
    """Whether the module's tests pass with the package in ``copy_root`` (the mutant lives)."""
    env = {**os.environ, "PYTHONPATH": str(copy_root), "PYTHONDONTWRITEBYTECODE": "1"}
    tests = [f"tests/{name}" for name in MODULES[module]]
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    command += ["--no-header"]
    try:
        result = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
            command, cwd=copy_root, env=env, capture_output=True, timeout=TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0


def equivalents() -> set[str]:
    """Mutant keys listed in the equivalents file: lines ``- `KEY` — why``."""
    if not EQUIVALENTS.exists():
        return set()
    keys = set()
    for line in EQUIVALENTS.read_text().splitlines():
        if line.startswith("- `") and "`" in line[3:]:
            keys.add(line[3 : line.index("`", 3)])
    return keys


def stale(module: str, found: list[Mutant]) -> list[str]:
    """Keys listed as equivalent for ``module`` that match none of its mutants today: the
    code they named changed (or moved to another function), so they must be looked at anew."""
    current = {mutant.key for mutant in found}
    prefix = f"{module}:"
    return sorted(k for k in equivalents() if k.startswith(prefix) and k not in current)


class Score(NamedTuple):
    module: str
    found: int
    tested: int
    killed: int
    equivalent: int
    survivors: list[Mutant]

    @property
    def percent(self) -> float:
        scored = self.tested - self.equivalent
        return 100.0 * self.killed / scored if scored else 100.0


def score(module: str, chosen: list[Mutant], found: int, copy_root: Path) -> Score | None:
    """Run every chosen mutant of ``module``; ``None`` if its tests fail unmutated."""
    package_copy = copy_root / "meetbot_sdk"
    # The tests run from the copy too: pytest puts their root first on sys.path.
    for name in ("meetbot_sdk", "tests"):
        shutil.rmtree(copy_root / name, ignore_errors=True)
        shutil.copytree(ROOT / name, copy_root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", copy_root / "pyproject.toml")
    if not run_tests(module, copy_root):
        return None
    # A canary: a module that cannot be imported must fail its tests, or mutants go unseen.
    (package_copy / _source(module)).write_text("raise ImportError('mutation canary')\n")
    if run_tests(module, copy_root):
        raise SystemExit(f"{module}: the tests do not import the mutated copy; nothing measured")
    listed = equivalents()
    killed, equivalent, survivors = 0, 0, []
    for mutant in chosen:
        apply(mutant, package_copy)
        if not run_tests(module, copy_root):
            killed += 1
            if mutant.key in listed:
                print(f"  listed as equivalent, but killed: {mutant.shown}", flush=True)
        elif mutant.key in listed:
            equivalent += 1
        else:
            survivors.append(mutant)
    shutil.copy2(PACKAGE / _source(module), package_copy / _source(module))
    return Score(module, found, len(chosen), killed, equivalent, survivors)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Mutation testing of the core modules.")
    parser.add_argument("modules", nargs="*", default=list(MODULES))
    parser.add_argument("--max", type=int, default=0, help="sample this many mutants a module")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--list", action="store_true", help="only list the mutants")
    parser.add_argument(
        "--rerun",
        type=Path,
        help="only the survivors a previous run printed to this file (tests added since can"
        " only kill more: a killed mutant stays killed while the code is unchanged)",
    )
    args = parser.parse_args(argv)
    again = None
    if args.rerun is not None:
        marker = "  survived: "
        lines = args.rerun.read_text().splitlines()
        again = {
            line[len(marker) :].split("  [line ")[0] for line in lines if line.startswith(marker)
        }
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        parser.error(f"unknown module(s) {unknown}; core modules: {', '.join(MODULES)}")
    rows: list[Score] = []
    with tempfile.TemporaryDirectory(prefix="meetbot-mutate-") as tmp:
        for module in args.modules:
            found = list(mutants(module))
            chosen = found
            if again is not None:
                chosen = [mutant for mutant in found if mutant.key in again]
            elif args.max and len(found) > args.max:
                sample = random.Random(args.seed).sample(found, args.max)  # noqa: S311
                chosen = sorted(sample)
            if args.list:
                print("\n".join(mutant.shown for mutant in chosen))
                continue
            began = time.monotonic()
            result = score(module, chosen, len(found), Path(tmp))
            if result is None:
                print(f"{module}: its tests fail without any mutant; fix them first")
                return 2
            rows.append(result)
            print(
                f"{module}: {result.killed}/{result.tested - result.equivalent} killed "
                f"({result.percent:.1f} %), {result.equivalent} equivalent, "
                f"{len(result.survivors)} survived, of {result.tested} tested "
                f"({result.found} in all) in {time.monotonic() - began:.0f} s",
                flush=True,
            )
            for mutant in result.survivors:
                print(f"  survived: {mutant.shown}", flush=True)
            for key in stale(module, found):
                print(f"  stale equivalent (matches no mutant; look again): {key}", flush=True)
    if rows:
        print("\n| module | mutants | tested | killed | equivalent | survived | score |")
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            print(
                f"| `{r.module}.py` | {r.found} | {r.tested} | {r.killed} | {r.equivalent} "
                f"| {len(r.survivors)} | {r.percent:.1f} % |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
