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


# --- other libraries through their public API only (STYLE rule 11) ---

# A NamedTuple's public API has leading underscores.
_PUBLIC_UNDERSCORED = {"_replace", "_asdict", "_fields", "_make", "_field_defaults"}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name not in _PUBLIC_UNDERSCORED


def _own_names(trees: list[ast.Module]) -> set[str]:
    """Every name the package itself gives: its functions, classes, parameters, assigned names
    and attributes it sets on ``self``/``cls``, and the string keys of class namespaces."""
    own: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                own.add(node.name)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                arguments = node.args
                own.update(a.arg for a in arguments.posonlyargs + arguments.args)
                own.update(a.arg for a in arguments.kwonlyargs)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                own.add(node.id)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id in ("self", "cls")
            ):
                own.add(node.attr)
            elif isinstance(node, ast.alias) and node.asname:
                own.add(node.asname)
            elif isinstance(node, ast.Dict):
                own.update(k.value for k in node.keys if isinstance(k, ast.Constant) and k.value)
    return {name for name in own if isinstance(name, str)}


def _foreign_private_uses(trees: dict[str, ast.Module]) -> list[str]:
    """Where the package reaches for a private name it does not give itself: another
    library's (an attribute, a ``getattr`` string or an import of a private module)."""
    own = _own_names(list(trees.values()))
    found = []
    for where, tree in trees.items():
        for node in ast.walk(tree):
            name = None
            if isinstance(node, ast.Attribute):
                name = node.attr
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
                and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
            ):
                name = node.args[1].value
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    head, *rest = alias.name.split(".")
                    if head != "meetbot_sdk" and any(_private(part) for part in rest):
                        found.append(f"{where}:{node.lineno}: import {alias.name}")
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                head, *rest = node.module.split(".")
                for alias in node.names:
                    if head != "meetbot_sdk" and any(_private(p) for p in [*rest, alias.name]):
                        found.append(f"{where}:{node.lineno}: import {node.module}.{alias.name}")
            if name is not None and _private(name) and name not in own:
                found.append(f"{where}:{node.lineno}: {name}")
    return sorted(found)


def test_the_package_uses_no_private_name_of_another_library() -> None:
    trees = {
        str(path.relative_to(PACKAGE.parent)): ast.parse(path.read_text(), str(path))
        for path in MODULES.values()
    }
    assert _foreign_private_uses(trees) == []


def test_the_private_name_check_finds_what_it_is_for() -> None:
    source = """
import httpx
from httpx._utils import get_environment_proxies
from httpcore import _backends
def send(client, url, pool):
    url._uri_reference = client._transport_for_url(url)
    pool._network_backend = getattr(client, "_transport", None)
    return url._replace(path="/"), client.send(url)
"""
    found = _foreign_private_uses({"x.py": ast.parse(source)})
    assert sorted(found) == [
        "x.py:3: import httpx._utils.get_environment_proxies",
        "x.py:4: import httpcore._backends",
        "x.py:6: _transport_for_url",
        "x.py:6: _uri_reference",
        "x.py:7: _network_backend",
        "x.py:7: _transport",
    ]
