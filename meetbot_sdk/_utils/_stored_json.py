"""Reading back JSON the SDK stored (a checkpoint, a budget record, an export's state):
bounded in size and nesting *before* it is parsed, so a hostile or damaged file can cost
neither a ``RecursionError`` nor memory, and every refusal is a short ``ValueError``.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["excerpt", "load_stored_json"]

# A JSON string (escapes included, an unterminated one running to the end) or a bracket.
# Strings are matched whole so that brackets inside them do not count; linear time.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]')
_OPENING = frozenset("[{")
_EXCERPT_LENGTH = 60


def load_stored_json(text: str | bytes, *, max_bytes: int, max_depth: int) -> Any:
    """``json.loads(text)`` for a text of at most ``max_bytes`` nested at most ``max_depth``.

    Raises:
        ValueError: The text is too large, nested too deeply, not UTF-8 or not JSON; the
            message is one short line.
    """
    if len(text) > max_bytes:  # characters <= bytes: a str this long is too large too
        raise ValueError(f"larger than {max_bytes} bytes")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("not UTF-8") from None
    if len(text.encode("utf-8", errors="surrogatepass")) > max_bytes:
        raise ValueError(f"larger than {max_bytes} bytes")
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in _OPENING:
            depth += 1
            if depth > max_depth:
                raise ValueError(f"nested deeper than {max_depth} levels")
        elif token in ("]", "}"):
            depth -= 1
    try:
        return json.loads(text)
    except ValueError as exc:  # json.JSONDecodeError; its message is short and quotes nothing
        raise ValueError(f"not JSON ({exc})") from None


def excerpt(value: object) -> str:
    """``repr(value)``, cut to a few dozen characters: what an error message may quote of a
    stored value, however large it is."""
    if isinstance(value, str) and len(value) > _EXCERPT_LENGTH:
        text = repr(value[:_EXCERPT_LENGTH])  # the repr of a 100 MB string is never built
        return f"{text[:-1]}...{text[-1]}"
    text = repr(value)
    if len(text) > _EXCERPT_LENGTH:
        return text[: _EXCERPT_LENGTH - 3] + "..."
    return text
