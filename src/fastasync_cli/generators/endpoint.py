"""`fastasync add endpoint NAME [FIELD:TYPE ...]`: a resource router with its storage."""

from __future__ import annotations

import ast
import keyword
import re
from dataclasses import dataclass

from fastasync_cli.engine import edits
from fastasync_cli.engine.names import Name
from fastasync_cli.engine.project import Manifest
from fastasync_cli.engine.render import render_piece
from fastasync_cli.errors import BadOptionError
from fastasync_cli.generators.component import ComponentPlan, PythonEdit, import_edit


@dataclass(frozen=True)
class FieldType:
    annotation: str  # as written in the schema
    import_line: str | None  # what the schema module needs for it
    example: str  # a valid JSON value, as Python source for the tests
    other: str  # a second valid value, different from `example`
    invalid: str  # a value validation rejects, as Python source


FIELD_TYPES = {
    "str": FieldType("str", None, '"example"', '"changed"', "123"),
    "int": FieldType("int", None, "1", "2", '"not a number"'),
    "float": FieldType("float", None, "1.5", "2.5", '"not a number"'),
    "bool": FieldType("bool", None, "True", "False", '"maybe"'),
    "datetime": FieldType(
        "datetime",
        "from datetime import datetime",
        '"2024-01-01T00:00:00Z"',
        '"2025-06-30T12:30:00Z"',
        '"yesterday"',
    ),
    "uuid": FieldType(
        "UUID",
        "from uuid import UUID",
        '"00000000-0000-4000-8000-000000000001"',
        '"00000000-0000-4000-8000-000000000002"',
        '"not-a-uuid"',
    ),
}
_SPEC_RE = re.compile(
    r"^(?P<name>[^:=?]+):(?P<type>[A-Za-z]+)(?P<optional>\?)?(?:=(?P<default>.*))?$"
)
_FIELD_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_RESERVED_FIELDS = {"id"}


@dataclass(frozen=True)
class Field:
    """One field of a resource, parsed from `name:type[?][=default]`."""

    name: str
    type_name: str
    optional: bool
    default: str | None  # Python source of the default, if any

    @property
    def kind(self) -> FieldType:
        return FIELD_TYPES[self.type_name]

    @property
    def required(self) -> bool:
        return not self.optional and self.default is None

    @property
    def annotation(self) -> str:
        return f"{self.kind.annotation} | None" if self.optional else self.kind.annotation

    @property
    def declaration(self) -> str:
        """The line in the schema: `price: float` or `note: str | None = None`."""
        if self.default is not None:
            return f"{self.name}: {self.annotation} = {self.default}"
        if self.optional:
            return f"{self.name}: {self.annotation} = None"
        return f"{self.name}: {self.annotation}"

    def spec(self) -> str:
        text = f"{self.name}:{self.type_name}{'?' if self.optional else ''}"
        return text if self.default is None else f"{text}={self._raw_default}"

    @property
    def _raw_default(self) -> str:
        assert self.default is not None
        if self.type_name == "str":
            # The default is kept as Python source; its value is what the user typed.
            return str(ast.literal_eval(self.default))
        return self.default.lower() if self.type_name == "bool" else self.default


def _bad_field(spec: str, problem: str, hint: str) -> BadOptionError:
    return BadOptionError(f"The field {spec!r} {problem}.", hint)


def _default_source(spec: str, type_name: str, raw: str) -> str:
    if type_name == "str":
        return '"' + raw.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if type_name == "bool":
        if raw.lower() not in {"true", "false"}:
            raise _bad_field(
                spec, "has a bool default that is not true or false", "Use =true or =false."
            )
        return "True" if raw.lower() == "true" else "False"
    if type_name in {"int", "float"}:
        try:
            value = int(raw) if type_name == "int" else float(raw)
        except ValueError:
            raise _bad_field(
                spec,
                f"has a default that is not a {type_name}",
                f"Write e.g. {spec.split('=')[0]}=1.",
            ) from None
        return repr(value)
    raise _bad_field(
        spec,
        f"has a default, which {type_name} fields cannot have",
        f"Drop the default, or make the field optional: {spec.split('=')[0]}?",
    )


def parse_field(spec: str) -> Field:
    """Parse `name:type`, `name:type?` (optional) or `name:type=default`."""
    match = _SPEC_RE.match(spec)
    if match is None:
        raise _bad_field(
            spec,
            "is not NAME:TYPE",
            "Write fields like price:float, note:str? or in_stock:bool=true.",
        )
    name, type_name = match["name"], match["type"].lower()
    if not _FIELD_NAME_RE.match(name) or keyword.iskeyword(name):
        raise _bad_field(
            spec,
            "has a name that is not a lowercase Python identifier",
            "Use letters, digits and underscores, starting with a letter, e.g. unit_price:float.",
        )
    if name in _RESERVED_FIELDS or name.startswith("model_"):
        raise _bad_field(spec, f"uses the reserved name {name!r}", "Pick another field name.")
    if type_name not in FIELD_TYPES:
        raise _bad_field(
            spec,
            f"has an unknown type {match['type']!r}",
            f"Use one of: {', '.join(FIELD_TYPES)}.",
        )
    default = None
    if match["default"] is not None:
        default = _default_source(spec, type_name, match["default"])
    return Field(name, type_name, bool(match["optional"]), default)


def parse_fields(specs: list[str]) -> list[Field]:
    fields = [parse_field(spec) for spec in specs] or [Field("name", "str", False, None)]
    seen: set[str] = set()
    for field in fields:
        if field.name in seen:
            raise BadOptionError(
                f"The field {field.name!r} is given twice.", "Give each field once."
            )
        seen.add(field.name)
    return fields


@dataclass(frozen=True)
class EndpointOptions:
    name: Name
    fields: tuple[Field, ...]
    force: bool = False


def plan_endpoint(options: EndpointOptions, manifest: Manifest) -> ComponentPlan:
    """Plan the router, schemas, repository and tests of one resource, and register it."""
    name = options.name
    builder = ComponentPlan(manifest, options.force)
    builder.check_name(name, "endpoint")
    item = name.singular_pascal
    context = {
        "name": name,
        "item": item,
        "item_words": name.singular_words,
        "fields": options.fields,
        "imports": sorted({f.kind.import_line for f in options.fields if f.kind.import_line}),
        "required": [f for f in options.fields if f.required],
    }
    for template, target in [
        ("schemas.py.jinja", f"app/schemas/{name.snake}.py"),
        ("repository.py.jinja", f"app/repositories/{name.snake}.py"),
        ("route.py.jinja", f"app/api/routes/{name.snake}.py"),
        ("test_route.py.jinja", f"tests/api/routes/test_{name.snake}.py"),
    ]:
        builder.create(target, render_piece("endpoint", template, context))
    for package, doc in [
        (
            "app/schemas/__init__.py",
            '"""Request and response schemas, one module per resource."""\n',
        ),
        (
            "app/repositories/__init__.py",
            '"""Storage behind async interfaces, one module per resource."""\n',
        ),
    ]:
        if not (builder.root / package).exists():
            builder.create(package, doc)

    repository = f"{item}Repository"
    state_key = f"{name.snake}_repository"
    register = f"api_router.include_router({name.snake}.router)"
    builder.edit_python(
        "app/api/main.py",
        [
            import_edit("app.api.routes", name.snake),
            PythonEdit(
                lambda m: edits.ensure_statement_after_last(
                    m,
                    register,
                    edits.is_call_to("api_router.include_router"),
                    "an `api_router.include_router(...)` line to add the router after",
                ),
                register,
            ),
        ],
    )
    builder.add_dependency(
        f"app.repositories.{name.snake}",
        repository,
        render_piece("endpoint", "deps.py.jinja", context),
    )
    in_memory = f"InMemory{repository}"
    builder.add_to_lifespan(
        f"app.repositories.{name.snake}", in_memory, f'state["{state_key}"] = {in_memory}()'
    )
    builder.record(
        {"kind": "endpoint", "name": name.snake, "fields": [f.spec() for f in options.fields]}
    )
    return builder
