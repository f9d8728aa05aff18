"""Compiles one straight-line structure function per model class for the converter's hot path.

cattrs' generated functions call a hook per field and build instances through the frozen
``__init__`` (one ``object.__setattr__`` per field); for a page of 100 logs that was about
2.4x pydantic v2's ``model_validate``. The function compiled here checks primitive fields
inline (``value.__class__ is int``), calls the converter only for other types, and fills the
slots directly. It only *detects* bad data: any exception it raises makes the converter re-run
the data through cattrs' detailed validation, which words the error. So both paths must accept
exactly the same data; the tests hold them to it.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Any

import attrs

__all__ = ["compile_structure"]

_INLINE = (int, str)


def _can_fill_slots(cls: type) -> bool:
    """Bypassing ``__init__`` is only sound when it would do nothing but assign."""
    return "__slots__" in vars(cls) and all(
        a.validator is None and a.converter is None and a.init and a.alias == a.name
        for a in attrs.fields(cls)
    )


def compile_structure(
    cls: type,
    wire_names: dict[str, str],
    hook_for: Callable[[Any], Callable[[Any, Any], Any]],
) -> Callable[[Any, Any], Any]:
    """The fast structure function of attrs class ``cls``.

    Args:
        cls: A resolved attrs class.
        wire_names: Attribute name -> key on the wire.
        hook_for: The converter's structure hook for a type (used for non-inline fields).
    """
    fields = attrs.fields(attrs.resolve_types(cls))  # the models use string annotations
    namespace: dict[str, Any] = {"cls": cls, "new": object.__new__}
    lines = ["def structure(o, _=None):"]
    for index, field in enumerate(fields):
        var = f"v{index}"
        lines.append(f"    {var} = o[{wire_names[field.name]!r}]")
        lines.extend(_check_or_convert(var, field.type, namespace, hook_for))
    if _can_fill_slots(cls):
        lines.append("    instance = new(cls)")
        for index, field in enumerate(fields):
            namespace[f"set{index}"] = vars(cls)[field.name].__set__
            lines.append(f"    set{index}(instance, v{index})")
        lines.append("    return instance")
    else:  # pragma: no cover - every model today can fill its slots
        lines.append(f"    return cls({', '.join(f'v{i}' for i in range(len(fields)))})")
    source = "\n".join(lines)
    exec(compile(source, f"<meetbot_sdk structure {cls.__qualname__}>", "exec"), namespace)  # noqa: S102
    function: Callable[[Any, Any], Any] = namespace["structure"]
    return function


def _check_or_convert(
    var: str,
    tp: Any,
    namespace: dict[str, Any],
    hook_for: Callable[[Any], Callable[[Any, Any], Any]],
) -> list[str]:
    if tp in _INLINE:
        return [f"    if {var}.__class__ is not {tp.__name__}: raise TypeError({var!r})"]
    args = typing.get_args(tp)
    is_union = typing.get_origin(tp) in (typing.Union, types.UnionType)
    if is_union and len(args) == 2 and type(None) in args:
        inner = args[0] if args[1] is type(None) else args[1]
        if inner in _INLINE:
            return [
                f"    if {var} is not None and {var}.__class__ is not {inner.__name__}:",
                f"        raise TypeError({var!r})",
            ]
    hook_name, type_name = f"hook_{var}", f"type_{var}"
    namespace[hook_name], namespace[type_name] = hook_for(tp), tp
    return [f"    {var} = {hook_name}({var}, {type_name})"]
