"""Where a statement inserted before an anchor counts as already there: in the code
that surely runs before the anchor, inside the function the edit names.

A statement like it elsewhere in the file (another function, a branch that may not
run) does not count: the lifespan `add` edits would be left without it. One in a
function of the file that this code calls (the lifespan split into helpers) does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

import libcst as cst

from fastasync_cli.engine.python_edits.syntax import module_contains, same_code_key, statement_code

Anchor = Callable[[cst.BaseStatement], bool]


def find_function(module: cst.Module, name: str) -> cst.FunctionDef | None:
    """The first function `name` at any depth, as the edits find it."""
    found: list[cst.FunctionDef] = []

    class Finder(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            if node.name.value == name and not found:
                found.append(node)
            return not found

    module.visit(Finder())
    return found[0] if found else None


def _functions(module: cst.Module) -> dict[str, cst.FunctionDef]:
    """Every function of the module by name, the first of each name, nested ones too
    (the generated lifespan is nested in `create_app`, and so may its helpers be)."""
    found: dict[str, cst.FunctionDef] = {}

    class Finder(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            found.setdefault(node.name.value, node)

    module.visit(Finder())
    return found


def count_anchors(function: cst.FunctionDef, anchor: Anchor) -> int:
    """How many statements of `function`, at any depth, match `anchor`."""
    return sum(1 for statement in _statements_of(function) if anchor(statement))


def present_before(module: cst.Module, function: str, anchor: Anchor, texts: Iterable[str]) -> bool:
    """Whether a statement like one of `texts` surely runs before the first statement
    of `function` matching `anchor`: earlier in the anchor's block or in a block
    around it (not in a branch or loop of its own), or anywhere in a function of
    the module called from there (a helper), or from such a helper."""
    node = find_function(module, function)
    if node is None:
        return False
    wanted = {same_code_key(text) for text in texts}
    before, headers, found = _before(_suite(node.body), anchor)
    if not found:
        return False
    if any(statement_code(statement) in wanted for statement in before):
        return True
    helpers = _functions(module)
    seen = {function}
    pending = [name for part in [*before, *headers] for name in _called(part)]
    while pending:
        name = pending.pop()
        helper = helpers.get(name)
        if helper is None or name in seen:
            continue
        seen.add(name)
        if any(module_contains(helper, text) for text in texts):
            return True
        pending.extend(_called(helper))
    return False


def _suite(suite: cst.BaseSuite) -> Sequence[cst.BaseStatement]:
    return suite.body if isinstance(suite, cst.IndentedBlock) else ()


def _before(
    block: Sequence[cst.BaseStatement], anchor: Anchor
) -> tuple[list[cst.BaseStatement], list[cst.CSTNode], bool]:
    """The simple statements that run before the first `anchor` in `block` (and in the
    blocks on the way down to it), the headers of the compound statements around it
    (`async with open_resources() as state:`), and whether the anchor is there."""
    before: list[cst.BaseStatement] = []
    for statement in block:
        if anchor(statement):
            return before, [], True
        if isinstance(statement, cst.SimpleStatementLine):
            before.append(statement)
            continue
        if isinstance(statement, cst.FunctionDef | cst.ClassDef):
            continue  # defining it runs none of its body
        for inner in _blocks(statement):
            more, headers, found = _before(inner, anchor)
            if found:
                return before + more, [*_headers(statement), *headers], True
    return before, [], False


def _blocks(node: cst.CSTNode) -> Iterator[Sequence[cst.BaseStatement]]:
    """The statement lists directly inside a compound statement: its body, `else`,
    `except` and `finally` blocks, an `elif` as a list of one."""
    for child in node.children:
        if isinstance(child, cst.BaseSuite):
            yield _suite(child)
        elif isinstance(child, cst.BaseStatement):
            yield [child]  # an `elif`
        elif not isinstance(child, cst.BaseExpression | cst.WithItem):
            yield from _blocks(child)


def _headers(statement: cst.CSTNode) -> list[cst.CSTNode]:
    return [c for c in statement.children if isinstance(c, cst.BaseExpression | cst.WithItem)]


def _statements_of(statement: cst.BaseStatement) -> Iterator[cst.BaseStatement]:
    for inner in _blocks(statement):
        for nested in inner:
            yield nested
            if not isinstance(nested, cst.SimpleStatementLine):
                yield from _statements_of(nested)


def _called(node: cst.CSTNode) -> list[str]:
    """The plain names called anywhere in `node` (`helper(...)`, `await helper(...)`)."""
    names: list[str] = []

    class Calls(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            if isinstance(call.func, cst.Name):
                names.append(call.func.value)

    node.visit(Calls())
    return names
