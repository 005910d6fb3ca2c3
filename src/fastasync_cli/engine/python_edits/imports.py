"""Add a `from module import name` to a file the user owns.

The import goes in as a line of its own, after the last import of the same module or
in its isort section; `format_edited` then merges and sorts it the way ruff's isort
does when the file's imports were sorted before. Nothing else in the block changes.
"""

from __future__ import annotations

import sys

import libcst as cst

from fastasync_cli.engine.python_edits.syntax import AnchorMissing, Statement, dotted

FIRST_PARTY = frozenset({"app", "tests"})


def _top_level_import(statement: cst.BaseStatement) -> cst.Import | cst.ImportFrom | None:
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        node = statement.body[0]
        if isinstance(node, cst.Import):
            return node
        if isinstance(node, cst.ImportFrom) and not node.relative:
            return node
    return None


def _is_import(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(node, cst.Import | cst.ImportFrom) for node in statement.body
    )


def _import_module(statement: cst.BaseStatement) -> str:
    node = statement.body[0]  # type: ignore[attr-defined]
    if isinstance(node, cst.ImportFrom):
        return dotted(node.module)
    return dotted(node.names[0].name)


def bound_names(module: cst.Module, from_module: str) -> set[str]:
    """Names bound by top-level `from from_module import ...`, by name.

    `import *` counts for none: it binds only the public names the module has when
    it runs (only those in `__all__`, if it has one), and never a submodule that
    nothing imported yet, such as a new router's module. Naming one again beside
    it is harmless.
    """
    names: set[str] = set()
    for statement in module.body:
        node = _top_level_import(statement)
        if not isinstance(node, cst.ImportFrom) or dotted(node.module) != from_module:
            continue
        if isinstance(node.names, cst.ImportStar):
            continue
        for alias in node.names:
            bound = alias.asname.name if alias.asname is not None else alias.name
            if isinstance(bound, cst.Name) and dotted(alias.name) == bound.value:
                names.add(bound.value)
            elif isinstance(bound, cst.Name):
                # `import x as y` binds y, which is not the name an edit asks for.
                names.add(f"{dotted(alias.name)} as {bound.value}")
    return names


def ensure_from_import(module: cst.Module, from_module: str, name: str) -> cst.Module:
    """Make `from from_module import name` true at the top level of the module.

    A `name` the module imports from elsewhere already is the same object when that
    is where `from_module` has it from (`from starlette.requests import Request` for
    fastapi's, `typing_extensions` for `typing`): done. From anywhere else it is the
    user's own, which a second import would replace: left to the user.
    """
    if name in bound_names(module, from_module):
        return module
    other = _imported_from(module, name)
    if other is not None:
        if _same_object(from_module, other):
            return module
        raise AnchorMissing(
            f"`{name}` free for `from {from_module} import {name}` (it imports `{name}` "
            f"from {other})"
        )
    new = cst.parse_statement(f"from {from_module} import {name}\n")
    body = list(module.body)
    same = [
        i
        for i, statement in enumerate(body)
        if isinstance(_top_level_import(statement), cst.ImportFrom)
        and _import_module(statement) == from_module
    ]
    if same:
        body.insert(same[-1] + 1, new)
        return module.with_changes(body=body)
    return _insert_import(module, new, from_module)


def ensure_import(module: cst.Module, name: str) -> cst.Module:
    """Make `import name` true at the top level of the module (`import re`)."""
    for statement in module.body:
        node = _top_level_import(statement)
        if isinstance(node, cst.Import) and any(
            dotted(alias.name) == name and alias.asname is None for alias in node.names
        ):
            return module
    return _insert_import(module, cst.parse_statement(f"import {name}\n"), name)


def _imported_from(module: cst.Module, name: str) -> str | None:
    """The module a top-level import binding `name` imports it from, if any."""
    for statement in module.body:
        node = _top_level_import(statement)
        if node is None or isinstance(node.names, cst.ImportStar):
            continue
        for alias in node.names:
            bound = alias.asname.name if alias.asname is not None else alias.name
            if not isinstance(bound, cst.Name) or bound.value != name:
                continue
            if isinstance(node, cst.ImportFrom):
                return dotted(node.module)
            return dotted(alias.name)
    return None


def _same_object(wanted: str, other: str) -> bool:
    """Whether `other` gives the object `wanted` re-exports (a guess by the names)."""
    packages = {wanted.split(".")[0], other.split(".")[0]}
    return (
        other.startswith(f"{wanted}.")
        or wanted.startswith(f"{other}.")
        or packages == {"typing", "typing_extensions"}
        or packages == {"fastapi", "starlette"}
    )


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def _section(module_name: str) -> int:
    """ruff's isort sections: 0 standard library, 1 third party, 2 first party."""
    package = module_name.split(".")[0]
    if package in FIRST_PARTY:
        return 2
    if package in sys.stdlib_module_names or package == "__future__":
        return 0
    return 1


def _sort_key(statement: cst.BaseStatement) -> tuple[int, str]:
    # Within a section, `import x` lines come before `from x import` lines.
    node = _top_level_import(statement)
    return (1 if isinstance(node, cst.ImportFrom) else 0, _import_module(statement).lower())


def _insert_import(module: cst.Module, new: Statement, from_module: str) -> cst.Module:
    body = list(module.body)
    imports = [i for i, s in enumerate(body) if _is_import(s) and _top_level_import(s)]
    if not imports:
        # The first import: below the module's docstring, if it has one.
        position = 1 if body and _is_docstring(body[0]) else 0
        if position:
            new = new.with_changes(leading_lines=[cst.EmptyLine()])
        elif body:
            new = new.with_changes(leading_lines=body[0].leading_lines)
            body[0] = body[0].with_changes(leading_lines=[cst.EmptyLine()])
        body.insert(position, new)
        return module.with_changes(body=body)
    wanted = _section(from_module)
    section = [i for i in imports if _section(_import_module(body[i])) == wanted]
    if not section:
        # A new section, one blank line from its neighbours.
        before = [i for i in imports if _section(_import_module(body[i])) < wanted]
        if before:
            position = before[-1] + 1
            new = new.with_changes(leading_lines=[cst.EmptyLine()])
        else:
            position = imports[0]
            first = body[position]
            new = new.with_changes(leading_lines=first.leading_lines)
            body[position] = first.with_changes(leading_lines=[cst.EmptyLine()])
    else:
        key = _sort_key(new)
        position = section[-1] + 1
        for i in section:
            if _sort_key(body[i]) > key:
                position = i
                break
        if position == section[0]:
            first = body[position]
            new = new.with_changes(leading_lines=first.leading_lines)
            body[position] = first.with_changes(leading_lines=())
    body.insert(position, new)
    return module.with_changes(body=body)
