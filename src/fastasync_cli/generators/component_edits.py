"""The edits of Python files that `add` commands share: one change and the lines to
add by hand instead, an import, settings fields."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastasync_cli.engine import edits

if TYPE_CHECKING:
    from fastasync_cli.generators.component import ComponentPlan


@dataclass(frozen=True)
class PythonEdit:
    """One change to a Python file, and the lines a user would add by hand instead."""

    apply: Callable[[Any], Any]  # libcst Module -> Module
    manual: str  # empty when there is nothing to add by hand


def import_edit(module: str, name: str) -> PythonEdit:
    """`from module import name`, merged into an existing import of `module` if any."""
    return PythonEdit(
        lambda m: edits.ensure_from_import(m, module, name), f"from {module} import {name}"
    )


def edit_settings_fields(
    builder: ComponentPlan, fields: list[edits.Field], comment: str, *, line_length: int = 88
) -> None:
    """`fields` at the end of `class Settings` in app/core/config.py, under `comment`
    (a field the user set otherwise keeps the user's value), with `Field` imported."""

    def add_fields(module: object) -> object:
        updated, _ = edits.ensure_class_fields(
            module,  # type: ignore[arg-type]
            "Settings",
            fields,
            comment,
            line_length=line_length,
        )
        return updated

    manual = "\n".join(f"    {line}" for field in fields for line in field.code.splitlines())
    builder.edit_python(
        "app/core/config.py",
        [
            import_edit("pydantic", "Field"),
            PythonEdit(add_fields, f"# in class Settings:\n{manual}"),
        ],
    )
