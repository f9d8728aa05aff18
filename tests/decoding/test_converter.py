"""The converter's two paths agree: the compiled fast path accepts exactly what cattrs'
detailed validation accepts, and produces the same models."""

from __future__ import annotations

import datetime
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import meetbot_sdk as mb
from meetbot_sdk import ApiLog, TranscriptionStats, WebhookStats
from meetbot_sdk._decoding._converter import DecodeError, _detailed, _fast, structure
from tests.support import strategies
from tests.support.models import LOG, MODELS, strategy

UTC = datetime.timezone.utc
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


@attrs.frozen(repr=False)
class _KeywordTagged(mb.DailyCount):  # a field added after the base's must often be keyword-only
    tag: str = attrs.field(kw_only=True)


@attrs.frozen(repr=False)
class _KeywordConverted(mb.DailyCount):  # keyword-only, and a converter: built by __init__
    tag: str = attrs.field(kw_only=True, converter=str.upper)


@attrs.frozen(slots=False)
class _KeywordNoSlots:
    count: int
    tag: str = attrs.field(kw_only=True)


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
        (
            _KeywordTagged,
            {"count": 4, "date": "2024-01-15", "tag": "t"},
            _KeywordTagged(datetime.date(2024, 1, 15), 4, tag="t"),
        ),
        (
            _KeywordConverted,
            {"count": 5, "date": "2024-01-15", "tag": "t"},
            _KeywordConverted(datetime.date(2024, 1, 15), 5, tag="T"),
        ),
        (_KeywordNoSlots, {"count": 6, "tag": "t"}, _KeywordNoSlots(6, tag="t")),
        (_OwnWeakref, {"count": 2}, _OwnWeakref(2)),
        (_NoSlots, {"count": 3}, _NoSlots(3)),
    ],
    ids=[
        "frozen base",
        "a subclass of ApiLog",
        "a keyword-only field",
        "a keyword-only field with a converter",
        "a keyword-only field, no slots",
        "own weakref slot",
        "no slots",
    ],
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


@attrs.frozen(repr=False)
class _Annotated(mb.DailyCount):  # a user's subclass, with field types no model of the API has
    ratio: float | None
    seen: datetime.datetime | None
    either: int | str
    maybe: int | str | None
    first: mb.DailyCount | None
    last: None | int  # noqa: RUF036 (as a user may write it)


_DAY = {"date": "2024-01-15", "count": 1}
INT64 = f"{-(2**63)} to {2**63 - 1}"
_ANNOTATED = {
    **_DAY,
    "ratio": 1,
    "seen": "2024-01-15T10:30:00+01:00",
    "either": 2,
    "maybe": 3,
    "first": {"date": "2024-01-16", "count": 4},
    "last": 5,
}


_SEEN = datetime.datetime(2024, 1, 15, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, (1.0, _SEEN, 2, 3, (16, 4), 5)),
        ({"either": "e", "maybe": "m"}, (1.0, _SEEN, "e", "m", (16, 4), 5)),
        (
            {"ratio": None, "seen": None, "maybe": None, "first": None, "last": None},
            (None, None, 2, None, None, None),
        ),
        ({"ratio": "1"}, "ratio: expected a number, got '1'"),
        (
            {"seen": "2024-01-15T25:00Z"},
            "seen: expected an ISO 8601 timestamp, got '2024-01-15T25:00Z'",
        ),
        ({"first": {**_DAY, "date": "x"}}, "first.date: expected a date as YYYY-MM-DD, got 'x'"),
        ({"last": 2**63}, f"last: expected a 64-bit integer ({INT64}), got {2**63}"),
    ],
    ids=["numbers", "texts", "nulls", "a bad float", "a bad timestamp", "a bad model", "a big int"],
)
def test_a_subclass_with_optional_and_union_fields_decodes_them_as_typed(
    changes: dict[str, Any], expected: tuple[Any, ...] | str
) -> None:
    data = {**_ANNOTATED, **changes}
    if isinstance(expected, str):
        with pytest.raises(DecodeError) as info:
            _Annotated.from_dict(data)
        assert str(info.value) == expected
        return
    decoded = _Annotated.from_dict(data)
    first = None if decoded.first is None else (decoded.first.date.day, decoded.first.count)
    fields = (decoded.ratio, decoded.seen, decoded.either, decoded.maybe, first, decoded.last)
    assert fields == expected
    assert [type(value) for value in fields] == [type(value) for value in expected]


# --- strictness and messages: numbers, shapes, depth, lengths, timestamps ------------------------


@pytest.mark.parametrize(
    ("value", "shown"), [("1.5", "'1.5'"), (True, "True"), (None, "None"), ([], "a list")]
)
def test_float_fields_refuse_strings_booleans_and_null(value: object, shown: str) -> None:
    with pytest.raises(ValueError, match=r"^totalMinutes: expected a number, got ") as info:
        TranscriptionStats.from_dict({"total": 1, "totalMinutes": value})
    assert str(info.value) == f"totalMinutes: expected a number, got {shown}"


def test_float_fields_take_integers_as_floats() -> None:
    stats = WebhookStats.from_dict(
        {"totalDeliveries": 3, "successRate": 1, "avgResponseTimeMs": 12.5}
    )
    assert stats.success_rate == 1.0
    assert type(stats.success_rate) is float


def test_one_more_problem_is_singular() -> None:
    with pytest.raises(DecodeError) as info:
        ApiLog.from_dict({**LOG, "id": "x", "method": 1})
    assert str(info.value) == "id: expected an integer, got 'x' (and 1 more problem)"


@pytest.mark.parametrize(
    ("cls", "data", "message"),
    [
        (ApiLog, {**LOG, "id": {"n": 1}}, "id: expected an integer, got an object"),
        (ApiLog, {**LOG, "id": [1]}, "id: expected an integer, got a list"),
        (
            mb.DailyCount,
            {"date": list("2024-01-15"), "count": 1},  # ten items, not ten characters
            "date: expected a date as YYYY-MM-DD, got a list",
        ),
        (
            mb.BotStats,
            {
                "created": 1,
                "active": 0,
                "platformBreakdown": [],
                "statusBreakdown": {},
                "dailyCreated": [],
            },
            "platformBreakdown: expected an object, got a list",
        ),
    ],
)
def test_a_value_of_the_wrong_shape_is_named_by_its_shape(
    cls: Any, data: dict[str, Any], message: str
) -> None:
    with pytest.raises(DecodeError) as info:
        cls.from_dict(data)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("lists", "message"),
    [
        (62, "statusBreakdown['x']: expected an integer, got a list"),  # 64 levels in all
        (63, "nested deeper than 64 levels"),  # 65: refused as a whole, unread
    ],
)
def test_data_nested_past_64_levels_is_refused_as_a_whole(lists: int, message: str) -> None:
    value: Any = 1
    for _ in range(lists):
        value = [value]
    data = {"created": 1, "active": 0, "platformBreakdown": {}, "dailyCreated": []}
    with pytest.raises(DecodeError) as info:
        mb.BotStats.from_dict({**data, "statusBreakdown": {"x": value}})
    assert str(info.value) == message


@attrs.frozen
class _Shouted:  # a user's own attrs classes, with a converter and validators
    word: str = attrs.field(converter=str.upper)


@attrs.frozen
class _Checked:
    count: int = attrs.field(validator=attrs.validators.gt(0))
    label: Any = attrs.field(default="", validator=attrs.validators.instance_of(str))


def test_a_users_attrs_class_decodes_through_its_converters_and_validators() -> None:
    assert structure({"word": "hi"}, _Shouted).word == "HI"
    assert structure({"count": 2, "label": "a"}, _Checked) == _Checked(2, "a")
    with pytest.raises(DecodeError) as info:
        structure({"count": 0, "label": "a"}, _Checked)
    assert str(info.value) == "invalid value (ValueError: 'count' must be > 0: 0)"
    with pytest.raises(DecodeError) as info:
        structure({"count": 1, "label": 5}, _Checked)
    # attrs' own words follow (they vary with its version)
    assert str(info.value).startswith(
        """invalid value (TypeError: ("'label' must be <class 'str'>"""
    )


def test_a_single_problem_adds_no_count() -> None:
    with pytest.raises(DecodeError) as info:
        ApiLog.from_dict({**LOG, "method": 1})
    assert str(info.value) == "method: expected a string, got 1"


@pytest.mark.parametrize(
    ("length", "shown"),
    [(38, "'" + "a" * 38 + "'"), (39, "'" + "a" * 36 + "...")],
)
def test_offending_values_are_shown_up_to_40_characters(length: int, shown: str) -> None:
    # repr adds two quotes: 38 letters show whole (40 characters), 39 are cut to 37 + "...".
    with pytest.raises(DecodeError) as info:
        ApiLog.from_dict({**LOG, "id": "a" * length})
    assert str(info.value) == f"id: expected an integer, got {shown}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-15T10:30:00z", datetime.datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        ("2024-01-15T10:30:00.5z", datetime.datetime(2024, 1, 15, 10, 30, 0, 500000, UTC)),
        # every digit up to the microsecond is kept; later ones are dropped, not rounded
        ("2024-01-15T10:30:00.123456z", datetime.datetime(2024, 1, 15, 10, 30, 0, 123456, UTC)),
        ("2024-01-15T10:30:00.1234567z", datetime.datetime(2024, 1, 15, 10, 30, 0, 123456, UTC)),
        ("2024-01-15", datetime.datetime(2024, 1, 15, tzinfo=UTC)),
        ("2024-01-15Z", datetime.datetime(2024, 1, 15, tzinfo=UTC)),
    ],
)
def test_lowercase_z_and_date_only_timestamps_are_read(
    text: str, expected: datetime.datetime
) -> None:
    log = ApiLog.from_dict({**LOG, "createdAt": text})
    assert log.created_at == expected
    assert log.created_at.tzinfo is UTC


@pytest.mark.parametrize("text", ["2024-01-1", "2024-13-01T00:00:00Z", "2024-01-15T25:00Z"])
def test_timestamps_that_are_no_instant_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="createdAt: expected an ISO 8601 timestamp"):
        ApiLog.from_dict({**LOG, "createdAt": text})


@pytest.mark.parametrize(
    ("ints", "refused"),
    [
        ({"id": -(2**63), "statusCode": 2**63 - 1, "apiKeyId": -1}, None),
        ({"id": -1, "statusCode": 200, "apiKeyId": None}, None),  # a negative one beside a null
        ({"id": -1, "statusCode": 2**63, "apiKeyId": None}, "statusCode"),
        ({"id": 1, "statusCode": 200, "apiKeyId": -(2**63) - 1}, "apiKeyId"),
        ({"id": -(2**64), "statusCode": 200, "apiKeyId": 2**63 - 1}, "id"),
    ],
)
def test_each_int_of_a_log_is_held_to_64_bits_whatever_the_others_hold(
    ints: dict[str, int | None], refused: str | None
) -> None:
    # one in-range value must not let another, negative or too large, through
    page = {"logs": [LOG, {**LOG, **ints}], "total": 2, "page": 1, "page_size": 2}
    if refused is None:
        assert mb.ApiLogPage.from_dict(page).logs[1].id == ints["id"]
    else:
        with pytest.raises(ValueError, match=rf"logs\[1\]\.{refused}: expected a 64-bit integer"):
            mb.ApiLogPage.from_dict(page)


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-15T16:00:00+05:30",
        "2024-01-15T10:30:00.123456+00:00",
        "2024-01-15T10:30",
        "2024W01T10Z",  # the shortest text that reads as an aware datetime
        "20240115",
    ],
)
def test_timestamps_in_a_page_decode_as_the_detailed_path_decodes_them(text: str) -> None:
    page = {"logs": [{**LOG, "createdAt": text}], "total": 1, "page": 1, "page_size": 1}
    assert _outcome(_fast, page, mb.ApiLogPage) == _outcome(_detailed, page, mb.ApiLogPage)


# --- any JSON: a model or a DecodeError ----------------------------------------------------------


@strategies.SETTINGS
@given(data=strategies.json_values | strategies.fitting, model=st.sampled_from(strategies.MODELS))
def test_any_json_structures_or_raises_decode_error(data: Any, model: type) -> None:
    try:
        result: object = structure(data, model)
    except DecodeError as error:
        result = error
    assert isinstance(result, (model, DecodeError))
