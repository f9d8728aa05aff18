"""The package's structure, as STYLE.md states it: imports point one way, imports inside
functions say why, constants live in one leaf, and other libraries are used through their
public API only."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "meetbot_sdk"


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__``)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _in_function(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return True
    return False


def _imports(name: str) -> Iterator[tuple[ast.stmt, list[str], bool]]:
    """Each import statement of module ``name``: the package's modules it names, and whether
    it sits inside a function."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(), str(path))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                for alias in node.names
            ]
        else:
            continue
        yield node, targets, _in_function(node, parents)


def _graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports at module level (type-only ones too)."""
    return {
        name: {
            t for _, targets, lazy in _imports(name) if not lazy for t in targets if t in MODULES
        }
        - {name}
        for name in MODULES
    }


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_module_imports_one_that_imports_it_back() -> None:
    # Type-only imports count: a circle of types is broken with a small Protocol.
    cycle = _cycle(_graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_an_import_inside_a_function_says_why() -> None:
    # Only for an optional extra or for import time, each with its one-line reason.
    silent = []
    for name, path in MODULES.items():
        lines = path.read_text().splitlines()
        for node, _, lazy in _imports(name):
            said = lines[node.lineno - 2 : node.end_lineno]  # the line above, or its own
            if lazy and not any("#" in line for line in said):
                silent.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not silent


def test_the_constants_module_imports_nothing_of_the_package() -> None:
    imported = {t for _, targets, _ in _imports("meetbot_sdk._constants") for t in targets}
    assert not {t for t in imported if t.startswith("meetbot_sdk")}
