"""The code blocks of the README and the docs, as a reader sees them, ready to run.

A page's blocks run in order in one namespace, as a reader pastes them one after another
into one session: a ``.. code-block:: python`` (or a README ```` ```python ```` fence) as a
script, every ``>>>`` example (in any block) as a doctest. Top-level ``await`` is allowed, as
in a notebook or ``python -m asyncio``. A block whose first line is a comment starting with
``# Needs`` (a real account, your deployment, your network) is only compiled and
type-checked: it would reach past this machine.
"""

from __future__ import annotations

import doctest
import pathlib
import re
import textwrap

import attrs

ROOT = pathlib.Path(__file__).resolve().parents[2]
ACCOUNT_ONLY = "# Needs "  # "# Needs a real account", "# Needs your deployment: ..."

_RST_BLOCK = re.compile(
    r"^(?P<indent>[ ]*)\.\. code-block:: python\n(?:(?P=indent)[ ]+:[\w-]+:.*\n)*\n"
    r"(?P<body>(?:(?:(?P=indent)[ ]+.*)?\n)+)",
    re.MULTILINE,
)
_MD_BLOCK = re.compile(r"^```python\n(?P<body>.*?)^```\n", re.MULTILINE | re.DOTALL)


@attrs.frozen
class Block:
    """One runnable piece of a page: a script, or the ``>>>`` examples of one block."""

    page: str
    line: int
    source: str
    doctest: bool = False

    @property
    def account_only(self) -> bool:
        return self.source.lstrip().startswith(ACCOUNT_ONLY)

    @property
    def name(self) -> str:
        return f"{self.page}:{self.line}"


def pages() -> list[pathlib.Path]:
    """The README and every docs page, in a stable order."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.rst"))]


def page_blocks(path: pathlib.Path) -> list[Block]:
    """The page's blocks in reading order."""
    text = path.read_text(encoding="utf-8")
    page = str(path.relative_to(ROOT))
    found: list[Block] = []
    pattern = _MD_BLOCK if path.suffix == ".md" else _RST_BLOCK
    scripts = []
    for match in pattern.finditer(text):
        body = textwrap.dedent(match["body"]).strip("\n") + "\n"
        if not body.lstrip().startswith(">>>"):
            line = text.count("\n", 0, match.start("body")) + 1
            scripts.append(Block(page, line, body))
    found.extend(scripts)
    found.extend(_doctests(page, text))
    return sorted(found, key=lambda block: block.line)


def _doctests(page: str, text: str) -> list[Block]:
    """Each run of ``>>>`` examples, wherever it stands (a literal block, a code block)."""
    blocks: list[Block] = []
    parser = doctest.DocTestParser()
    examples = [part for part in parser.parse(text) if isinstance(part, doctest.Example)]
    group: list[doctest.Example] = []
    for example in examples:
        if group and example.lineno > _end(group[-1]) + 1:
            blocks.append(_doctest_block(page, group))
            group = []
        group.append(example)
    if group:
        blocks.append(_doctest_block(page, group))
    return blocks


def _end(example: doctest.Example) -> int:
    return example.lineno + example.source.count("\n") + example.want.count("\n")


def _doctest_block(page: str, examples: list[doctest.Example]) -> Block:
    lines = []
    for example in examples:
        source = example.source.splitlines()
        lines.append(">>> " + source[0])
        lines.extend("... " + more for more in source[1:])
        lines.extend(example.want.splitlines())
        if example.exc_msg is not None and not example.want:
            lines.extend(["Traceback (most recent call last):", "  ...", example.exc_msg])
    return Block(page, examples[0].lineno + 1, "\n".join(lines) + "\n", doctest=True)


def all_blocks() -> list[Block]:
    return [block for path in pages() for block in page_blocks(path)]
