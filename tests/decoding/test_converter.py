"""The converter's two paths agree: the compiled fast path accepts exactly what cattrs'
detailed validation accepts, and produces the same models."""

from __future__ import annotations

import datetime
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetbot_sdk import ApiLog
from meetbot_sdk._decoding._converter import DecodeError, _detailed, _fast, structure
from tests.support.models import MODELS, strategy

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=5,
)
TIMESTAMPISH = st.sampled_from(
    ["2024-01-15", "2024-01-15T10:30:00Z", "2024-01-15T10:30", "20240115", "2024-01-15 10:30:00"]
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        copy: Any = dict(value)
    else:
        copy = list(value)
    copy[head] = _replace(value[head], rest, new)
    return copy


def _outcome(converter: Any, data: Any, cls: type) -> tuple[str, Any]:
    try:
        return "ok", converter.structure(data, cls)
    except Exception:
        return "failed", None


@pytest.mark.parametrize("cls", MODELS, ids=lambda cls: cls.__name__)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_fast_and_detailed_paths_agree_on_mutated_data(cls: type, data: st.DataObject) -> None:
    wire = data.draw(strategy(cls)).to_dict()
    path = data.draw(st.sampled_from(_paths(wire)))
    mutant = _replace(wire, path, data.draw(JSON_VALUES | TIMESTAMPISH))
    assert _outcome(_fast, mutant, cls) == _outcome(_detailed, mutant, cls)


@pytest.mark.parametrize("cls", MODELS, ids=lambda cls: cls.__name__)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_fast_and_detailed_paths_agree_when_a_key_is_missing(
    cls: type, data: st.DataObject
) -> None:
    wire = data.draw(strategy(cls)).to_dict()
    dict_paths = [p for p in _paths(wire) if p and isinstance(_get(wire, p[:-1]), dict)]
    if not dict_paths:
        return
    path = data.draw(st.sampled_from(dict_paths))
    parent = dict(_get(wire, path[:-1]))
    del parent[path[-1]]
    mutant = _replace(wire, path[:-1], parent)
    assert _outcome(_fast, mutant, cls) == _outcome(_detailed, mutant, cls)


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


@attrs.frozen
class _Parent:
    count: int


@attrs.frozen
class _Child(_Parent):  # its base has attrs' frozen __setattr__: no filling twin
    name: str


@attrs.frozen(repr=False)
class _TaggedLog(ApiLog):  # a user's own subclass of a model
    tag: str


_LOG = {
    "id": 1,
    "method": "GET",
    "path": "/p",
    "statusCode": 200,
    "responseTimeMs": 5,
    "apiKeyId": None,
    "apiKeyName": None,
    "ipAddress": None,
    "userAgent": None,
    "createdAt": "2024-01-15T10:30:00Z",
}
_CREATED = datetime.datetime(2024, 1, 15, 10, 30, tzinfo=datetime.timezone.utc)


@attrs.frozen(weakref_slot=True)
class _OwnWeakref:  # a __weakref__ slot of its own: CPython refuses the class switch
    count: int


@attrs.frozen(slots=False)
class _NoSlots:
    count: int


@pytest.mark.parametrize(
    ("cls", "data", "expected"),
    [
        (_Child, {"count": 1, "name": "a"}, _Child(1, "a")),
        (
            _TaggedLog,
            {**_LOG, "tag": "t"},
            _TaggedLog(1, "GET", "/p", 200, 5, None, None, None, None, _CREATED, "t"),
        ),
        (_OwnWeakref, {"count": 2}, _OwnWeakref(2)),
        (_NoSlots, {"count": 3}, _NoSlots(3)),
    ],
    ids=["frozen base", "a subclass of ApiLog", "own weakref slot", "no slots"],
)
def test_a_class_the_fast_fill_does_not_fit_still_decodes(
    cls: type, data: dict[str, Any], expected: object
) -> None:
    # The compiled fill falls back to the slot descriptors or __init__, never to a half-made
    # or wrongly typed instance.
    decoded = structure(data, cls)
    assert type(decoded) is cls
    assert decoded == expected
    first = next(iter(data))
    with pytest.raises(DecodeError, match=f"{first}: expected an integer"):
        structure({**data, first: "1"}, cls)
