"""The fields of `add endpoint`: `NAME:TYPE[{MAX}][:unique][:index][?][=DEFAULT]`.

One grammar serves every layer: the Pydantic schemas (types, optional, defaults, the
maximum length of strings), the database models (`unique`, `index`, column lengths) and
the manifest, which records each field as `Field.spec()` so a later command can parse it
again.
"""

from __future__ import annotations

import ast
import json
import keyword
import math
import re
from dataclasses import dataclass, replace

from fastasync_cli.engine.names import is_utf8
from fastasync_cli.errors import BadOptionError

# A `str` field without `{N}` accepts at most this many characters: bounded input, and a
# VARCHAR length every database takes.
DEFAULT_STR_MAX_LENGTH = 255
MAX_STR_MAX_LENGTH = 65_535
MAX_FIELD_NAME = 50


@dataclass(frozen=True)
class FieldType:
    annotation: str  # as written in the schema
    example: str  # a valid JSON value, as Python source for the tests
    other: str  # a second valid value, different from `example`
    invalid: str  # a value validation rejects, as Python source
    can_be_unique: bool = True


FIELD_TYPES = {
    "str": FieldType("str", '"example"', '"changed"', "123"),
    "int": FieldType("int", "1", "2", '"not a number"'),
    # Equality of floats is not a key: 0.1 + 0.2 != 0.3.
    "float": FieldType("float", "1.5", "2.5", '"not a number"', can_be_unique=False),
    # Two values cannot make a useful unique key.
    "bool": FieldType("bool", "True", "False", '"maybe"', can_be_unique=False),
    "datetime": FieldType(
        "datetime",
        '"2024-01-01T00:00:00Z"',
        '"2025-06-30T12:30:00Z"',
        '"yesterday"',
    ),
    "uuid": FieldType(
        "UUID",
        '"00000000-0000-4000-8000-000000000001"',
        '"00000000-0000-4000-8000-000000000002"',
        '"not-a-uuid"',
    ),
}
MODIFIERS = ("unique", "index")

_SPEC_RE = re.compile(
    r"(?P<name>[^:=?{}]+):(?P<type>[A-Za-z]+)"
    r"(?:\{(?P<max>[^}]*)\})?"
    r"(?P<optional1>\?)?"
    r"(?P<mods>(?::[A-Za-z_]+)*)"
    r"(?P<optional2>\?)?"
    r"(?:=(?P<default>.*))?",
    re.DOTALL,
)
_FIELD_NAME_RE = re.compile(r"[a-z][a-z0-9_]*")

# Names every model and schema already has, or that shadow what the generated code uses:
# the primary key and timestamps, SQLAlchemy's declarative attributes, Pydantic's
# BaseModel methods, and the type names the schema's annotations refer to.
_RESERVED_FIELDS = frozenset(
    {
        "id",
        "created_at",
        "updated_at",
        # SQLAlchemy declarative
        "metadata",
        "registry",
        "query",
        "query_class",
        # pydantic.BaseModel
        "construct",
        "copy",
        "dict",
        "from_orm",
        "json",
        "parse_file",
        "parse_obj",
        "parse_raw",
        "schema",
        "schema_json",
        "update_forward_refs",
        "validate",
        # pydantic.BaseModel's metaclass (an ABCMeta): Pydantic warns of the shadowing
        "mro",
        "register",
        # names the schema's annotations use
        "str",
        "int",
        "float",
        "bool",
        "datetime",
        "uuid",
        "none",
    }
)

# What a model's or schema's class body calls for each field (the model's columns,
# the PATCH schema's defaults). A class body looks names up in the class first, so a
# field of this name would hide it from every field after it.
_MODEL_BODY_NAMES = frozenset({"mapped_column", "left_out"})

# PostgreSQL's reserved key words (those that cannot be a column name unquoted); most are
# reserved in SQLite and the SQL standard too.
SQL_RESERVED = frozenset(
    """
    all analyse analyze and any array as asc asymmetric authorization binary both case cast
    check collate collation column concurrently constraint create cross current_catalog
    current_date current_role current_schema current_time current_timestamp current_user
    default deferrable desc distinct do else end except false fetch for foreign freeze from
    full grant group having ilike in initially inner intersect into is isnull join lateral
    leading left like limit localtime localtimestamp natural not notnull null offset on only
    or order outer overlaps placing primary references returning right select session_user
    similar some symmetric table tablesample then to trailing true union unique user using
    variadic verbose when where window with
    """.split()  # noqa: SIM905 (a word list reads better as text)
)


@dataclass(frozen=True)
class Field:
    """One field of a resource."""

    name: str
    type_name: str
    optional: bool = False
    default: str | None = None  # Python source of the default, if any
    max_length: int | None = None  # `{N}` as given; str fields only
    unique: bool = False
    index: bool = False

    @property
    def kind(self) -> FieldType:
        return FIELD_TYPES[self.type_name]

    @property
    def required(self) -> bool:
        return not self.optional and self.default is None

    @property
    def str_max_length(self) -> int | None:
        """The longest string the field accepts (None for other types)."""
        if self.type_name != "str":
            return None
        return self.max_length if self.max_length is not None else DEFAULT_STR_MAX_LENGTH

    @property
    def example(self) -> str:
        """A valid value, as Python source for the tests: the type's, cut to fit."""
        return self._fitted(self.kind.example)

    @property
    def other(self) -> str:
        """A second valid value, different from `example`, cut to fit as well."""
        return self._fitted(self.kind.other)

    def _fitted(self, source: str) -> str:
        limit = self.str_max_length
        if limit is None:
            return source
        return json.dumps(ast.literal_eval(source)[:limit])

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
        """The field as the user would type it; `parse_field(f.spec()) == f`."""
        text = f"{self.name}:{self.type_name}"
        if self.max_length is not None:
            text += f"{{{self.max_length}}}"
        for modifier in MODIFIERS:
            if getattr(self, modifier):
                text += f":{modifier}"
        if self.optional:
            text += "?"
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


def _default_source(spec: str, field: Field, raw: str) -> str:
    type_name = field.type_name
    if type_name == "str":
        if not is_utf8(raw):
            raise _bad_field(
                spec,
                "has a default with bytes that are not UTF-8 text",
                "Set the terminal to UTF-8 (or use ASCII), then type the default again.",
            )
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in raw):
            raise _bad_field(spec, "has a default with a control character", "Use printable text.")
        limit = field.str_max_length
        assert limit is not None
        if len(raw) > limit:
            raise _bad_field(
                spec,
                f"has a default longer than its maximum length {limit}",
                "Shorten the default or raise the maximum, e.g. note:str{1000}=...",
            )
        return '"' + raw.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if type_name == "bool":
        if raw.lower() not in {"true", "false"}:
            raise _bad_field(
                spec, "has a bool default that is not true or false", "Use =true or =false."
            )
        return "True" if raw.lower() == "true" else "False"
    if type_name in {"int", "float"}:
        try:
            value: int | float = int(raw) if type_name == "int" else float(raw)
        except ValueError:
            raise _bad_field(
                spec,
                f"has a default that is not {'an integer' if type_name == 'int' else 'a number'}",
                f"Write e.g. {spec.split('=')[0]}=1.",
            ) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise _bad_field(
                spec,
                "has a default that is not a finite number",
                "JSON has no inf or nan: use a finite number, or make the field optional.",
            )
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            raise _bad_field(
                spec,
                "has a default outside the 64-bit integer range",
                "Use a number between -2**63 and 2**63 - 1.",
            )
        return repr(value)
    raise _bad_field(
        spec,
        f"has a default, which {type_name} fields cannot have",
        f"Drop the default, or make the field optional: {spec.split('=')[0]}?",
    )


def _check_name(spec: str, name: str) -> None:
    if keyword.iskeyword(name):
        raise _bad_field(
            spec,
            f"uses {name!r}, a Python keyword",
            f"Pick another field name, e.g. {name}_name.",
        )
    if not _FIELD_NAME_RE.fullmatch(name):
        raise _bad_field(
            spec,
            "has a name that is not a lowercase Python identifier",
            "Use letters, digits and underscores, starting with a letter, e.g. unit_price:float.",
        )
    if len(name) > MAX_FIELD_NAME:
        raise _bad_field(
            spec,
            f"has a name of {len(name)} characters; the limit is {MAX_FIELD_NAME}",
            "Use a shorter field name.",
        )
    if name in _RESERVED_FIELDS or name.startswith(("model_", "_")):
        raise _bad_field(
            spec,
            f"uses the name {name!r}, which every model or schema already has",
            f"Pick another field name, e.g. {name}_value.",
        )
    if name in _MODEL_BODY_NAMES:
        raise _bad_field(
            spec,
            f"uses {name!r}, which the generated model or schema calls for each field",
            f"Pick another field name, e.g. {name}_value.",
        )
    if name in SQL_RESERVED:
        raise _bad_field(
            spec,
            f"uses {name!r}, a reserved word of SQL",
            f"Pick another field name, e.g. {name}_name.",
        )


def _max_length(spec: str, type_name: str, raw: str | None) -> int | None:
    if raw is None:
        return None
    if type_name != "str":
        raise _bad_field(
            spec, f"gives a maximum length to a {type_name}", "Only str fields take {N}."
        )
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_STR_MAX_LENGTH:
        raise _bad_field(
            spec,
            f"has a maximum length {raw!r} that is not a number from 1 to {MAX_STR_MAX_LENGTH}",
            "Write e.g. title:str{200}.",
        )
    return int(raw)


def _modifiers(spec: str, type_name: str, raw: str) -> set[str]:
    given = [part.lower() for part in raw.split(":") if part]
    for modifier in given:
        if modifier not in MODIFIERS:
            raise _bad_field(
                spec,
                f"has an unknown modifier {modifier!r}",
                f"Use {' or '.join(':' + m for m in MODIFIERS)}, e.g. email:str:unique.",
            )
    repeated = sorted({m for m in given if given.count(m) > 1})
    if repeated:
        raise _bad_field(
            spec,
            f"repeats the modifier :{repeated[0]}",
            f"Give :{repeated[0]} once, e.g. email:str:unique.",
        )
    if "unique" in given and not FIELD_TYPES[type_name].can_be_unique:
        raise _bad_field(
            spec,
            f"is a {type_name}, which cannot be unique",
            "Drop :unique, or use a str, int, datetime or uuid field.",
        )
    return set(given)


def parse_field(spec: str) -> Field:
    """Parse one field spec; every problem is a BadOptionError naming the field."""
    match = _SPEC_RE.fullmatch(spec)
    if match is None:
        raise _bad_field(
            spec,
            "is not NAME:TYPE",
            "Write fields like price:float, note:str? or email:str{120}:unique.",
        )
    name, type_name = match["name"], match["type"].lower()
    _check_name(spec, name)
    if type_name not in FIELD_TYPES:
        raise _bad_field(
            spec,
            f"has an unknown type {match['type']!r}",
            f"Use one of: {', '.join(FIELD_TYPES)}.",
        )
    if match["optional1"] and match["optional2"]:
        raise _bad_field(spec, "has two '?'", "Write one '?', e.g. note:str?.")
    modifiers = _modifiers(spec, type_name, match["mods"])
    field = Field(
        name,
        type_name,
        optional=bool(match["optional1"] or match["optional2"]),
        max_length=_max_length(spec, type_name, match["max"]),
        unique="unique" in modifiers,
        index="index" in modifiers,
    )
    if match["default"] is not None:
        default = _default_source(spec, field, match["default"])
        field = replace(field, default=default)
    return field


def parse_fields(specs: list[str]) -> list[Field]:
    """Parse every spec (one `name:str` when none are given); names must differ."""
    fields = [parse_field(spec) for spec in specs] or [Field("name", "str")]
    seen: set[str] = set()
    for field in fields:
        if field.name in seen:
            raise BadOptionError(
                f"The field {field.name!r} is given twice.", "Give each field once."
            )
        seen.add(field.name)
    return fields
