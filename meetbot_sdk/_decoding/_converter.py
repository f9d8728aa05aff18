"""The one cattrs converter: every wire detail of the API lives here and nowhere else.

- Wire names are the camelCase of the attribute names, except the few the API spells
  otherwise (``ApiLogPage.page_size`` is ``page_size`` on the wire).
- Unknown keys are ignored; unknown values of open sets (platforms, statuses) are kept,
  since breakdowns are plain ``dict[str, int]``.
- Types are strict: ``"5"`` is not an ``int``, ``True`` is not an ``int``, ``{}`` is not a list.
- Integers are 64-bit (``INT64_MIN`` to ``INT64_MAX``): ids beyond them would decode, then
  fail in ``to_pandas()``/``to_polars()`` and in most databases; they are refused here.
- Timestamps parse from ISO 8601 with ``Z``, offsets or fractional seconds of any length, and
  come out timezone-aware in UTC; naive ones are taken as UTC.

Two converters are built by the same function: a fast one for the hot path (its model hooks
compiled by :mod:`meetbot_sdk._decoding._fast_structure`), and one with cattrs' detailed
validation that is only used, after a failure, to say which field was wrong. With the
``speedups`` extra, bodies are decoded by msgspec mirrors of the models
(:mod:`meetbot_sdk._decoding._speedups`), built from the wire names and hooks given here;
whatever they refuse goes the standard way.
"""

from __future__ import annotations

import datetime
import importlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
from cattrs.cols import is_mapping, is_sequence, list_structure_factory, mapping_structure_factory
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from meetbot_sdk._constants import INT64_MAX, INT64_MIN, MAX_JSON_DEPTH
from meetbot_sdk._decoding._fast_structure import compile_structure

if TYPE_CHECKING:
    from cattrs.preconf.json import JsonConverter

__all__ = [
    "MAX_JSON_DEPTH",
    "DecodeError",
    "as_utc",
    "exceeds_depth",
    "explain",
    "format_timestamp",
    "json_library",
    "parse_timestamp",
    "structure",
    "structure_json",
    "unstructure",
]

T = TypeVar("T")

_UTC = datetime.timezone.utc

# Wire names that are not the camelCase of the attribute name: attribute -> wire name.
_WIRE_NAME_EXCEPTIONS: dict[str, str] = {
    "page_size": "page_size",  # ApiLogPage's, the only model with a field so named
}


def exceeds_depth(data: object, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether decoded JSON nests deeper than ``limit`` lists and objects.

    Iterative and linear in the size of ``data``, so it cannot overflow the stack; the
    clients only call it on the way to an error, never on a successful response.
    """
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children: Iterable[object]
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


class DecodeError(ValueError):
    """Data that does not fit a model; ``path`` names the field the way the wire spells it."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)


def wire_name(cls: type, attribute: str) -> str:
    """The key under which ``cls.attribute`` travels on the wire."""
    special = _WIRE_NAME_EXCEPTIONS.get(attribute)
    if special is not None:
        return special
    head, *rest = attribute.split("_")
    return head + "".join(word.capitalize() for word in rest)


def _wire_names(cls: type) -> dict[str, str]:
    """Attribute name -> wire key, for every field of ``cls``."""
    return {a.name: wire_name(cls, a.name) for a in attrs.fields(cls)}


def _show(value: object) -> str:
    """A short description of an offending value for error messages."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# --- primitives: strict, no coercion --------------------------------------------------------


def _structure_int(value: object, _: object) -> int:
    if value.__class__ is int:
        if INT64_MIN <= value <= INT64_MAX:
            return value
        raise TypeError(
            f"expected a 64-bit integer ({INT64_MIN} to {INT64_MAX}), got {_show(value)}"
        )
    raise TypeError(f"expected an integer, got {_show(value)}")


def _structure_float(value: object, _: object) -> float:
    cls = value.__class__
    if cls is float or cls is int:
        return float(value)  # type: ignore[arg-type]
    raise TypeError(f"expected a number, got {_show(value)}")


def _structure_str(value: object, _: object) -> str:
    if value.__class__ is str:
        return value
    raise TypeError(f"expected a string, got {_show(value)}")


def _structure_date(value: object, _: object) -> datetime.date:
    if value.__class__ is str and len(value) == 10:
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise TypeError(f"expected a date as YYYY-MM-DD, got {_show(value)}")


_FRACTION = re.compile(r"\.(\d+)")


def parse_timestamp(text: str) -> datetime.datetime:
    """Parse an ISO 8601 timestamp into an aware UTC datetime (naive is taken as UTC).

    Accepts ``Z`` and ``±HH:MM`` offsets and any number of fractional digits, on every
    supported Python (3.10's ``fromisoformat`` knows neither ``Z`` nor 1-5 digit fractions).

    Raises:
        ValueError: ``text`` is not an ISO 8601 timestamp.
    """
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        parsed = datetime.datetime.fromisoformat(_normalise_timestamp(text))
    return as_utc(parsed)


def as_utc(moment: datetime.datetime) -> datetime.datetime:
    """``moment`` as an aware datetime in UTC; a naive one is taken to be UTC already."""
    tz = moment.tzinfo
    if tz is _UTC:
        return moment
    if tz is None:
        return moment.replace(tzinfo=_UTC)
    return moment.astimezone(_UTC)


def _normalise_timestamp(text: str) -> str:
    """Rewrite the forms older ``fromisoformat`` rejects: ``Z`` and odd-length fractions."""
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    return _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)


_fromisoformat = datetime.datetime.fromisoformat


def _structure_datetime(value: Any, _: object) -> datetime.datetime:
    # parse_timestamp, written out: called once per log, its calls were a third of decoding.
    if value.__class__ is str and len(value) >= 10:
        try:
            parsed = _fromisoformat(value)
        except ValueError:
            try:
                parsed = _fromisoformat(_normalise_timestamp(value))
            except ValueError:
                parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo is _UTC else as_utc(parsed)
    raise TypeError(f"expected an ISO 8601 timestamp, got {_show(value)}")


def format_timestamp(value: datetime.datetime) -> str:
    """ISO 8601 with ``Z`` for UTC instants (``2024-01-15T10:30:00Z``), else with the offset."""
    if value.utcoffset() == datetime.timedelta(0):
        return value.replace(tzinfo=None).isoformat() + "Z"
    return value.isoformat()


# --- containers and classes -----------------------------------------------------------------


def _checked(hook: Callable[[Any, Any], T], expected: type, noun: str) -> Callable[[Any, Any], T]:
    """Refuse a value of the wrong JSON kind before ``hook`` can misread it (``{}`` as [])."""

    def structure_checked(value: Any, type_: Any) -> T:
        if not isinstance(value, expected):
            raise TypeError(f"expected {noun}, got {_show(value)}")
        return hook(value, type_)

    return structure_checked


def _build(*, detailed: bool) -> JsonConverter:
    from cattrs.preconf.json import make_converter  # import time: built on the first decode

    converter = make_converter(detailed_validation=detailed)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(float, _structure_float)
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(datetime.date, _structure_date)
    converter.register_structure_hook(datetime.datetime, _structure_datetime)
    converter.register_unstructure_hook(datetime.date, datetime.date.isoformat)
    converter.register_unstructure_hook(datetime.datetime, format_timestamp)

    def structure_list(type_: Any) -> Callable[[Any, Any], Any]:
        return _checked(list_structure_factory(type_, converter), list, "a list")

    def structure_mapping(type_: Any) -> Callable[[Any, Any], Any]:
        return _checked(mapping_structure_factory(type_, converter), Mapping, "an object")

    def structure_class(cls: type) -> Callable[[Any, Any], Any]:
        if not detailed:
            # Indexing a non-mapping fails anyway, and any failure is re-run in detail.
            return compile_structure(cls, _wire_names, converter.get_structure_hook)
        renames: dict[str, Any] = {
            name: override(rename=wire) for name, wire in _wire_names(cls).items()
        }
        hook: Callable[[Any, Any], Any] = make_dict_structure_fn(cls, converter, **renames)
        return _checked(hook, Mapping, "an object")

    def unstructure_class(cls: type) -> Callable[[Any], Any]:
        renames: dict[str, Any] = {
            name: override(rename=wire) for name, wire in _wire_names(cls).items()
        }
        return make_dict_unstructure_fn(cls, converter, **renames)

    converter.register_structure_hook_factory(is_sequence, structure_list)
    converter.register_structure_hook_factory(is_mapping, structure_mapping)
    converter.register_structure_hook_factory(attrs.has, structure_class)
    converter.register_unstructure_hook_factory(attrs.has, unstructure_class)
    return converter


# Built on first use, not by `import meetbot_sdk` (cattrs' preconf module is a noticeable part
# of the import): the fast one by the first decode, the detailed one by the first failure.
# `_converter._fast` and `_converter._detailed` still name them (module __getattr__).
_built: dict[bool, JsonConverter] = {}


def _converter(*, detailed: bool) -> JsonConverter:
    try:
        return _built[detailed]
    except KeyError:  # a race builds two equal converters; either is fine
        return _built.setdefault(detailed, _build(detailed=detailed))


def __getattr__(name: str) -> JsonConverter:
    if name in ("_fast", "_detailed"):
        return _converter(detailed=name == "_detailed")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def structure(data: Any, cls: type[T]) -> T:
    """Build ``cls`` from decoded JSON.

    Raises:
        DecodeError: the data does not fit; the message names the first offending field.
    """
    try:
        return _converter(detailed=False).structure(data, cls)
    except Exception:  # any failure is re-run below, to be worded
        raise explain(data, cls) from None


# The speedups extra (msgspec), looked up on the first body: ``import meetbot_sdk`` never
# imports an extra. One decoder per model class, compiled on its first body; None when the
# extra is not installed.
_SPEEDUPS = "msgspec"
_msgspec: Any = None
_looked_up = False
_decoders: dict[type, Callable[[bytes], Any] | None] = {}


def _speedups_module() -> Any:
    global _msgspec, _looked_up  # noqa: PLW0603 (a cache filled once)
    if not _looked_up:
        try:
            _msgspec = importlib.import_module(_SPEEDUPS)
        except ImportError:
            _msgspec = None
        _looked_up = True
    return _msgspec


def _decoder(cls: type) -> Callable[[bytes], Any] | None:
    msgspec = _speedups_module()
    if msgspec is None:
        return _decoders.setdefault(cls, None)
    from meetbot_sdk._decoding._speedups import (  # extra: speedups (msgspec)
        NoMirrorError,
        compile_decoder,
    )

    hook_for = _converter(detailed=False).get_structure_hook
    try:
        decoder: Callable[[bytes], Any] | None = compile_decoder(
            msgspec, cls, _wire_names, hook_for
        )
    except NoMirrorError:
        decoder = None
    return _decoders.setdefault(cls, decoder)


def structure_json(content: bytes, cls: type[T]) -> T | None:
    """The ``cls`` in a JSON body, the fast way: in one msgspec pass (the ``speedups`` extra).

    ``None`` when msgspec is not installed, or refuses the body: then the caller parses with
    :func:`json.loads` and :func:`structure`, which have the final word and word the errors.
    So a body gives the same model or the same error with the extra as without it (see
    :mod:`meetbot_sdk._decoding._speedups` for what msgspec refuses that the standard way may take).
    """
    try:
        decode = _decoders[cls]
    except KeyError:
        decode = _decoder(cls)
    if decode is None:
        return None
    try:
        model: T = decode(content)
    except Exception:  # refused: the standard way decides, and words any error
        return None
    return model


def json_library() -> str:
    """What decodes response bodies: ``"msgspec"`` (speedups) or ``"json"``."""
    return "json" if _speedups_module() is None else _SPEEDUPS


def unstructure(instance: object, *, use_api_names: object = True) -> dict[str, Any]:
    """The JSON-ready shape of a model instance: wire key names, or the attribute names.

    Raises:
        TypeError: ``use_api_names`` is not a bool.
    """
    if not isinstance(use_api_names, bool):
        msg = f"use_api_names must be True or False, got {use_api_names!r}"
        raise TypeError(msg)
    converter = _converter(detailed=False) if use_api_names else _python_names_converter()
    result: dict[str, Any] = converter.unstructure(instance)
    return result


def unstructure_json(instance: object, *, use_api_names: object = True) -> str:
    """:func:`unstructure` as JSON text (compact, UTF-8 characters kept as they are)."""
    shape = unstructure(instance, use_api_names=use_api_names)
    return json.dumps(shape, ensure_ascii=False, separators=(",", ":"))


_python_names: list[JsonConverter] = []


def _python_names_converter() -> JsonConverter:
    """Unstructures with attribute names (``api_calls``) and the wire's values (ISO text)."""
    if not _python_names:  # a race builds two equal converters; either is fine
        from cattrs.preconf.json import make_converter  # import time: on the first use

        converter = make_converter()
        converter.register_unstructure_hook(datetime.date, datetime.date.isoformat)
        converter.register_unstructure_hook(datetime.datetime, format_timestamp)
        _python_names.append(converter)
    return _python_names[0]


def explain(data: Any, cls: type) -> DecodeError:
    """Re-run with detailed validation to find and word the first offending field.

    Data nested deeper than :data:`MAX_JSON_DEPTH` is refused as a whole, unread.
    """
    if exceeds_depth(data):
        return DecodeError("", f"nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        _converter(detailed=True).structure(data, cls)
    except Exception as exc:  # every failure becomes a DecodeError
        problems = list(_leaves(exc, ""))
        path, leaf = problems[0]
        reason = _reason(leaf)
        if len(problems) > 1:
            reason += f" (and {len(problems) - 1} more problem{'s' * (len(problems) > 2)})"
        return DecodeError(path.lstrip("."), reason)
    # The fast converter failed where the detailed one did not (or the data given here
    # does fit): a bug, but still worded.
    return DecodeError("", f"could not decode {cls.__name__}")  # pragma: no cover


def _leaves(exc: BaseException, path: str) -> Iterator[tuple[str, BaseException]]:
    if isinstance(exc, ClassValidationError):
        for sub in exc.exceptions:
            names = [n.name for n in _notes(sub) if isinstance(n, AttributeValidationNote)]
            step = f".{wire_name(exc.cl, names[0])}" if names else ""
            yield from _leaves(sub, path + step)
    elif isinstance(exc, IterableValidationError):
        for sub in exc.exceptions:
            keys = [n.index for n in _notes(sub) if isinstance(n, IterableValidationNote)]
            step = "" if not keys else f"[{keys[0]!r}]"
            yield from _leaves(sub, path + step)
    else:
        yield path, exc


def _notes(exc: BaseException) -> list[object]:
    return list(getattr(exc, "__notes__", ()))


def _reason(leaf: BaseException) -> str:
    if isinstance(leaf, KeyError):
        return "required field missing"
    if isinstance(leaf, TypeError) and str(leaf).startswith("expected "):
        return str(leaf)
    return f"invalid value ({type(leaf).__name__}: {leaf})"
