"""`fastasync add endpoint NAME [FIELD:TYPE ...]`: a resource router with its storage."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from fastasync_cli.engine import edits
from fastasync_cli.engine.fields import Field
from fastasync_cli.engine.names import Name
from fastasync_cli.engine.project import Manifest
from fastasync_cli.engine.render import render_piece
from fastasync_cli.errors import BadNameError, BadOptionError
from fastasync_cli.generators import db_schema, schema_types
from fastasync_cli.generators.component import ComponentPlan
from fastasync_cli.generators.component_edits import PythonEdit, import_edit

# Where every router is imported and registered.
ROUTERS_MODULE = "app/api/main.py"

# Schema types that bound a field's values, so oversized input is a 422 rather than a 500
# or a database overflow later. `Int64`, `FiniteFloat`, `DatetimeInUTC` and `NO_NUL`
# (strings: the length is checked first) are defined in the project's shared module,
# SHARED_TYPES, which each schema module imports them from by name.
_BOUNDED_TYPES = {
    "int": "Int64",
    "float": "FiniteFloat",
    "datetime": "DatetimeInUTC",
    # pydantic would take `1`, `"yes"` and `"on"` for true: the schema says boolean
    "bool": "StrictBool",
}


# The longest str a unique or indexed field may take. PostgreSQL refuses an index
# entry over 2,704 bytes (a B-tree's limit) with an error the app answers 500, and a
# character takes up to 4 bytes in UTF-8: 673 characters fit, 680 do not. Refused for
# every database, since a project without one, or on SQLite, may move to PostgreSQL.
MAX_INDEXED_STR_LENGTH = 650


def too_long_to_index(fields: tuple[Field, ...]) -> Field | None:
    """The first unique or indexed str field longer than an index entry can hold."""
    for field in fields:
        length = field.str_max_length
        if (field.unique or field.index) and length and length > MAX_INDEXED_STR_LENGTH:
            return field
    return None


def index_limit(field: Field) -> str:
    """Why `field` (see too_long_to_index) cannot be indexed, for a message."""
    what = "unique" if field.unique else "indexed"
    return (
        f"is {what} and {field.str_max_length} characters long: PostgreSQL cannot index "
        f"more than {MAX_INDEXED_STR_LENGTH} characters of text (2,704 bytes, up to 4 per "
        "character)"
    )


def check_indexed_lengths(fields: tuple[Field, ...]) -> None:
    """Refuse a unique or indexed str field longer than an index entry can hold."""
    field = too_long_to_index(fields)
    if field is not None:
        raise BadOptionError(
            f"The field {field.spec()!r} {index_limit(field)}.",
            f"Lower its maximum to {MAX_INDEXED_STR_LENGTH} or less, e.g. "
            f"{field.name}:str{{{MAX_INDEXED_STR_LENGTH}}}, or drop "
            f":{'unique' if field.unique else 'index'}.",
        )


@dataclass(frozen=True)
class SchemaField:
    """How one field is declared in the generated schemas."""

    name: str
    declaration: str  # in the create/read models
    update_declaration: str  # in the PATCH model: every field may be left out


def schema_field(field: Field) -> SchemaField:
    """The field's schema lines, bounded: str by max_length and no NUL, int to 64 bits."""
    if field.type_name == "str":
        bounded = f"Annotated[str, Field(max_length={field.str_max_length}), NO_NUL]"
    else:
        bounded = _BOUNDED_TYPES.get(field.type_name, field.kind.annotation)
    annotation = f"{bounded} | None" if field.optional else bounded
    if field.default is not None:
        declaration = f"{field.name}: {annotation} = {field.default}"
    elif field.optional:
        declaration = f"{field.name}: {annotation} = None"
    else:
        declaration = f"{field.name}: {annotation}"
    # PATCH may leave any field out; null is only for a field that can hold it.
    update = (
        f"{field.name}: {bounded} | None = None"
        if field.optional
        else f"{field.name}: {bounded} = left_out()"
    )
    return SchemaField(field.name, declaration, update)


# What the SQL repository (sql_repository.py.jinja) imports from sqlalchemy, in
# import order; ColumnElement too when a field is unique.
SQL_REPOSITORY_NAMES = (
    "Insert",
    "Result",
    "Row",
    "Update",
    "bindparam",
    "delete",
    "insert",
    "select",
    "update",
)


# The in-memory store (`--db none`) keeps at most this many items, and at most
# IN_MEMORY_MAX_BYTES of them at their largest: a count alone did not bound memory
# (1,000 items with two 65,535-character strings took a server from 73 MB to 1.1 GB).
IN_MEMORY_MAX_ITEMS = 10_000
IN_MEMORY_MAX_BYTES = 64 * 1024 * 1024
# An item's memory at most, in bytes: the model and its id, every field's value,
# and a str field's characters at 8 bytes each: 4 in Python's widest form, and 4
# more of the UTF-8 copy pydantic's validation leaves cached on the string.
ITEM_BYTES = 1024
FIELD_BYTES = 80
STR_CHAR_BYTES = 8


def in_memory_max_items(fields: tuple[Field, ...]) -> int:
    """How many items the in-memory store keeps: IN_MEMORY_MAX_ITEMS, fewer where
    that many at their largest would take more than IN_MEMORY_MAX_BYTES."""
    largest = ITEM_BYTES + sum(
        FIELD_BYTES + STR_CHAR_BYTES * (field.str_max_length or 0) for field in fields
    )
    return max(1, min(IN_MEMORY_MAX_ITEMS, IN_MEMORY_MAX_BYTES // largest))


def endpoint_context(name: Name, fields: tuple[Field, ...], *, database: bool) -> dict[str, Any]:
    """What the endpoint's templates are rendered with."""
    types = {f.type_name for f in fields}
    unique = ("ColumnElement",) if any(f.unique for f in fields) else ()
    return {
        "sql_names": [*unique, *SQL_REPOSITORY_NAMES],
        **db_schema.schema_context(name, fields),
        "name": name,
        "item": name.singular_pascal,
        "item_words": name.singular_words,
        "fields": fields,
        "schema_fields": [schema_field(f) for f in fields],
        "shared_names": schema_types.shared_names(fields),
        "uses_str": "str" in types,
        "uses_datetime": "datetime" in types,
        "uses_int": "int" in types,
        "uses_float": "float" in types,
        "uses_bool": "bool" in types,
        "first_str": next((f for f in fields if f.type_name == "str"), None),
        "first_int": next((f for f in fields if f.type_name == "int"), None),
        "first_float": next((f for f in fields if f.type_name == "float"), None),
        "first_datetime": next((f for f in fields if f.type_name == "datetime"), None),
        "required": [f for f in fields if f.required],
        "not_null": any(not f.optional for f in fields),
        "database": database,
        "max_items": in_memory_max_items(fields),
    }


def rows_test(name: Name, fields: tuple[Field, ...]) -> tuple[str, str]:
    """(path, content) of the test of a database endpoint's rows (their times)."""
    context = endpoint_context(name, fields, database=True)
    return f"tests/db/test_{name.snake}_rows.py", render_piece(
        "endpoint", "test_rows.py.jinja", context
    )


def _plan_table(builder: ComponentPlan, name: Name, fields: tuple[Field, ...]) -> None:
    """The model, the migration and the rows' test of the resource's table, and the
    model registered."""
    command = " ".join(["fastasync add endpoint", name.snake, *(f.spec() for f in fields)])
    head = db_schema.current_head(builder.root)
    files, _ = db_schema.render_table(builder.root, name, fields, command, head)
    for target, content in [*files.items(), rows_test(name, fields)]:
        builder.create(target, content)
    builder.edit_python(
        "app/models/__init__.py",
        [PythonEdit(apply, manual) for apply, manual in db_schema.models_registry_edits(name)],
    )


@dataclass(frozen=True)
class EndpointOptions:
    name: Name
    fields: tuple[Field, ...]
    force: bool = False


def _check_router_module_name(builder: ComponentPlan, name: Name) -> None:
    """Refuse a name app/api/main.py binds already: `from app.api.routes import NAME`
    would replace it there (`api_router`, `include_routers`, a router of the user's),
    and the app would fail on import."""
    from fastasync_cli.engine.fileio import read_text_file

    source = read_text_file(builder.root, ROUTERS_MODULE)
    try:
        tree = ast.parse(source.text) if source is not None else ast.Module([], [])
    except SyntaxError:
        return  # the edit names the file and what to add by hand
    for node in tree.body:
        # Routers registered already, this one too when the command runs again.
        if isinstance(node, ast.ImportFrom) and node.module == "app.api.routes":
            continue
        if name.snake in schema_types.bound_names(node):
            raise BadNameError(
                f"The endpoint name {name.raw!r} would replace the {name.snake!r} that "
                f"{ROUTERS_MODULE} defines, where its router is imported.",
                f"Pick another name, e.g. '{name.kebab}-items'.",
            )


def _registration(name: Name) -> list[PythonEdit]:
    """Import the router's module in app/api/main.py and include its router in
    `api_router`; both done already when the user registers it another way (a loop
    of their own over the modules), so following the printed lines or extending the
    loop both end the loop."""
    register = f"api_router.include_router({name.snake}.router)"
    router = f"app.api.routes.{name.snake}.router"
    import_module = import_edit("app.api.routes", name.snake)

    def registered(module: Any) -> bool:
        return edits.includes_router(module, "api_router", router)

    return [
        PythonEdit(
            lambda m: m if registered(m) else import_module.apply(m),
            import_module.manual,
        ),
        PythonEdit(
            lambda m: (
                m
                if registered(m)
                else edits.ensure_statement_after_last(
                    m,
                    register,
                    edits.is_call_to("api_router.include_router"),
                    "an `api_router.include_router(...)` line to add the router after",
                )
            ),
            register,
        ),
    ]


def plan_endpoint(options: EndpointOptions, manifest: Manifest) -> ComponentPlan:
    """Plan the router, schemas, repository and tests of one resource, and register it."""
    name = options.name
    builder = ComponentPlan(manifest, options.force)
    builder.check_name(name, "endpoint")
    _check_router_module_name(builder, name)
    check_indexed_lengths(options.fields)
    item = name.singular_pascal
    database = manifest.database != "none"
    context = endpoint_context(name, options.fields, database=database)
    for template, target in [
        ("schemas.py.jinja", f"app/schemas/{name.snake}.py"),
        ("repository.py.jinja", f"app/repositories/{name.snake}.py"),
        ("route.py.jinja", f"app/api/routes/{name.snake}.py"),
        ("test_route.py.jinja", f"tests/api/routes/test_{name.snake}.py"),
    ]:
        builder.create(target, render_piece("endpoint", template, context))
    schema_types.plan_shared_types(builder, context["shared_names"], f"app/schemas/{name.snake}.py")
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

    if database:
        _plan_table(builder, name, options.fields)
    repository = f"{item}Repository"
    state_key = f"{name.snake}_repository"
    builder.edit_python(ROUTERS_MODULE, _registration(name))
    builder.add_dependency(
        f"app.repositories.{name.snake}",
        repository,
        render_piece("endpoint", "deps.py.jinja", context),
        extra_imports=[
            ("app.api.responses", "Responses"),
            *(
                [("app.repositories." + name.snake, f"Sql{repository}")]
                if database
                else [("fastapi", "status"), ("app.api.responses", "error")]
            ),
        ],
    )
    if not database:
        in_memory = f"InMemory{repository}"
        builder.add_to_lifespan(
            f"app.repositories.{name.snake}", in_memory, f'state["{state_key}"] = {in_memory}()'
        )
    builder.record(
        {"kind": "endpoint", "name": name.snake, "fields": [f.spec() for f in options.fields]}
    )
    return builder
