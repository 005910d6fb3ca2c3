"""`add db`'s part for the endpoints already there: each gets its model, its migration
(one chain) and a SQL repository, and its dependency returns the SQL repository
instead of the in-memory one; its router is not touched."""

from __future__ import annotations

import functools

import libcst as cst

from fastasync_cli.engine import edits
from fastasync_cli.engine.fields import Field, parse_fields
from fastasync_cli.engine.names import Name, component_name
from fastasync_cli.engine.project import MANIFEST_NAME, Manifest
from fastasync_cli.engine.python_edits import swaps as swap_edits
from fastasync_cli.engine.python_edits.syntax import defined_name
from fastasync_cli.engine.render import render_piece, templates_root
from fastasync_cli.errors import ConflictError, FastasyncError, NotAProjectError
from fastasync_cli.generators import db_schema
from fastasync_cli.generators.component import ComponentPlan
from fastasync_cli.generators.component_edits import PythonEdit, import_edit
from fastasync_cli.generators.endpoint import (
    MAX_INDEXED_STR_LENGTH,
    endpoint_context,
    index_limit,
    rows_test,
    too_long_to_index,
)


def endpoints(manifest: Manifest) -> list[tuple[Name, tuple[Field, ...]]]:
    """Every endpoint the manifest records, with its fields."""
    found = []
    for component in manifest.components:
        if component.get("kind") != "endpoint":
            continue
        # Checked as `add endpoint` checks them (fields given twice too), but a
        # problem is the manifest's, not something the user just typed.
        try:
            name = component_name(component["name"], "endpoint")
            fields = tuple(parse_fields(component.get("fields", [])))
        except FastasyncError as exc:
            raise NotAProjectError(
                f"{MANIFEST_NAME} records an endpoint {component['name']!r} that cannot be "
                f"read back: {exc.message}",
                f"Fix the file by hand, or restore it from git: git checkout -- {MANIFEST_NAME}",
            ) from None
        found.append((name, fields))
    return found


def check_indexed_lengths(manifest: Manifest) -> None:
    """Refuse what `add endpoint` refuses on a database project: a unique or indexed
    str too long for PostgreSQL's index entries, in an endpoint made before the limit
    was checked (or recorded by hand)."""
    for name, fields in endpoints(manifest):
        field = too_long_to_index(fields)
        if field is None:
            continue
        modifier = "unique" if field.unique else "index"
        raise ConflictError(
            f"The endpoint {name.snake!r} has the field {field.spec()!r}, which "
            f"{index_limit(field)}.",
            f"Nothing was written. Lower its maximum to {MAX_INDEXED_STR_LENGTH} or less "
            f"(in {MANIFEST_NAME} and its max_length in app/schemas/{name.snake}.py), or "
            f"drop :{modifier} from it in {MANIFEST_NAME}, then run fastasync add db again.",
        )


def _dependency_code(builder: ComponentPlan, name: Name, *, database: bool) -> list[str]:
    """The endpoint's deps.py code for its storage: the dependency function, its
    alias and its `..._CREATE_RESPONSES`, each without the comments above it."""
    context = {"name": name, "item": name.singular_pascal, "database": database}
    code = builder.snippet("app/api/deps.py", render_piece("endpoint", "deps.py.jinja", context))
    return [
        "\n".join(line for line in part.strip().splitlines() if not line.startswith("#"))
        for part in code.split("\n\n\n")
    ]


def create_responses_name(name: Name) -> str:
    """The deps.py constant of what creating one of `name` can answer because of its
    storage (the router documents it on its POST route)."""
    return f"{name.snake.upper()}_CREATE_RESPONSES"


def dependency_swaps(builder: ComponentPlan, manifest: Manifest) -> list[PythonEdit]:
    """app/api/deps.py edits: each endpoint's dependency returns its SQL repository,
    and its `..._CREATE_RESPONSES` are the database's (no 507 of a full in-memory
    store). Projects made before that constant existed keep their routers' own
    responses: nothing to swap there."""
    changes = []
    for name, _ in endpoints(manifest):
        old_function, _, old_responses = _dependency_code(builder, name, database=False)
        new_function, _, new_responses = _dependency_code(builder, name, database=True)
        function = f"get_{name.snake}_repository"
        constant = create_responses_name(name)
        changes += [
            import_edit(f"app.repositories.{name.snake}", f"Sql{name.singular_pascal}Repository"),
            PythonEdit(
                functools.partial(
                    swap_edits.ensure_definition_replaced,
                    name=function,
                    old=old_function,
                    new=new_function,
                ),
                f"{new_function}\n# instead of the in-memory {function}",
            ),
            PythonEdit(
                functools.partial(
                    swap_edits.ensure_definition_replaced,
                    name=constant,
                    old=old_responses,
                    new=new_responses,
                    missing_ok=True,
                ),
                f"{new_responses}\n# instead of the in-memory {constant}",
            ),
        ]
    if changes:
        changes.append(
            PythonEdit(
                functools.partial(
                    swap_edits.ensure_unused_import_removed,
                    from_module="app.api.responses",
                    name="error",
                ),
                "# remove: from app.api.responses import error (when unused)",
            )
        )
    return changes


def move_endpoints(builder: ComponentPlan, manifest: Manifest, head: str) -> None:
    """Each endpoint's model, migration (one chain after `head`) and SQL repository."""
    registry = []
    for name, fields in endpoints(manifest):
        command = endpoint_command(name, fields)
        files, head = db_schema.render_table(builder.root, name, fields, command, head)
        for target, content in [*files.items(), rows_test(name, fields)]:
            builder.create(target, content)
        registry += db_schema.models_registry_edits(name)
        context = endpoint_context(name, fields, database=True)
        sql = builder.snippet(
            f"app/repositories/{name.snake}.py",
            render_piece("endpoint", "sql_repository.py.jinja", context),
        )
        imports = [
            import_edit("typing", "Any"),
            import_edit("uuid", "uuid4"),
            *(import_edit("sqlalchemy", n) for n in context["sql_names"]),
            import_edit("sqlalchemy.ext.asyncio", "AsyncSession"),
            import_edit("app.db.base", "utc_now"),
            import_edit(f"app.models.{name.snake}", context["model"]),
        ]
        if context["unique"]:
            imports.append(import_edit("sqlalchemy.exc", "IntegrityError"))
        builder.edit_python(
            f"app/repositories/{name.snake}.py",
            [
                *imports,
                PythonEdit(functools.partial(edits.ensure_definitions, snippet=sql), sql.strip()),
            ],
        )
    models = "app/models/__init__.py"
    if (builder.root / models).exists():
        if registry:
            builder.edit_python(models, [PythonEdit(apply, manual) for apply, manual in registry])
    else:
        module = edits.parse(render_piece("db", models, {}), models)
        for apply, _ in registry:
            module = apply(module)
        builder.create(models, module.code)


def endpoint_command(name: Name, fields: tuple[Field, ...]) -> str:
    return " ".join(["fastasync add endpoint", name.snake, *(f.spec() for f in fields)])


def in_memory_repository_removals(manifest: Manifest) -> list[PythonEdit]:
    """app/main.py edits: no in-memory repository per endpoint in the lifespan."""
    changes: list[PythonEdit] = []
    for name, _ in endpoints(manifest):
        item = name.singular_pascal
        in_memory = f"InMemory{item}Repository"
        line = f'state["{name.snake}_repository"] = {in_memory}()'
        module = f"app.repositories.{name.snake}"
        changes += [
            PythonEdit(
                functools.partial(
                    swap_edits.ensure_statement_removed, function="lifespan", code=line
                ),
                f"# remove from the lifespan: {line}",
            ),
            PythonEdit(
                functools.partial(
                    swap_edits.ensure_unused_import_removed, from_module=module, name=in_memory
                ),
                f"# remove: from {module} import {in_memory}",
            ),
        ]
    return changes


# What app/api/database_errors.py imports from app/api/responses.py: projects made
# before these existed lack them, and `add db` adds them.
RESPONSES_MODULE = "app/api/responses.py"
RESPONSE_HELPERS = ("_REASONS", "add_reason", "_reasons", "error_content")


def response_helpers() -> list[PythonEdit]:
    """app/api/responses.py edits: the definitions of RESPONSE_HELPERS it lacks, as the
    project template has them."""
    template = templates_root() / "project" / "template" / RESPONSES_MODULE
    module = cst.parse_module(template.read_text(encoding="utf-8"))
    wanted = [s for s in module.body if defined_name(s) in RESPONSE_HELPERS]
    snippet = "\n\n".join(module.code_for_node(s).strip() for s in wanted) + "\n"
    return [
        import_edit("typing", "Any"),
        PythonEdit(functools.partial(edits.ensure_definitions, snippet=snippet), snippet),
    ]
