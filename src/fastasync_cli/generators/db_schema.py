"""The database side of a resource: its model, and the Alembic migration creating its table.

Migrations are written from the fields alone, without a database, and are
deterministic: the revision id is a hash of the table's definition and the
revision it follows, so the same command on the same tree gives the same bytes.
Each new migration follows the current head, so the history never branches.
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastasync_cli.engine import edits
from fastasync_cli.engine.fields import Field
from fastasync_cli.engine.names import Name
from fastasync_cli.engine.render import render_piece
from fastasync_cli.errors import FastasyncError

VERSIONS = "migrations/versions"
# PostgreSQL truncates longer names (NAMEDATALEN - 1 bytes).
MAX_IDENTIFIER_BYTES = 63

# Per field type: SQLAlchemy type in the model, in the migration, and the Python
# annotation of the mapped attribute.
_MODEL_TYPES = {
    "str": "String({length})",
    "int": "BigInteger",
    "float": "Double",
    "bool": "Boolean",
    "datetime": "UTCDateTime",
    "uuid": "Uuid",
}
_MIGRATION_TYPES = {
    "str": "sa.String(length={length})",
    "int": "sa.BigInteger()",
    "float": "sa.Double()",
    "bool": "sa.Boolean()",
    "datetime": "sa.DateTime(timezone=True)",
    "uuid": "sa.Uuid()",
}
_PYTHON_TYPES = {
    "str": "str",
    "int": "int",
    "float": "float",
    "bool": "bool",
    "datetime": "datetime",
    "uuid": "UUID",
}
# Distinct valid values of a unique field for the n-th test item, as Python source.
_DISTINCT_VALUES = {
    "str": 'f"example-{n}"',
    "int": "n",
    "datetime": 'f"2024-01-01T00:00:{n:02d}Z"',
    "uuid": 'f"00000000-0000-4000-8000-{n:012d}"',
}


# Names bound beside an endpoint's model class (its item class, `products` ->
# `Product`) where it is defined or imported: the imports of model.py, of the SQL
# repository and of the rows' test, and app/models/__init__.py's `Base` and
# `JobRecord`. An endpoint whose item class is one of them (`rows` -> sqlalchemy's
# `Row`, `job_records` -> `JobRecord`) would redefine it there, and the project would
# no longer pass ruff or mypy. Refused even before `add db`, which writes these
# modules; tests/unit/test_db_schema.py holds the set to the templates.
MODEL_NEIGHBOURS = frozenset(
    {
        *("Any", "AsyncClient", "AsyncSession", "Base", "BigInteger", "Boolean"),
        *("ColumnElement", "Database", "Double", "Index", "Insert", "IntegrityError"),
        *("JobRecord", "Mapped", "Model", "Protocol", "Result", "Row", "Settings"),
        *("String", "UTCDateTime", "UUID", "UniqueConstraint", "Update", "Uuid"),
    }
)


def _distinct_value(field: Field) -> str:
    """`_DISTINCT_VALUES` of the field's type; for a string too short for
    "example-N", the number alone (the tests number their items 0 to 9)."""
    limit = field.str_max_length
    if limit is not None and limit < len("example-9"):
        return 'f"{n}"'
    return _DISTINCT_VALUES[field.type_name]


def sql_identifier(name: str) -> str:
    """`name` if it fits PostgreSQL's 63 bytes, else a prefix and a hash of the whole."""
    if len(name.encode()) <= MAX_IDENTIFIER_BYTES:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name.encode()[: MAX_IDENTIFIER_BYTES - 9].decode(errors='ignore')}_{digest}"


@dataclass(frozen=True)
class Column:
    field: Field

    @property
    def _length(self) -> int | None:
        return self.field.str_max_length

    @property
    def model_line(self) -> str:
        python = _PYTHON_TYPES[self.field.type_name]
        if self.field.optional:
            python += " | None"
        sa_type = _MODEL_TYPES[self.field.type_name].format(length=self._length)
        return f"{self.field.name}: Mapped[{python}] = mapped_column({sa_type})"

    @property
    def migration_line(self) -> str:
        sa_type = _MIGRATION_TYPES[self.field.type_name].format(length=self._length)
        nullable = "True" if self.field.optional else "False"
        return f'sa.Column("{self.field.name}", {sa_type}, nullable={nullable})'


def schema_context(name: Name, fields: tuple[Field, ...]) -> dict[str, Any]:
    """What the model, migration, repository and test templates need to know."""
    table = name.snake
    unique = [f for f in fields if f.unique]
    indexed = [f for f in fields if f.index]
    unique_constraints = [
        {"column": f.name, "name": sql_identifier(f"uq_{table}_{f.name}")} for f in unique
    ]
    indexes = [{"column": f.name, "name": sql_identifier(f"ix_{table}_{f.name}")} for f in indexed]
    sa_names = {_MODEL_TYPES[f.type_name].split("(")[0] for f in fields} - {"UTCDateTime"}
    table_args = [
        f'UniqueConstraint("{c["column"]}", name="{c["name"]}")' for c in unique_constraints
    ] + [f'Index("{i["name"]}", "{i["column"]}")' for i in indexes]
    if unique_constraints:
        sa_names.add("UniqueConstraint")
    if indexes:
        sa_names.add("Index")
    model_imports = sorted(
        {"from datetime import datetime" for f in fields if f.type_name == "datetime"}
        | {"from uuid import UUID" for f in fields if f.type_name == "uuid"}
    )
    return {
        "table": table,
        "model": name.singular_pascal,
        "columns": [Column(f) for f in fields],
        "unique": unique,
        "unique_names": [f.name for f in unique],
        "unique_constraints": unique_constraints,
        "indexes": indexes,
        "table_args": table_args,
        "sa_names": sorted(sa_names),
        "model_imports": model_imports,
        "uses_utc": any(f.type_name == "datetime" for f in fields),
        "pk_name": sql_identifier(f"pk_{table}"),
        "distinct": {f.name: _distinct_value(f) for f in unique},
    }


@dataclass(frozen=True)
class Revision:
    revision: str
    down_revision: tuple[str, ...]
    path: Path


def read_revisions(root: Path) -> list[Revision]:
    """Every migration in migrations/versions, read without importing it."""
    folder = root / VERSIONS
    if not folder.is_dir():
        return []
    revisions = []
    for path in sorted(folder.glob("*.py")):
        if path.is_dir():  # a folder named like a module is no migration
            continue
        values = _module_strings(path, {"revision", "down_revision"})
        revision = values.get("revision")
        if not isinstance(revision, str):
            continue
        down = values.get("down_revision")
        downs = (down,) if isinstance(down, str) else down or ()
        # Alembic takes one id or a sequence of them; `down_revision = 5` was an
        # unexpected TypeError here.
        if not isinstance(downs, tuple | list) or not all(isinstance(d, str) for d in downs):
            raise FastasyncError(
                f"{path.name} in {VERSIONS} has a down_revision {down!r} that is not a "
                "revision id, a list of them, or None.",
                "Fix the migration, then run the command again.",
            )
        revisions.append(Revision(revision, tuple(downs), path))
    return revisions


def _module_strings(path: Path, names: set[str]) -> dict[str, Any]:
    try:
        # From the bytes, as Python and Alembic read it: a BOM or a `coding:` line.
        tree = ast.parse(path.read_bytes())
    except (SyntaxError, UnicodeDecodeError, ValueError) as exc:
        raise FastasyncError(
            f"{path.name} in {VERSIONS} does not parse: {exc}.",
            "Fix the migration, then run the command again.",
        ) from exc
    except OSError as exc:  # a link to nothing, a file we may not read
        raise FastasyncError(
            f"Cannot read {path.name} in {VERSIONS}: {exc.strerror}.",
            "Fix or remove the file, then run the command again.",
        ) from exc
    values: dict[str, Any] = {}
    for node in tree.body:
        target: ast.expr | None = None
        value: ast.expr | None = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        if isinstance(target, ast.Name) and target.id in names and value is not None:
            try:
                values[target.id] = ast.literal_eval(value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                continue  # not a literal (`{[]}` is a TypeError): not ours to read
    return values


def current_head(root: Path) -> str | None:
    """The one revision no other migration follows (None when there are none)."""
    revisions = read_revisions(root)
    followed = {down for r in revisions for down in r.down_revision}
    heads = sorted(r.revision for r in revisions if r.revision not in followed)
    if len(heads) > 1:
        raise FastasyncError(
            f"The migrations in {VERSIONS} have {len(heads)} heads ({', '.join(heads)}), "
            "so a new one has nothing single to follow.",
            "Merge them first: alembic merge heads -m merge, then run the command again.",
        )
    return heads[0] if heads else None


def migration_path(root: Path, table: str) -> tuple[str, str | None]:
    """The file of the migration creating `table` if there is one, and what it follows.

    A migration fastasync already wrote for the table keeps its place in the history,
    so running the same command again changes nothing.
    """
    suffix = f"_create_{table}.py"
    for revision in read_revisions(root):
        if revision.path.name.endswith(suffix) and len(revision.down_revision) <= 1:
            down = revision.down_revision[0] if revision.down_revision else None
            return revision.path.name, down
    return "", current_head(root)


def revision_id(table: str, fields: tuple[Field, ...], down_revision: str | None) -> str:
    """12 hex digits from the table's definition and its place in the history."""
    text = "\n".join([table, *(f.spec() for f in fields), down_revision or ""])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def render_table(
    root: Path, name: Name, fields: tuple[Field, ...], command: str, head: str | None
) -> tuple[dict[str, str], str]:
    """The model module and the migration by path, and the migration's revision.

    The migration follows `head`, unless fastasync already wrote one for this table
    (which then keeps its place in the history).
    """
    context = schema_context(name, fields)
    existing, down_revision = migration_path(root, context["table"])
    if not existing:
        down_revision = head
    revision = revision_id(context["table"], fields, down_revision)
    migration_name = existing or f"{revision}_create_{context['table']}.py"
    migration = render_piece(
        "endpoint",
        "migration.py.jinja",
        {
            **context,
            "name": name,
            "revision": revision,
            "down_revision": down_revision,
            "command": command,
        },
    )
    model = render_piece("endpoint", "model.py.jinja", {**context, "name": name, **_words(name)})
    files = {f"app/models/{name.snake}.py": model, f"{VERSIONS}/{migration_name}": migration}
    return files, revision


def _words(name: Name) -> dict[str, str]:
    return {"item_words": name.singular_words}


def models_registry_edits(name: Name) -> list[tuple[Any, str]]:
    """Edits of app/models/__init__.py: import the model, list it in `__all__`."""
    model = name.singular_pascal
    module = f"app.models.{name.snake}"
    return [
        (lambda m: edits.ensure_from_import(m, module, model), f"from {module} import {model}"),
        (
            lambda m: edits.ensure_list_element(m, "__all__", f'"{model}"'),
            f'__all__ = [..., "{model}"]',
        ),
    ]
