"""Compiles the converter's hot paths: one straight-line function per model class.

cattrs' generated functions call a hook per field and build instances through the frozen
``__init__`` (one ``object.__setattr__`` per field), which made decoding a page several
times as costly as pydantic v2's ``model_validate`` (figures on the Performance page). The
functions compiled here check primitive fields inline (``value.__class__ is int``), call the
converter only for other types, and fill the instance without ``__init__``. They only
*detect* bad data: any exception they raise makes the converter re-run the data through
cattrs' detailed validation, which words the error. So every path must accept exactly the
same data; the tests hold them to it.

Filling an instance (:func:`filling`): a frozen attrs class refuses attribute assignment, so
each field is written through its slot's own descriptor (the ``__set__`` of the member
descriptor ``__slots__`` creates, as the data model documents it), which skips the frozen
``__init__``'s per-field ``object.__setattr__`` calls.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from meetbot_sdk._constants import INT64_MAX, INT64_MIN

__all__ = ["compile_structure", "filling"]

_INLINE = (int, str)


def _can_fill_slots(cls: type) -> bool:
    """Bypassing ``__init__`` is only sound when it would do nothing but assign."""
    return "__slots__" in vars(cls) and all(
        a.validator is None and a.converter is None and a.init and a.alias == a.name
        for a in attrs.fields(cls)
    )


def filling(cls: type, values: Sequence[str], namespace: dict[str, Any]) -> list[str]:
    """Source lines that return a ``cls`` instance from ``values``: one expression per attrs
    field, in field order. Adds the names the lines use to ``namespace``."""
    fields = attrs.fields(cls)
    namespace.update(cls=cls, new=object.__new__)
    if _can_fill_slots(cls):
        lines = ["    instance = new(cls)"]
        for index, (field, value) in enumerate(zip(fields, values, strict=True)):
            # an inherited field's slot belongs to the base that declares it
            slot = next(vars(k)[field.name] for k in cls.__mro__ if field.name in vars(k))
            namespace[f"set{index}"] = slot.__set__
            lines.append(f"    set{index}(instance, {value})")
        return [*lines, "    return instance"]
    return [f"    return cls({', '.join(values)})"]


def define(name: str, lines: list[str], namespace: dict[str, Any]) -> Callable[..., Any]:
    """Compile ``lines`` (a function ``structure``) with ``namespace`` as its globals."""
    source = "\n".join(lines)
    exec(compile(source, f"<meetbot_sdk {name}>", "exec"), namespace)  # noqa: S102
    function: Callable[..., Any] = namespace["structure"]
    return function


def compile_structure(
    cls: type,
    wire_names: dict[str, str],
    hook_for: Callable[[Any], Callable[[Any, Any], Any]],
) -> Callable[[Any, Any], Any]:
    """The fast structure function of attrs class ``cls``, from decoded JSON.

    Args:
        cls: A resolved attrs class.
        wire_names: Attribute name -> key on the wire.
        hook_for: The converter's structure hook for a type (used for non-inline fields).
    """
    fields = attrs.fields(attrs.resolve_types(cls))  # the models use string annotations
    namespace: dict[str, Any] = {}
    lines = ["def structure(o, _=None):"]
    for index, field in enumerate(fields):
        var = f"v{index}"
        lines.append(f"    {var} = o[{wire_names[field.name]!r}]")
        lines.extend(_check_or_convert(var, field.type, namespace, hook_for))
    lines += filling(cls, [f"v{i}" for i in range(len(fields))], namespace)
    return define(f"structure {cls.__qualname__}", lines, namespace)


def _check_or_convert(
    var: str,
    tp: Any,
    namespace: dict[str, Any],
    hook_for: Callable[[Any], Callable[[Any, Any], Any]],
) -> list[str]:
    if tp in _INLINE:
        return [
            f"    if {var}.__class__ is not {tp.__name__}: raise TypeError({var!r})",
            *_range(var, tp),
        ]
    args = typing.get_args(tp)
    is_union = typing.get_origin(tp) in (typing.Union, types.UnionType)
    if is_union and len(args) == 2 and type(None) in args:
        inner = args[0] if args[1] is type(None) else args[1]
        if inner in _INLINE:
            return [
                f"    if {var} is not None and {var}.__class__ is not {inner.__name__}:",
                f"        raise TypeError({var!r})",
                *_range(var, inner, nullable=True),
            ]
    hook_name, type_name = f"hook_{var}", f"type_{var}"
    namespace[hook_name], namespace[type_name] = hook_for(tp), tp
    return [f"    {var} = {hook_name}({var}, {type_name})"]


def _range(var: str, tp: Any, *, nullable: bool = False) -> list[str]:
    """The converter's 64-bit range check of an ``int`` (after its type check)."""
    if tp is not int:
        return []
    check = f"not {INT64_MIN} <= {var} <= {INT64_MAX}"
    if nullable:
        check = f"{var} is not None and {check}"
    return [f"    if {check}: raise TypeError({var!r})"]
