"""Edits at the top level and in class bodies: statements, definitions, list registries
and class fields. Each adds nodes and leaves every other node as it was."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import libcst as cst

from fastasync_cli.engine.python_edits.sequences import append_item, remove_item
from fastasync_cli.engine.python_edits.syntax import (
    AnchorMissing,
    Statement,
    block_statements,
    code,
    contains,
    defined_name,
    dotted,
    same_code_key,
    statement_code,
)


def is_call_to(*names: str) -> Callable[[cst.BaseStatement], bool]:
    """A predicate: the statement is a bare call to one of `names` (`name(...)`)."""

    def matches(statement: cst.BaseStatement) -> bool:
        return (
            isinstance(statement, cst.SimpleStatementLine)
            and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr)
            and isinstance(statement.body[0].value, cst.Call)
            and dotted(statement.body[0].value.func) in names
        )

    return matches


def ensure_statement_after_last(
    module: cst.Module,
    statement: str,
    anchor: Callable[[cst.BaseStatement], bool],
    anchor_description: str,
) -> cst.Module:
    """Put `statement` after the last top-level statement matching `anchor`.

    A statement like it at the top level counts as done. One nested in an `if`, a
    `try` or a function does not: it may never run (`if False:`, a function no one
    calls), and counted, an `include_router` line there left the router unregistered.
    Where the anchor is gone, the user's own structure is not second-guessed: the
    edit raises `AnchorMissing`, and the printed line added anywhere by hand counts
    as done (`ComponentPlan.edit_python`), so following the hint ends the loop.
    """
    if contains(module.body, statement):
        return module
    body = list(module.body)
    positions = [i for i, node in enumerate(body) if anchor(node)]
    if not positions:
        raise AnchorMissing(anchor_description)
    body.insert(positions[-1] + 1, cst.parse_statement(statement + "\n"))
    return module.with_changes(body=body)


def ensure_definitions(module: cst.Module, snippet: str) -> cst.Module:
    """Append the top-level statements of `snippet` that the module does not define yet.

    Functions and classes get two blank lines above them, other statements the blank
    lines `snippet` gives them; comment lines above a statement stay above it.
    """
    parsed = cst.parse_module(snippet)
    statements = list(parsed.body)
    if statements and parsed.header:
        # libcst holds the comment above a module's first statement in its header.
        first = statements[0]
        statements[0] = first.with_changes(leading_lines=[*parsed.header, *first.leading_lines])
    body = list(module.body)
    defined = {defined_name(s) for s in body} - {None}
    added = False
    for statement in statements:
        name = defined_name(statement)
        if (name is not None and name in defined) or contains(body, code(statement)):
            continue
        if isinstance(statement, cst.FunctionDef | cst.ClassDef) or (
            body and isinstance(body[-1], cst.FunctionDef | cst.ClassDef)
        ):
            # Its comment lines stay above it.
            comments = [line for line in statement.leading_lines if line.comment is not None]
            statement = statement.with_changes(
                leading_lines=[cst.EmptyLine(), cst.EmptyLine(), *comments]
            )
        body.append(statement)
        added = True
    return module.with_changes(body=body) if added else module


# --- list registries ---------------------------------------------------------------


def _list_assignment(module: cst.Module, variable: str) -> tuple[int, cst.List | None]:
    for index, statement in enumerate(module.body):
        if defined_name(statement) != variable:
            continue
        # A `def` or `class` of that name is no list: the caller says what is missing.
        if not isinstance(statement, cst.SimpleStatementLine):
            return index, None
        node = statement.body[0]
        if not isinstance(node, cst.Assign | cst.AnnAssign):
            return index, None
        return index, node.value if isinstance(node.value, cst.List) else None
    return -1, None


class _Elements(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: set[str] = set()

    def visit_Element(self, node: cst.Element) -> None:
        self.found.add(same_code_key(code(node.value)))


def ensure_list_element(module: cst.Module, variable: str, element: str) -> cst.Module:
    """Append `element` to the list literal assigned to the top-level `variable`."""
    index, value = _list_assignment(module, variable)
    if index < 0:
        raise AnchorMissing(f"a top-level `{variable} = [...]`")
    finder = _Elements()
    module.body[index].visit(finder)
    if same_code_key(element) in finder.found:
        # Also where the user built the list otherwise (`[...] + OTHER`).
        return module
    if value is None:
        raise AnchorMissing(f"`{variable} = [...]` as a list literal")
    elements, closing = append_item(
        list(value.elements),
        cst.Element(cst.parse_expression(element)),
        value.lbracket.whitespace_after,
        value.rbracket.whitespace_before,
    )
    new_value = value.with_changes(
        elements=elements, rbracket=value.rbracket.with_changes(whitespace_before=closing)
    )
    return _replace_value(module, index, new_value)


def ensure_list_element_absent(module: cst.Module, variable: str, element: str) -> cst.Module:
    """Take `element` out of the list literal of `variable`, if it is there."""
    index, value = _list_assignment(module, variable)
    if value is None:
        return module
    wanted = same_code_key(element)
    for position, item in enumerate(value.elements):
        if same_code_key(code(item.value)) == wanted:
            elements, _ = remove_item(list(value.elements), position)
            return _replace_value(module, index, value.with_changes(elements=elements))
    return module


def _replace_value(module: cst.Module, index: int, value: cst.List) -> cst.Module:
    body = list(module.body)
    statement = body[index]
    assert isinstance(statement, cst.SimpleStatementLine)  # what _list_assignment found
    node = statement.body[0]
    body[index] = statement.with_changes(body=[node.with_changes(value=value)])
    return module.with_changes(body=body)


# --- class bodies ------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A class attribute to add: `name: annotation = default`."""

    name: str
    code: str  # the whole line, e.g. 'github_timeout: float = 30.0'


def _comment_lines(comment: str, width: int) -> list[cst.EmptyLine]:
    return [
        cst.EmptyLine(comment=cst.Comment(f"# {line}"))
        for line in textwrap.wrap(comment, width, break_long_words=False, break_on_hyphens=False)
    ]


def ensure_class_fields(
    module: cst.Module,
    class_name: str,
    fields: Sequence[Field],
    comment: str,
    *,
    replace: bool = False,
    line_length: int = 88,
) -> tuple[cst.Module, list[str]]:
    """Add fields at the end of a top-level class body, under `comment`; when some
    of `fields` are there already, the others after the last of them.

    Returns the new module and the names of fields that exist with other code (left
    alone unless `replace`).
    """
    body = list(module.body)
    for index, statement in enumerate(body):
        if not (isinstance(statement, cst.ClassDef) and statement.name.value == class_name):
            continue
        assert isinstance(statement.body, cst.IndentedBlock)
        class_body = block_statements(statement.body)
        existing = {defined_name(s): i for i, s in enumerate(class_body)}
        differing = []
        new_statements: list[Statement] = []
        for field in fields:
            parsed = cst.parse_statement(field.code + "\n")
            if field.name in existing:
                position = existing[field.name]
                # Comment lines above a field are not part of what it sets.
                if statement_code(class_body[position]) != statement_code(parsed):
                    differing.append(field.name)
                    if replace:
                        class_body[position] = parsed.with_changes(
                            leading_lines=class_body[position].leading_lines
                        )
                continue
            new_statements.append(parsed)
        present = [existing[f.name] for f in fields if f.name in existing]
        if new_statements and present:
            # Some of them are there (an earlier version's set): the others go
            # right after the last of those, under the same comment.
            at = max(present) + 1
            class_body[at:at] = new_statements
        elif new_statements:
            indent = len(statement.body.indent or module.default_indent)
            new_statements[0] = new_statements[0].with_changes(
                leading_lines=[
                    cst.EmptyLine(indent=False),
                    *_comment_lines(comment, max(line_length - indent - 2, 20)),
                    *new_statements[0].leading_lines,
                ]
            )
            class_body.extend(new_statements)
        body[index] = statement.with_changes(body=statement.body.with_changes(body=class_body))
        return module.with_changes(body=body), differing
    if all(_assigned_anywhere(module, field.name) for field in fields):
        # Added by hand where the class moved to: done.
        return module, []
    raise AnchorMissing(f"a top-level `class {class_name}`")


class _Assigned(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        self.name = name
        self.found = False

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.found |= dotted(node.target) == self.name


def _assigned_anywhere(module: cst.Module, name: str) -> bool:
    finder = _Assigned(name)
    module.visit(finder)
    return finder.found
