"""The field types every endpoint's schemas share: `app/schemas/types.py`.

`fastasync new` writes it (templates/project); `add endpoint` writes it into projects
made before it existed and leaves the endpoints made then alone, since their schema
modules hold their own copies. Each schema module imports by name what its fields use:
the only lowercase one is `left_out`, a name no field may take (engine/fields.py),
and a field name is lowercase, so no field can hide another import from a class body.
"""

from __future__ import annotations

import ast
from pathlib import PurePosixPath

from fastasync_cli.engine.fields import Field
from fastasync_cli.engine.fileio import TextFile, decode, inside, read_bytes
from fastasync_cli.engine.plan import Action, FileChange
from fastasync_cli.engine.render import format_python, templates_root
from fastasync_cli.errors import TargetError
from fastasync_cli.generators.component import ComponentPlan

# Named like pydantic's own `pydantic.types`. `types` is a standard library module, so
# no endpoint can have this name (engine/names.py refuses it): no endpoint's schema
# module can be at this path, in a project of any age.
SHARED_TYPES = "app/schemas/types.py"
SHARED_MODULE = "app.schemas.types"

# The name a schema module imports for a field of each type (a `str` field's is used
# after its `max_length`: `Annotated[str, Field(max_length=N), NO_NUL]`).
TYPE_NAMES = {"str": "NO_NUL", "int": "Int64", "float": "FiniteFloat", "datetime": "DatetimeInUTC"}
# The default of each PATCH field that cannot be null.
LEFT_OUT = "left_out"


def shared_names(fields: tuple[Field, ...]) -> list[str]:
    """What the schema module of an endpoint with these fields imports from SHARED_TYPES."""
    names = {TYPE_NAMES[f.type_name] for f in fields if f.type_name in TYPE_NAMES}
    if any(not f.optional for f in fields):
        names.add(LEFT_OUT)
    return sorted(names)


def template_text() -> str:
    """SHARED_TYPES as `fastasync new` writes it."""
    return (templates_root() / "project" / "template" / SHARED_TYPES).read_text("utf-8")


def bound_names(node: ast.stmt) -> set[str]:
    """The names a top-level statement binds (tuple targets aside)."""
    if isinstance(node, ast.Import | ast.ImportFrom):
        return {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return {target.id for target in targets if isinstance(target, ast.Name)}


def _defined_names(text: str) -> set[str]:
    """The names a module binds at its top level (none if it does not parse)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return set()
    return {name for node in tree.body for name in bound_names(node)}


def plan_shared_types(builder: ComponentPlan, names: list[str], importer: str) -> None:
    """SHARED_TYPES, a file fastasync owns: created when missing, identical when as
    `new` writes it, replaced with --force. A file of the user's there that defines
    every name `importer` imports from it (edited, or written by another fastasync
    version) is kept; one that lacks any of them is a conflict naming them."""
    content = format_python(builder.root, SHARED_TYPES, template_text())
    raw = read_bytes(inside(builder.root, SHARED_TYPES), SHARED_TYPES)
    found: TextFile | None = None
    if raw is not None:
        try:
            found = decode(raw, SHARED_TYPES)
        except TargetError:  # not UTF-8: not a module that defines anything
            found = None
    if raw is None or builder.force or (found is not None and found.text == content):
        builder.create(SHARED_TYPES, content)
        return
    defined = _defined_names(found.text) if found is not None else set()
    missing = [name for name in names if name not in defined]
    path = PurePosixPath(SHARED_TYPES)
    if not missing:
        reason = f"yours, kept: it defines what {importer} imports from it"
        builder.plan.add(FileChange(path, Action.SKIP, read=raw, reason=reason))
        return
    old = found.text if found is not None else None
    reason = f"lacks {', '.join(missing)}, which {importer} imports from it"
    builder.plan.add(
        FileChange(path, Action.CONFLICT, content, old, read=raw, source=found, reason=reason)
    )
