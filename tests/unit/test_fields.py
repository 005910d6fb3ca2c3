"""The field grammar of `add endpoint`: NAME:TYPE[{MAX}][:unique][:index][?][=DEFAULT]."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel
from sqlalchemy.orm import DeclarativeBase

from fastasync_cli.engine.fields import (
    DEFAULT_STR_MAX_LENGTH,
    FIELD_TYPES,
    MODIFIERS,
    Field,
    parse_field,
    parse_fields,
)
from fastasync_cli.errors import BadOptionError


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("price:float", Field("price", "float")),
        ("note:str?", Field("note", "str", optional=True)),
        ("in_stock:bool=true", Field("in_stock", "bool", default="True")),
        ("title:str{200}", Field("title", "str", max_length=200)),
        ("email:str{120}:unique", Field("email", "str", max_length=120, unique=True)),
        ("name:str:index", Field("name", "str", index=True)),
        ("code:int:unique:index", Field("code", "int", unique=True, index=True)),
        ("nick:str:unique?", Field("nick", "str", optional=True, unique=True)),
        ("nick:str?:unique", Field("nick", "str", optional=True, unique=True)),
        ("url:str=http://a.example:80/x", Field("url", "str", default='"http://a.example:80/x"')),
        ("due:datetime:index", Field("due", "datetime", index=True)),
        ("ref:UUID:unique", Field("ref", "uuid", unique=True)),
    ],
)
def test_valid_specs_parse(spec: str, expected: Field) -> None:
    assert parse_field(spec) == expected


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("price", "is not NAME:TYPE"),
        ("price:money", "unknown type 'money'"),
        ("email:str:primary", "unknown modifier 'primary'"),
        ("flag:bool:unique", "is a bool, which cannot be unique"),
        ("ratio:float:unique", "is a float, which cannot be unique"),
        ("count:int{10}", "gives a maximum length to a int"),
        ("title:str{0}", "not a number from 1 to 65535"),
        ("title:str{x}", "not a number from 1 to 65535"),
        ("title:str{99999}", "not a number from 1 to 65535"),
        ("ratio:float=inf", "not a finite number"),
        ("ratio:float=nan", "not a finite number"),
        ("ratio:float=-Infinity", "not a finite number"),
        ("count:int=99999999999999999999", "outside the 64-bit integer range"),
        ("note:str=a\nb", "control character"),
        # A byte that is not UTF-8 in the arguments (Python keeps it as a lone surrogate).
        ("note:str=a\udcffb", "bytes that are not UTF-8 text"),
        ("code:str{2}=abc", "longer than its maximum length 2"),
        ("note:str??", "has two '?'"),
        ("note:str?:index?", "has two '?'"),
        ("id:int", "which every model or schema already has"),
        ("created_at:datetime", "which every model or schema already has"),
        ("metadata:str", "which every model or schema already has"),
        ("query:str", "which every model or schema already has"),
        ("json:str", "which every model or schema already has"),
        ("str:str=a", "which every model or schema already has"),
        ("model_name:str", "which every model or schema already has"),
        ("order:int", "a reserved word of SQL"),
        ("user:str", "a reserved word of SQL"),
        ("Price:float", "not a lowercase Python identifier"),
        ("class:str", "uses 'class', a Python keyword"),
        ("register:str", "which every model or schema already has"),
        # Bound in the model's class body, it hid the function from the next column.
        ("mapped_column:str", "uses 'mapped_column', which the generated model or schema calls"),
        ("left_out:str", "uses 'left_out', which the generated model or schema calls"),
        ("name\n:str", "not a lowercase Python identifier"),
        ("a" * 51 + ":str", "the limit is 50"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec: str, problem: str) -> None:
    with pytest.raises(BadOptionError) as info:
        parse_field(spec)
    assert problem in info.value.message
    assert info.value.hint


def test_every_name_a_model_or_schema_already_has_is_refused() -> None:
    """What Pydantic would warn of (or refuse), and SQLAlchemy's declarative names."""

    class Base(DeclarativeBase):
        pass

    taken = {*dir(BaseModel), *dir(type(BaseModel)), *dir(Base)}
    for name in sorted(n for n in taken if not n.startswith("_")):
        with pytest.raises(BadOptionError, match="already has"):
            parse_field(f"{name}:str")


def test_no_fields_means_one_name_field() -> None:
    assert parse_fields([]) == [Field("name", "str")]
    assert parse_fields([])[0].str_max_length == DEFAULT_STR_MAX_LENGTH


def test_a_field_given_twice_is_refused() -> None:
    with pytest.raises(BadOptionError, match="given twice"):
        parse_fields(["a:int", "a:str"])


_names = st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True).filter(
    lambda n: parse_field_ok(f"{n}:int")
)


def parse_field_ok(spec: str) -> bool:
    try:
        parse_field(spec)
    except BadOptionError:
        return False
    return True


@st.composite
def fields(draw: st.DrawFn) -> Field:
    type_name = draw(st.sampled_from(sorted(FIELD_TYPES)))
    optional = draw(st.booleans())
    max_length = draw(st.none() | st.integers(1, 65_535)) if type_name == "str" else None
    modifiers = {m: draw(st.booleans()) for m in MODIFIERS}
    if not FIELD_TYPES[type_name].can_be_unique:
        modifiers["unique"] = False
    default = None
    if type_name == "int" and draw(st.booleans()):
        default = repr(draw(st.integers(-(2**63), 2**63 - 1)))
    elif type_name == "bool" and draw(st.booleans()):
        default = draw(st.sampled_from(["True", "False"]))
    elif type_name == "float" and draw(st.booleans()):
        default = repr(draw(st.floats(allow_nan=False, allow_infinity=False)))
    elif type_name == "str" and draw(st.booleans()):
        text = draw(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20))
        limit = max_length if max_length is not None else DEFAULT_STR_MAX_LENGTH
        text = text[:limit]
        default = parse_field(f"x:str{{{limit}}}={text}").default
    return Field(draw(_names), type_name, optional, default, max_length, **modifiers)


@given(fields())
def test_spec_round_trips(field: Field) -> None:
    """The manifest records `spec()`; parsing it again gives the same field."""
    assert parse_field(field.spec()) == field
