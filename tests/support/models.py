"""Model data shared by the model, converter, speedups and client tests: the public models,
valid values of their fields (hypothesis strategies), wire dicts of a log and of analytics, and
what a decoded model must be like."""

from __future__ import annotations

import copy
import datetime
import pickle
import types
import typing
import weakref
from typing import Any

import attrs
import pytest
from hypothesis import strategies as st

import meetbot_sdk
from meetbot_sdk import _models

UTC = datetime.timezone.utc
MODELS = sorted(
    (
        obj
        for obj in vars(meetbot_sdk).values()
        if isinstance(obj, type) and attrs.has(obj) and issubclass(obj, _models._Model)
    ),
    key=lambda cls: cls.__name__,
)


OFFSETS = [UTC, datetime.timezone(datetime.timedelta(hours=5, minutes=30))]
OFFSETS.append(datetime.timezone(datetime.timedelta(hours=-8)))
INT64 = st.integers(-(2**63), 2**63 - 1)  # the integers the SDK accepts from the wire


def strategy(tp: Any) -> st.SearchStrategy[Any]:
    """Valid values of a model field's type, derived from the annotations."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return st.one_of([strategy(arg) for arg in typing.get_args(tp)])
    if origin is list:
        return st.lists(strategy(typing.get_args(tp)[0]), max_size=3)
    if origin is dict:
        return st.dictionaries(st.text(max_size=8), INT64, max_size=3)
    if attrs.has(tp):
        fields = attrs.fields(attrs.resolve_types(tp))
        return st.builds(tp, **{f.name: strategy(f.type) for f in fields})
    simple: dict[Any, st.SearchStrategy[Any]] = {
        int: INT64,
        float: st.floats(allow_nan=False, allow_infinity=False),
        str: st.text(max_size=20),
        type(None): st.none(),
        datetime.date: st.dates(),
        datetime.datetime: st.datetimes(
            min_value=datetime.datetime(1900, 1, 1), timezones=st.sampled_from(OFFSETS)
        ),
    }
    return simple[tp]


def assert_like_constructed(decoded: Any, constructed: Any) -> None:
    """A decoded model is in every way the instance its class would construct: the decoders
    fill instances without ``__init__`` (meetbot_sdk._decoding._fast_structure), which must
    not show."""
    cls = type(constructed)
    assert type(decoded) is cls
    assert decoded == constructed
    try:
        expected = hash(constructed)
    except TypeError:  # it holds a list
        with pytest.raises(TypeError):
            hash(decoded)
    else:
        assert hash(decoded) == expected
    assert repr(decoded) == repr(constructed)
    assert not hasattr(decoded, "__dict__")
    assert weakref.ref(decoded)() is decoded
    assert pickle.loads(pickle.dumps(decoded)) == constructed  # noqa: S301 - our own bytes
    assert copy.copy(decoded) == copy.deepcopy(decoded) == constructed
    first = attrs.fields(cls)[0].name
    assert attrs.evolve(decoded, **{first: getattr(constructed, first)}) == constructed
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(decoded, first, None)


LOG = {
    "id": 100,
    "method": "POST",
    "path": "/api/v1/bots",
    "statusCode": 201,
    "responseTimeMs": 45,
    "apiKeyId": 1,
    "apiKeyName": "Production Key",
    "ipAddress": "192.168.1.1",
    "userAgent": "curl/7.85.0",
    "createdAt": "2024-01-15T10:30:00Z",
}


ANALYTICS = {
    "apiCalls": {
        "today": 42,
        "thisMonth": 1250,
        "total": 8500,
        "dailyBreakdown": [{"date": "2024-01-14", "count": 38}],
    },
    "bots": {
        "created": 25,
        "active": 2,
        "platformBreakdown": {"google": 15, "zoom": 8, "teams": 2},
        "statusBreakdown": {"DONE": 20, "IN_CALL": 2, "FATAL": 3},
        "dailyCreated": [{"date": "2024-01-15", "count": 3}],
    },
    "recordings": {"total": 20, "totalDurationSeconds": 72000, "storageUsedMb": 1500.5},
    "transcriptions": {"total": 15, "totalMinutes": 450.5},
    "webhooks": {"totalDeliveries": 200, "successRate": 98.5, "avgResponseTimeMs": 125.3},
}
