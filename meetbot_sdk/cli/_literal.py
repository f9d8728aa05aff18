"""Server strings shown as they are: nothing in them is taken as an instruction.

A path, a key name, a platform or an error message comes from the server, and a terminal
acts on some characters instead of showing them: ESC starts a sequence that can clear the
screen, set the window title or hide a link; the C1 control ``\\x9b`` does the same in one
byte; the BIDI override U+202E shows the rest of a line backwards. So:

- :func:`visible` writes every character that is not meant to be seen (Unicode categories
  Cc, Cf, Zl, Zp and lone surrogates: C0 and C1 controls, DEL, BIDI overrides and
  isolates, zero-width characters) as its Python escape (``\\x1b``, ``\\u202e``). Tables,
  error lines and csv on a terminal show text through it. (Rich markup is never parsed
  either: the tables' console has markup and emoji codes off, and cells are ``Text``.)
- :func:`json_visible` does the same in JSON text with JSON escapes (``\\u202e``), so json
  and jsonl stay the same data while the raw characters never reach a terminal.
- :func:`neutralise_formula` prefixes a csv text cell that a spreadsheet would run as a
  formula (one starting with ``=``, ``+``, ``-``, ``@``, TAB or CR, as OWASP advises)
  with a single quote.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["FORMULA_PREFIXES", "json_visible", "neutralise_formula", "visible"]

# Not printable (str.isprintable) but shown as they are: spaces, private use, unassigned.
_SHOWN_CATEGORIES = frozenset({"Zs", "Co", "Cn"})
_NON_ASCII_OR_DEL = re.compile(r"[^\x00-\x7e]")

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""What a csv text cell may not start with unless ``--csv-raw-cells`` is given."""


def _hidden(char: str) -> bool:
    return not char.isprintable() and unicodedata.category(char) not in _SHOWN_CATEGORIES


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text: str) -> str:
    """``text`` with every control, format and separator character as its Python escape."""
    if text.isprintable():
        return text
    return "".join(_escape(char) if _hidden(char) else char for char in text)


def _json_escape(match: re.Match[str]) -> str:
    char = match.group()
    if not _hidden(char):
        return char
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # a JSON escape is UTF-16: a surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_visible(document: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with hidden characters escaped.

    ``json.dumps`` escapes C0 controls already; the rest (DEL, C1, BIDI and zero-width
    characters, separators) can only be inside strings, where a ``\\uXXXX`` escape is the
    same character to every JSON reader.
    """
    if document.isascii() and "\x7f" not in document:
        return document
    return _NON_ASCII_OR_DEL.sub(_json_escape, document)


def neutralise_formula(cell: object) -> object:
    """A text cell a spreadsheet would run as a formula, prefixed with ``'``; else ``cell``.

    Numbers are left alone: ``-5`` in a numeric column is a number, not a formula.
    """
    if isinstance(cell, str) and cell.startswith(FORMULA_PREFIXES):
        return "'" + cell
    return cell
