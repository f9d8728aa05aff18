"""The ``speedups`` extra's decoder: a body's bytes to a model in one msgspec pass.

For each model class the converter asks for, this module builds a *mirror*: a
``msgspec.Struct`` with the same fields under their wire names (given by the converter, which
alone knows them), and a compiled function that turns a decoded mirror into the model.
msgspec parses and type-checks the body in C, so what is left in Python is filling the model
and the models it holds, in one function (see :func:`meetbot_sdk._decoding._fast_structure.fill`),
and parsing timestamps, which the mirror keeps as strings: the usual UTC text inline, any
other through the converter's own hooks (see
:func:`meetbot_sdk._decoding._fast_structure.timestamp_lines`).

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
from meetbot_sdk._decoding._fast_structure import CodeWriter, define, fill, timestamp_lines

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
    structs: dict[type, Any] = {}
    int64 = typing.Annotated[int, msgspec.Meta(ge=INT64_MIN, le=INT64_MAX)]

    def bounded(tp: Any) -> Any:
        return int64 if tp is int else tp

    def mirror(model: type) -> Any:
        if model not in structs:
            fields = attrs.fields(attrs.resolve_types(model))
            specs = [(field.name, spec(field.type)) for field in fields]
            structs[model] = msgspec.defstruct(
                f"{model.__name__}Mirror", specs, rename=wire_names(model), gc=False
            )
        return structs[model]

    def spec(tp: Any) -> Any:
        if tp in _PLAIN:
            return bounded(tp)
        if tp in _AS_TEXT:
            return str
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin in (typing.Union, types.UnionType) and args[1:] == (type(None),):
            if args[0] in _PLAIN:
                return bounded(args[0]) | None
        elif origin is dict and args[0] is str and args[1] in _PLAIN:
            return dict[str, bounded(args[1])]  # type: ignore[misc]
        elif origin is list and attrs.has(args[0]):
            return list[mirror(args[0])]  # type: ignore[misc]
        elif attrs.has(tp):
            return mirror(tp)
        raise NoMirrorError(f"{tp!r} has no msgspec mirror")

    struct = mirror(cls)
    writer = _Writer(hook_for)
    writer.instance(cls, "s", "instance", 1)
    lines = ["def structure(s):", *writer.lines, "    return instance"]
    convert = define(f"mirror {cls.__qualname__}", lines, writer.namespace)
    decode = msgspec.json.Decoder(struct).decode

    def decode_model(content: bytes) -> Any:
        return convert(decode(content))

    return decode_model


class _Writer(CodeWriter):
    """Writes the statements that turn a decoded mirror, and the mirrors it holds, into the
    model: msgspec has checked every value, so only timestamps, dates and models are left."""

    def instance(self, model: type, source: str, target: str, indent: int) -> None:
        """Set ``target`` to the ``model`` of the mirror ``source``."""
        values = []
        for field in attrs.fields(model):
            var = f"v{next(self._numbers)}"
            self.emit(indent, f"{var} = {source}.{field.name}")
            self.value(var, field.type, indent)
            values.append(var)
        tag = str(next(self._numbers))
        self.emit(indent, *fill(model, values, target, self.namespace, tag))

    def value(self, var: str, tp: Any, indent: int) -> None:
        """Replace ``var``, the mirror's value of a field of type ``tp``, with the model's."""
        if tp is datetime.datetime:
            self.emit(indent, *timestamp_lines(var, self.hook_for, self.namespace))
        elif tp in _AS_TEXT:
            hook_name, type_name = f"hook_{var}", f"type_{var}"
            self.namespace[hook_name], self.namespace[type_name] = self.hook_for(tp), tp
            self.emit(indent, f"{var} = {hook_name}({var}, {type_name})")
        elif typing.get_origin(tp) is list and attrs.has(typing.get_args(tp)[0]):
            items, item, append = f"{var}_items", f"{var}_item", f"{var}_append"
            self.emit(
                indent, f"{items} = []", f"{append} = {items}.append", f"for {item} in {var}:"
            )
            self.instance(typing.get_args(tp)[0], item, item, indent + 1)
            self.emit(indent + 1, f"{append}({item})")
            self.emit(indent, f"{var} = {items}")
        elif attrs.has(tp):
            self.instance(tp, var, var, indent)
