"""The ``speedups`` extra's decoder: a body's bytes to a model in one msgspec pass.

For each model class the converter asks for, this module builds a *mirror*: a
``msgspec.Struct`` with the same fields under their wire names (given by the converter, which
alone knows them), and a compiled function that turns a decoded mirror into the model.
msgspec parses and type-checks the body in C, so what is left in Python is filling the model
(see :func:`meetbot_sdk._decoding._fast_structure.filling`) and parsing timestamps, which the mirror
keeps as strings so that they go through the converter's own hooks.

The mirror is never more lenient than the converter: msgspec refuses ``true`` and ``1.0``
for an ``int`` (and an integer outside 64 bits, by a ``msgspec.Meta`` bound), anything but
a string for a ``str``, anything but a number for a ``float`` (an integer becomes its
float, as in the converter), a missing key and ``null`` where it is not allowed, ``NaN``,
invalid UTF-8, a byte-order mark, lone surrogates and nesting past its limit. Whatever it
refuses, the caller decodes again with :func:`json.loads` and the converter, which have the
final word and word the errors: a body gives the same model or the same error with the
extra as without it.
"""

from __future__ import annotations

import datetime
import types
import typing
from collections.abc import Callable
from typing import Any

import attrs

from meetbot_sdk._constants import INT64_MAX, INT64_MIN
from meetbot_sdk._decoding._fast_structure import define, filling

__all__ = ["NoMirrorError", "compile_decoder"]

_PLAIN = (int, str, float)
_AS_TEXT = (datetime.datetime, datetime.date)  # mirrored as strings, parsed by the hooks


class NoMirrorError(TypeError):
    """A field type the mirror does not know: that model is decoded the standard way."""


def compile_decoder(
    msgspec: Any,
    cls: type,
    wire_names: Callable[[type], dict[str, str]],
    hook_for: Callable[[Any], Callable[[Any, Any], Any]],
) -> Callable[[bytes], Any]:
    """The function that decodes a JSON body into ``cls`` (it raises on anything unfit).

    Args:
        msgspec: The msgspec module.
        cls: An attrs model class.
        wire_names: The attribute name -> wire key mapping of a model class.
        hook_for: The converter's structure hook for a type (timestamps and dates).

    Raises:
        NoMirrorError: A field of ``cls`` has a type the mirror cannot express.
    """
    mirrors: dict[type, tuple[Any, Callable[[Any], Any]]] = {}
    int64 = typing.Annotated[int, msgspec.Meta(ge=INT64_MIN, le=INT64_MAX)]

    def bounded(tp: Any) -> Any:
        return int64 if tp is int else tp

    def mirror(model: type) -> tuple[Any, Callable[[Any], Any]]:
        if model not in mirrors:
            fields = attrs.fields(attrs.resolve_types(model))
            namespace: dict[str, Any] = {}
            specs, values = [], []
            for index, field in enumerate(fields):
                spec, value = _field(field.type, f"s.{field.name}", index, namespace)
                specs.append((field.name, spec))
                values.append(value)
            struct = msgspec.defstruct(
                f"{model.__name__}Mirror", specs, rename=wire_names(model), gc=False
            )
            lines = ["def structure(s):", *filling(model, values, namespace)]
            mirrors[model] = (struct, define(f"mirror {model.__qualname__}", lines, namespace))
        return mirrors[model]

    def _field(tp: Any, value: str, index: int, namespace: dict[str, Any]) -> tuple[Any, str]:
        if tp in _PLAIN:
            return bounded(tp), value
        if tp in _AS_TEXT:
            namespace[f"hook{index}"], namespace[f"type{index}"] = hook_for(tp), tp
            return str, f"hook{index}({value}, type{index})"
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin in (typing.Union, types.UnionType) and args[1:] == (type(None),):
            if args[0] in _PLAIN:
                return bounded(args[0]) | None, value
        elif origin is dict and args[0] is str and args[1] in _PLAIN:
            return dict[str, bounded(args[1])], value  # type: ignore[misc]
        elif origin is list and attrs.has(args[0]):
            struct, convert = mirror(args[0])
            namespace[f"convert{index}"] = convert
            return list[struct], f"[convert{index}(item) for item in {value}]"  # type: ignore[valid-type]
        elif attrs.has(tp):
            struct, convert = mirror(tp)
            namespace[f"convert{index}"] = convert
            return struct, f"convert{index}({value})"
        raise NoMirrorError(f"{tp!r} has no msgspec mirror")

    struct, convert = mirror(cls)
    decode = msgspec.json.Decoder(struct).decode

    def decode_model(content: bytes) -> Any:
        return convert(decode(content))

    return decode_model
