"""The schemas `add endpoint` writes bound every value a client can send."""

from __future__ import annotations

import math
import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from fastasync_cli.engine.fields import parse_field, parse_fields
from fastasync_cli.engine.names import component_name
from fastasync_cli.engine.project import find_project
from fastasync_cli.generators.endpoint import (
    EndpointOptions,
    in_memory_max_items,
    plan_endpoint,
    schema_field,
)

SPECS = ["title:str{80}", "note:str?", "count:int=3", "ratio:float?", "done:bool", "at:datetime?"]


@pytest.mark.parametrize(
    ("spec", "declaration", "update"),
    [
        ("name:str", "name: Annotated[str, Field(max_length=255), NO_NUL]", None),
        (
            "title:str{80}?",
            "title: Annotated[str, Field(max_length=80), NO_NUL] | None = None",
            None,
        ),
        ("count:int=3", "count: Int64 = 3", "count: Int64 = left_out()"),
        ("ratio:float?", "ratio: FiniteFloat | None = None", "ratio: FiniteFloat | None = None"),
        ("done:bool=true", "done: StrictBool = True", "done: StrictBool = left_out()"),
        ("ref:uuid", "ref: UUID", "ref: UUID = left_out()"),
    ],
)
def test_schema_field_declares_the_bounds(spec: str, declaration: str, update: str | None) -> None:
    field = schema_field(parse_field(spec))
    assert field.declaration == declaration
    if update is not None:
        assert field.update_declaration == update


@pytest.fixture
def models(project: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The generated schema module, imported (pydantic resolves names in its module)."""
    options = EndpointOptions(component_name("things", "endpoint"), tuple(parse_fields(SPECS)))
    plan = plan_endpoint(options, find_project(project)).plan
    source = next(c.content for c in plan.changes if str(c.path) == "app/schemas/things.py")
    # The shared types it imports, as `new` wrote them into the project.
    for package in ["app", "app.schemas"]:
        monkeypatch.setitem(sys.modules, package, types.ModuleType(package))
    shared = types.ModuleType("app.schemas.types")
    monkeypatch.setitem(sys.modules, shared.__name__, shared)
    shared_source = (project / "app/schemas/types.py").read_text("utf-8")
    exec(compile(shared_source, "app/schemas/types.py", "exec"), shared.__dict__)
    module = types.ModuleType("generated_things")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    exec(compile(source, "app/schemas/things.py", "exec"), module.__dict__)
    return module.__dict__


VALID = {"title": "t", "done": False}


@pytest.mark.parametrize(
    "oversized",
    [
        {"title": "x" * 81},
        {"note": "x" * 256},
        {"count": 2**63},
        {"count": -(2**63) - 1},
        {"ratio": math.inf},
        {"ratio": math.nan},
        {"title": "a\x00b"},
        {"note": "\x00"},
        {"at": "0001-01-01T00:00:00+01:00"},
        {"at": "9999-12-31T23:59:59-00:01"},
    ],
)
def test_oversized_values_are_refused(models: dict[str, Any], oversized: dict[str, Any]) -> None:
    create: type[BaseModel] = models["ThingCreate"]
    update: type[BaseModel] = models["ThingUpdate"]
    with pytest.raises(ValidationError):
        create.model_validate(VALID | oversized)
    with pytest.raises(ValidationError):
        update.model_validate(oversized)


def test_values_at_the_bounds_are_accepted(models: dict[str, Any]) -> None:
    create: type[BaseModel] = models["ThingCreate"]
    item = create.model_validate(
        VALID | {"title": "x" * 80, "note": "x" * 255, "count": 2**63 - 1, "ratio": 1e308}
    )
    assert item.model_dump()["count"] == 2**63 - 1


def test_nul_is_refused_with_a_message_that_names_it(models: dict[str, Any]) -> None:
    create: type[BaseModel] = models["ThingCreate"]
    with pytest.raises(ValidationError) as caught:
        create.model_validate(VALID | {"title": "a\x00b"})
    (error,) = caught.value.errors()
    assert error["loc"] == ("title",)
    assert "NUL character" in error["msg"]
    # every other control character is text a database stores
    assert create.model_validate(VALID | {"title": "\x01\t\n\x7f"}).model_dump()["title"]


def test_an_oversized_string_is_refused_by_its_length_first(models: dict[str, Any]) -> None:
    # The NUL check comes after `max_length`: a huge string is never scanned, and the
    # error stays pydantic's `string_too_long`, which names the limit.
    create: type[BaseModel] = models["ThingCreate"]
    with pytest.raises(ValidationError) as caught:
        create.model_validate(VALID | {"title": "\x00" * 81})
    (error,) = caught.value.errors()
    assert error["type"] == "string_too_long"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2024-01-01T02:00:00+02:00", "2024-01-01T00:00:00Z"),
        ("2024-01-01T00:00:00", "2024-01-01T00:00:00Z"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
    ],
)
def test_times_are_kept_in_utc(models: dict[str, Any], given: str, stored: str) -> None:
    create: type[BaseModel] = models["ThingCreate"]
    item = create.model_validate(VALID | {"at": given})
    assert item.model_dump(mode="json")["at"] == stored


@pytest.mark.parametrize(
    ("spec", "example", "other"),
    [
        ("code:str{1}", '"e"', '"c"'),
        ("code:str{2}", '"ex"', '"ch"'),
        ("name:str", '"example"', '"changed"'),
        ("count:int", "1", "2"),
    ],
)
def test_test_values_fit_the_fields_maximum_length(spec: str, example: str, other: str) -> None:
    # The generated tests post these: a value over the field's maximum would be a 422.
    field = parse_field(spec)
    assert (field.example, field.other) == (example, other)


def test_patch_documents_null_only_for_fields_that_hold_it(models: dict[str, Any]) -> None:
    """A PATCH of `{"title": null}` was documented as valid, then answered 422: the
    schema now says what the API takes, and a field left out is still left alone."""
    update: type[BaseModel] = models["ThingUpdate"]
    properties = update.model_json_schema()["properties"]
    assert properties["title"]["type"] == "string"
    assert "default" not in properties["title"]
    assert {"type": "null"} in properties["note"]["anyOf"]
    with pytest.raises(ValidationError):
        update.model_validate({"title": None})
    assert update.model_validate({"note": None}).model_dump(exclude_unset=True) == {"note": None}
    assert update.model_validate({}).model_dump(exclude_unset=True) == {}


@pytest.mark.parametrize(
    "other_type",
    [
        {"count": "5"},
        {"count": True},
        {"ratio": "1.5"},
        {"ratio": True},
        {"done": 1},
        {"done": "yes"},
        {"at": 0},
        {"at": 1.5e9},
    ],
    ids=[
        "int-as-text",
        "int-as-bool",
        "float-as-text",
        "float-as-bool",
        "bool-as-number",
        "bool-as-text",
        "time-as-number",
        "time-as-float",
    ],
)
def test_values_of_another_json_type_are_refused(
    models: dict[str, Any], other_type: dict[str, Any]
) -> None:
    """pydantic's lax mode took `"5"` for 5, 1 for true and 0 for 1970: values the
    schema calls invalid, which the API accepted (schemathesis's negative data)."""
    create: type[BaseModel] = models["ThingCreate"]
    update: type[BaseModel] = models["ThingUpdate"]
    with pytest.raises(ValidationError):
        create.model_validate(VALID | other_type)
    with pytest.raises(ValidationError):
        update.model_validate(other_type)


def test_numbers_json_schema_calls_integers_are_taken(models: dict[str, Any]) -> None:
    create: type[BaseModel] = models["ThingCreate"]
    item = create.model_validate(VALID | {"count": 5.0, "ratio": 2, "at": "2000-01-01T00:00Z"})
    assert item.model_dump()["count"] == 5


def test_the_schema_says_text_holds_no_nul(models: dict[str, Any]) -> None:
    """NUL was refused with 422 though the schema allowed any string: schemathesis
    sent one as valid data. A pattern says so; the API's message stays its own."""
    create: type[BaseModel] = models["ThingCreate"]
    title = create.model_json_schema()["properties"]["title"]
    assert title["maxLength"] == 80
    assert not re.search(title["pattern"], "a\x00b")
    assert re.search(title["pattern"], "a\x01b\n")


@pytest.mark.parametrize(
    ("specs", "max_items"),
    [
        (["title:str{80}", "count:int"], 10_000),
        # 1024 + 2 * (80 + 8 * 65,535) bytes an item at most: 63 in 64 MiB.
        (["body:str{65535}", "extra:str{65535}?"], 63),
        ([f"f{n}:str{{65535}}" for n in range(200)], 1),
    ],
)
def test_the_in_memory_store_keeps_what_64_mib_holds(specs: list[str], max_items: int) -> None:
    assert in_memory_max_items(tuple(parse_fields(specs))) == max_items
