"""Compiles the converter's hot paths: one straight-line function per model class.

cattrs' generated functions call a hook per field and build instances through the frozen
``__init__`` (one ``object.__setattr__`` per field), which made decoding a page several
times as costly as pydantic v2's ``model_validate`` (figures on the Performance page). The
functions compiled here check primitive fields inline (``value.__class__ is int``), parse
the common timestamp inline, build the items of a ``list`` of models in a loop of their own
(no call per item), and fill the instances without ``__init__``; they call the converter
only for other types. They only *detect* bad data: any exception they raise makes the
converter re-run the data through cattrs' detailed validation, which words the error. So
every path must accept exactly the same data; the tests hold them to it.

- An ``int`` is checked against the 64-bit range once per instance, in one condition over
  all its ``int`` fields, after their type checks.
- A ``datetime`` is taken inline only when it is text of at least 10 characters that
  :meth:`datetime.datetime.fromisoformat` reads as UTC, which the converter's hook returns
  unchanged; anything else goes to the hook, which has the final word.

Filling an instance (:func:`fill`): a frozen attrs class refuses attribute assignment, so
each field is written through its slot's own descriptor (the ``__set__`` of the member
descriptor ``__slots__`` creates, as the data model documents it), which skips the frozen
``__init__``'s per-field ``object.__setattr__`` calls.
"""

from __future__ import annotations

import datetime
import itertools
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from meetbot_sdk._constants import INT64_MAX, INT64_MIN

__all__ = ["CodeWriter", "compile_structure", "fill", "timestamp_lines"]

_INLINE = (int, str)


def _can_fill_slots(cls: type) -> bool:
    """Bypassing ``__init__`` is only sound when it would do nothing but assign."""
    return "__slots__" in vars(cls) and all(
        a.validator is None and a.converter is None and a.init and a.alias == a.name
        for a in attrs.fields(cls)
    )


def fill(
    cls: type, values: Sequence[str], target: str, namespace: dict[str, Any], tag: str
) -> list[str]:
    """Statements that set ``target`` to a ``cls`` instance from ``values`` (one expression
    per attrs field, in field order); the names they use go into ``namespace``, suffixed
    with ``tag``."""
    fields = attrs.fields(cls)
    namespace[f"cls{tag}"] = cls
    if not _can_fill_slots(cls):
        # By keyword (a user's field may be keyword-only), and only what __init__ takes.
        given = zip(fields, values, strict=True)
        arguments = ", ".join(f"{field.alias}={value}" for field, value in given if field.init)
        return [f"{target} = cls{tag}({arguments})"]
    namespace["new"] = object.__new__
    lines = [f"{target} = new(cls{tag})"]
    for index, (field, value) in enumerate(zip(fields, values, strict=True)):
        # an inherited field's slot belongs to the base that declares it
        slot = next(vars(k)[field.name] for k in cls.__mro__ if field.name in vars(k))
        namespace[f"set{tag}_{index}"] = slot.__set__
        lines.append(f"set{tag}_{index}({target}, {value})")
    return lines


def define(name: str, lines: list[str], namespace: dict[str, Any]) -> Callable[..., Any]:
    """Compile ``lines`` (a function ``structure``) with ``namespace`` as its globals."""
    source = "\n".join(lines)
    exec(compile(source, f"<meetbot_sdk {name}>", "exec"), namespace)  # noqa: S102
    function: Callable[..., Any] = namespace["structure"]
    return function


def compile_structure(
    cls: type,
    wire_names: Callable[[type], dict[str, str]],
    hook_for: Callable[[Any], Callable[[Any, Any], Any]],
) -> Callable[[Any, Any], Any]:
    """The fast structure function of attrs class ``cls``, from decoded JSON.

    Args:
        cls: An attrs class.
        wire_names: The attribute name -> key on the wire mapping of an attrs class.
        hook_for: The converter's structure hook for a type (used for non-inline fields).
            Its ``datetime`` hook must return what ``fromisoformat`` gives for text that
            reads as UTC, as the converter's does.
    """
    writer = _Writer(wire_names, hook_for)
    writer.instance(cls, "o", "instance", 1, ())
    lines = ["def structure(o, _=None):", *writer.lines, "    return instance"]
    return define(f"structure {cls.__qualname__}", lines, writer.namespace)


class CodeWriter:
    """The lines of a compiled function being written, the names they use, and a counter for
    the names of its variables (shared by this module's and the speedups' writers)."""

    def __init__(self, hook_for: Callable[[Any], Callable[[Any, Any], Any]]) -> None:
        self.hook_for = hook_for
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = {}
        self._numbers = itertools.count()

    def emit(self, indent: int, *lines: str) -> None:
        self.lines.extend("    " * indent + line for line in lines)


class _Writer(CodeWriter):
    """Writes the statements that build one class, and the classes it holds, from JSON."""

    def __init__(
        self,
        wire_names: Callable[[type], dict[str, str]],
        hook_for: Callable[[Any], Callable[[Any, Any], Any]],
    ) -> None:
        super().__init__(hook_for)
        self.wire_names = wire_names

    def instance(
        self, cls: type, source: str, target: str, indent: int, outer: tuple[type, ...]
    ) -> None:
        """Set ``target`` to the ``cls`` that the mapping ``source`` holds."""
        fields = attrs.fields(attrs.resolve_types(cls))  # the models use string annotations
        names = self.wire_names(cls)
        values: list[str] = []
        ints: list[tuple[str, bool]] = []
        for field in fields:
            var = f"v{next(self._numbers)}"
            self.emit(indent, f"{var} = {source}[{names[field.name]!r}]")
            self.value(var, field.type, indent, ints, (*outer, cls))
            values.append(var)
        if ints:
            self.emit(indent, *_int64_check(ints, target))
        tag = str(next(self._numbers))
        self.emit(indent, *fill(cls, values, target, self.namespace, tag))

    def value(
        self, var: str, tp: Any, indent: int, ints: list[tuple[str, bool]], outer: tuple[type, ...]
    ) -> None:
        """Check ``var``, of type ``tp``, or replace it with its structured value; an ``int``
        (or ``int | None``) goes on ``ints`` for the range check, as (name, nullable)."""
        if tp in _INLINE:
            self.emit(indent, f"if {var}.__class__ is not {tp.__name__}: raise TypeError({var!r})")
            if tp is int:
                ints.append((var, False))
            return
        args = typing.get_args(tp)
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
            inner = args[0] if args[1] is type(None) else args[1]
            if inner in _INLINE:
                self.emit(
                    indent,
                    f"if {var}.__class__ is not {inner.__name__} and {var} is not None:",
                    f"    raise TypeError({var!r})",
                )
                if inner is int:
                    ints.append((var, True))
                return
        if tp is datetime.datetime:
            self.timestamp(var, indent)
            return
        if origin is list and attrs.has(args[0]) and args[0] not in outer:
            self.models(var, args[0], indent, outer)
            return
        if attrs.has(tp) and tp not in outer:
            self.instance(tp, var, var, indent, outer)
            return
        hook_name, type_name = f"hook_{var}", f"type_{var}"
        self.namespace[hook_name], self.namespace[type_name] = self.hook_for(tp), tp
        self.emit(indent, f"{var} = {hook_name}({var}, {type_name})")

    def timestamp(self, var: str, indent: int) -> None:
        """Replace ``var`` with its ``datetime``: inline for the usual UTC text, else by the
        converter's hook."""
        self.emit(indent, *timestamp_lines(var, self.hook_for, self.namespace))

    def models(self, var: str, cls: type, indent: int, outer: tuple[type, ...]) -> None:
        """Replace the list ``var`` with the list of ``cls`` its items hold."""
        items, item, append = f"{var}_items", f"{var}_item", f"{var}_append"
        self.emit(
            indent,
            f"if not isinstance({var}, list): raise TypeError({var!r})",
            f"{items} = []",
            f"{append} = {items}.append",
            f"for {item} in {var}:",
        )
        self.instance(cls, item, item, indent + 1, outer)
        self.emit(indent + 1, f"{append}({item})")
        self.emit(indent, f"{var} = {items}")


def timestamp_lines(
    var: str, hook_for: Callable[[Any], Callable[[Any, Any], Any]], namespace: dict[str, Any]
) -> list[str]:
    """Statements that replace ``var`` with its ``datetime``: parsed inline when it is text
    that ``fromisoformat`` reads as UTC (what the converter's hook returns for it unchanged),
    else by the hook, which has the final word. Adds the names they use to ``namespace``.

    The hook refuses text shorter than 10 characters; no such text reads as an aware
    datetime (the shortest, such as ``2024W01T10Z``, has a date of 7 characters, a
    separator, a two-digit hour and a zone: 11), so the inline path needs no length test.
    """
    hook_name, type_name, parsed = f"hook_{var}", f"type_{var}", f"{var}_parsed"
    namespace.update(fromisoformat=datetime.datetime.fromisoformat, UTC=datetime.timezone.utc)
    namespace[hook_name], namespace[type_name] = hook_for(datetime.datetime), datetime.datetime
    return [
        f"if {var}.__class__ is str:",
        "    try:",
        f"        {parsed} = fromisoformat({var})",
        "    except ValueError:",
        f"        {parsed} = None",
        "else:",
        f"    {parsed} = None",
        f"if {parsed} is not None and {parsed}.tzinfo is UTC:",
        f"    {var} = {parsed}",
        "else:",
        f"    {var} = {hook_name}({var}, {type_name})",
    ]


def _int64_check(ints: list[tuple[str, bool]], target: str) -> list[str]:
    """The statement refusing an int outside 64 bits, for the (name, nullable) ``ints``.

    The bitwise OR of the ints is in ``0 .. 2**63 - 1`` exactly when each of them is, so one
    shift tests the usual case; the bounds of each are compared only when one is negative
    or too large.
    """
    either = " | ".join(f"({var} or 0)" if nullable else var for var, nullable in ints)
    bounds = [f"{INT64_MIN} <= {var} <= {INT64_MAX}" for var, _ in ints]
    exact = " and ".join(
        f"({var} is None or {bound})" if nullable else bound
        for (var, nullable), bound in zip(ints, bounds, strict=True)
    )
    return [f"if ({either}) >> 63 and not ({exact}):", f"    raise TypeError({target!r})"]
