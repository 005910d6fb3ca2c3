"""Syntax-tree edits that swap generated code for other generated code.

`fastasync add db` replaces what `add endpoint` wrote for in-memory storage: a
statement in the lifespan, the import it needed, a dependency function. Each edit
only touches code that is still exactly as generated (or already swapped, which
makes it idempotent); anything else raises `AnchorMissing` so the user gets the
lines to change by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import libcst as cst

from fastasync_cli.engine.python_edits.reach import count_anchors, find_function, present_before
from fastasync_cli.engine.python_edits.syntax import (
    AnchorMissing,
    block_statements,
    defined_name,
    normalise,
)
from fastasync_cli.engine.python_edits.syntax import code as _code


def _statement_key(statement: cst.CSTNode) -> str:
    node = statement
    if isinstance(node, cst.SimpleStatementLine):
        node = node.with_changes(leading_lines=[], trailing_whitespace=cst.TrailingWhitespace())
    elif isinstance(node, cst.FunctionDef | cst.ClassDef):
        node = node.with_changes(leading_lines=[])
    return normalise(_code(node).strip())


class _RemoveStatement(cst.CSTTransformer):
    """Removes every simple statement equal to `code` inside the function `function`."""

    def __init__(self, function: str, code: str) -> None:
        self.function = function
        self.wanted = normalise(code)
        self.depth = 0
        self.removed = False
        self.found_function = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        if node.name.value == self.function:
            self.depth += 1
            self.found_function = True
        return True

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        if original.name.value == self.function:
            self.depth -= 1
        return updated

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        if self.depth and _statement_key(original) == self.wanted:
            self.removed = True
            return cst.RemoveFromParent()
        return updated


def ensure_statement_removed(module: cst.Module, function: str, code: str) -> cst.Module:
    """Remove the statement `code` wherever it is inside `function` (absent: unchanged)."""
    transformer = _RemoveStatement(function, code)
    updated = module.visit(transformer)
    if not transformer.found_function:
        raise AnchorMissing(f"a function `{function}`")
    return updated if transformer.removed else module


def _uses_name(module: cst.Module, name: str) -> bool:
    class Finder(cst.CSTVisitor):
        found = False

        def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
            return False

        def visit_Name(self, node: cst.Name) -> None:
            if node.value == name:
                self.found = True

    finder = Finder()
    module.visit(finder)
    return finder.found


def ensure_unused_import_removed(module: cst.Module, from_module: str, name: str) -> cst.Module:
    """Drop `name` from `from from_module import ...` once nothing else uses it."""
    if _uses_name(module, name):
        return module
    body = list(module.body)
    for index, statement in enumerate(body):
        if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
            continue
        node = statement.body[0]
        if not isinstance(node, cst.ImportFrom) or isinstance(node.names, cst.ImportStar):
            continue
        if node.module is None or _code(node.module).strip() != from_module:
            continue
        kept = [alias for alias in node.names if _code(alias.name).strip() != name]
        if len(kept) == len(node.names):
            continue
        if not kept:
            del body[index]
        else:
            kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            parens = node.lpar if len(kept) > 1 else None
            new_node = node.with_changes(
                names=kept,
                lpar=parens,
                rpar=node.rpar if parens else None,
            )
            body[index] = statement.with_changes(body=[new_node])
        return module.with_changes(body=body)
    return module


def ensure_definition_replaced(
    module: cst.Module, name: str, old: str, new: str, *, missing_ok: bool = False
) -> cst.Module:
    """Replace the top-level definition `name` when it is still `old` with `new`.

    Definitions that are already `new` stay; a definition the user changed raises
    AnchorMissing (as does a missing one, unless `missing_ok`: then nothing changes).
    """
    old_key, new_key = normalise(old.strip()), normalise(new.strip())
    body = list(module.body)
    for index, statement in enumerate(body):
        if defined_name(statement) != name:
            continue
        key = _statement_key(statement)
        if key == new_key:
            return module
        if key != old_key:
            raise AnchorMissing(f"`{name}` as fastasync generated it")
        replacement = cst.parse_module(new.strip() + "\n").body[0]
        body[index] = replacement.with_changes(leading_lines=statement.leading_lines)
        return module.with_changes(body=body)
    if missing_ok:
        return module
    raise AnchorMissing(f"a top-level `{name}`")


def ensure_statement_after(
    module: cst.Module,
    function: str,
    anchor: Callable[[cst.BaseStatement], bool],
    anchor_description: str,
    code: str,
) -> cst.Module:
    """Put `code` right after the statement matching `anchor` in `function`'s body."""
    wanted = normalise(code)
    found = False

    class Insert(cst.CSTTransformer):
        def leave_FunctionDef(
            self, original: cst.FunctionDef, updated: cst.FunctionDef
        ) -> cst.FunctionDef:
            nonlocal found
            if original.name.value != function or not isinstance(updated.body, cst.IndentedBlock):
                return updated
            found = True
            statements = list(updated.body.body)
            if any(_statement_key(s) == wanted for s in statements):
                return updated
            for index, statement in enumerate(statements):
                if anchor(statement):
                    statements.insert(index + 1, cst.parse_statement(code + "\n"))
                    return updated.with_changes(body=updated.body.with_changes(body=statements))
            raise AnchorMissing(anchor_description)

    updated = module.visit(Insert())
    if not found:
        raise AnchorMissing(f"a function `{function}`")
    return updated


def ensure_definitions_after_imports(module: cst.Module, code: str) -> cst.Module:
    """Put the top-level statements of `code` the module lacks right after its imports.

    For definitions that later ones (the user's or other components') may use at
    import time, such as `Annotated` aliases in a signature.
    """
    body = list(module.body)
    defined = {defined_name(s) for s in body} - {None}
    existing = {_statement_key(s) for s in body}
    new = [
        s
        for s in cst.parse_module(code).body
        if defined_name(s) not in defined and _statement_key(s) not in existing
    ]
    if not new:
        return module
    position = 0
    for index, statement in enumerate(body):
        if isinstance(statement, cst.SimpleStatementLine) and isinstance(
            statement.body[0], cst.Import | cst.ImportFrom
        ):
            position = index + 1
    blank = [cst.EmptyLine(), cst.EmptyLine()]
    new = [new[0].with_changes(leading_lines=[*blank, *_comments(new[0])]), *new[1:]]
    if position < len(body):
        # The comment above the statement that followed the imports stays above it.
        following = body[position]
        body[position] = following.with_changes(leading_lines=[*blank, *_comments(following)])
    body[position:position] = new
    return module.with_changes(body=body)


def _comments(statement: cst.BaseStatement) -> list[cst.EmptyLine]:
    lines: Sequence[cst.EmptyLine] = getattr(statement, "leading_lines", ())
    return [line for line in lines if line.comment is not None]


class _InsertBefore(cst.CSTTransformer):
    """Inserts `code` before the first statement matching `anchor`, inside `function`."""

    def __init__(self, function: str, anchor: Callable[[cst.BaseStatement], bool], code: str):
        self.function = function
        self.anchor = anchor
        self.code = code
        self.depth = 0
        self.found_function = False
        self.done = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        if node.name.value == self.function:
            self.depth += 1
            self.found_function = True
        return True

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        if original.name.value == self.function:
            self.depth -= 1
        return updated

    def leave_IndentedBlock(
        self, original: cst.IndentedBlock, updated: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        if not self.depth or self.done:
            return updated
        statements = block_statements(updated)
        for index, statement in enumerate(statements):
            if self.anchor(statement):
                new = cst.parse_statement(self.code + "\n")
                new = new.with_changes(leading_lines=statement.leading_lines)
                statements[index] = statement.with_changes(leading_lines=[])
                statements.insert(index, new)
                self.done = True
                return updated.with_changes(body=statements)
        return updated


def ensure_statement_before(
    module: cst.Module,
    function: str,
    anchor: Callable[[cst.BaseStatement], bool],
    anchor_description: str,
    code: str,
) -> cst.Module:
    """Put `code` before the statement matching `anchor`, at any depth in `function`.

    Already there, in any layout (a statement ruff spread over several lines too), it
    is not put in again: there is earlier in the anchor's block, or in a block around
    it, or in a helper called from there (`reach.present_before`); the same line in
    another function of the file does not count. A function with the anchor more than
    once is left to the user: the code would be missing before the others.
    """
    node = find_function(module, function)
    if node is None:
        raise AnchorMissing(f"a function `{function}`")
    anchors = count_anchors(node, anchor)
    if anchors > 1:
        raise AnchorMissing(f"a single {anchor_description} (it has {anchors})")
    if present_before(module, function, anchor, [code]):
        return module
    transformer = _InsertBefore(function, anchor, code)
    updated = module.visit(transformer)
    if not transformer.found_function:
        raise AnchorMissing(f"a function `{function}`")
    if not transformer.done:
        raise AnchorMissing(anchor_description)
    return updated


def starts_with(prefix: str) -> Callable[[cst.BaseStatement], bool]:
    """A predicate: a simple statement whose code starts with `prefix`."""

    def matches(statement: cst.BaseStatement) -> bool:
        return isinstance(statement, cst.SimpleStatementLine) and _statement_key(
            statement
        ).startswith(normalise(prefix))

    return matches
