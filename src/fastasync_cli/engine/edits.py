"""Syntax-tree edits of the Python files the user owns, with libcst (TOML and YAML
files: `config_edits`).

Every edit is idempotent (applying it to its own output changes nothing) and keeps the
user's formatting and comments. The code it adds is laid out the way `ruff format`
would, so a project that passes `ruff format --check` still does afterwards. When the
place an edit needs is gone, it raises `AnchorMissing` and writes nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import libcst as cst

LINE_LENGTH = 88


class AnchorMissing(Exception):
    """The file no longer has the place this edit needs (the user restructured it)."""


class SourceError(Exception):
    """The file does not parse."""


def parse(source: str, path: str) -> cst.Module:
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise SourceError(f"{path} does not parse (line {exc.raw_line}: {exc.message})") from exc


def _code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def _normalise(code: str) -> str:
    return " ".join(code.split()).replace("( ", "(").replace(" )", ")").replace(",)", ")")


def _statement_code(statement: cst.BaseStatement) -> str:
    """The statement's code, normalised, without the comments above or after it."""
    statement = statement.with_changes(leading_lines=())
    if isinstance(statement, cst.SimpleStatementLine):
        statement = statement.with_changes(trailing_whitespace=cst.TrailingWhitespace())
    return _normalise(_code(statement))


def _module_contains(module: cst.Module, code: str) -> bool:
    """Whether a simple statement like `code` is anywhere in the module, at any depth."""
    wanted = _normalise(code)
    finder = _SimpleStatements()
    module.visit(finder)
    return any(_statement_code(node) == wanted for node in finder.found)


class _SimpleStatements(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[cst.SimpleStatementLine] = []

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        self.found.append(node)
        return False


def _contains(body: Sequence[cst.BaseStatement], code: str) -> bool:
    wanted = _normalise(code)
    return any(_statement_code(statement) == wanted for statement in body)


# --- imports ---------------------------------------------------------------------


def _dotted(node: cst.BaseExpression | None) -> str:
    if node is None:
        return ""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _alias_code(alias: cst.ImportAlias) -> str:
    text = _dotted(alias.name)
    if alias.asname is not None:
        text += f" as {_dotted(alias.asname.name)}"  # type: ignore[arg-type]
    return text


def _member_key(name: str) -> tuple[int, str]:
    # ruff's isort "order-by-type": CONSTANTS, then Classes, then everything else.
    bare = name.split(" as ")[0]
    if bare.isupper() and len(bare) > 1:
        kind = 0
    elif bare[:1].isupper():
        kind = 1
    else:
        kind = 2
    return kind, bare.lower()


def render_from_import(module: str, names: Sequence[str], *, exploded: bool) -> str:
    """`from module import a, b` as ruff format lays it out."""
    ordered = sorted(dict.fromkeys(names), key=_member_key)
    line = f"from {module} import {', '.join(ordered)}"
    if not exploded and len(line) <= LINE_LENGTH:
        return line
    members = "".join(f"    {name},\n" for name in ordered)
    return f"from {module} import (\n{members})"


def _from_import(statement: cst.BaseStatement) -> cst.ImportFrom | None:
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        node = statement.body[0]
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
        return _dotted(node.module)
    return _dotted(node.names[0].name)


def ensure_from_import(module: cst.Module, from_module: str, name: str) -> cst.Module:
    """Make `from from_module import name` true, merging into an existing import."""
    body = list(module.body)
    for index, statement in enumerate(body):
        node = _from_import(statement)
        if node is None or _dotted(node.module) != from_module:
            continue
        if isinstance(node.names, cst.ImportStar):
            return module
        names = [_alias_code(alias) for alias in node.names]
        if any(existing.split(" as ")[-1] == name for existing in names):
            return module
        exploded = node.lpar is not None and "\n" in _code(statement)
        text = render_from_import(from_module, [*names, name], exploded=exploded)
        new = cst.parse_statement(text + "\n")
        assert isinstance(new, cst.SimpleStatementLine)
        body[index] = new.with_changes(
            leading_lines=statement.leading_lines,
            trailing_whitespace=statement.trailing_whitespace,  # type: ignore[attr-defined]
        )
        return module.with_changes(body=body)
    return _insert_import(
        module, cst.parse_statement(f"from {from_module} import {name}\n"), from_module
    )


FIRST_PARTY = frozenset({"app", "tests"})


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
    return (1 if _from_import(statement) else 0, _import_module(statement).lower())


def _insert_import(module: cst.Module, new: cst.BaseStatement, from_module: str) -> cst.Module:
    body = list(module.body)
    imports = [i for i, s in enumerate(body) if _is_import(s)]
    if not imports:
        raise AnchorMissing("an import block")
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


# --- top-level statements ----------------------------------------------------------


def is_call_to(dotted: str) -> Callable[[cst.BaseStatement], bool]:
    """A predicate: the statement is a bare call to `dotted(...)`."""

    def matches(statement: cst.BaseStatement) -> bool:
        return (
            isinstance(statement, cst.SimpleStatementLine)
            and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr)
            and isinstance(statement.body[0].value, cst.Call)
            and _dotted(statement.body[0].value.func) == dotted
        )

    return matches


def ensure_statement_after_last(
    module: cst.Module,
    code: str,
    anchor: Callable[[cst.BaseStatement], bool],
    anchor_description: str,
) -> cst.Module:
    """Put the statement `code` after the last top-level statement matching `anchor`."""
    body = list(module.body)
    if _contains(body, code):
        return module
    positions = [i for i, statement in enumerate(body) if anchor(statement)]
    if not positions:
        raise AnchorMissing(anchor_description)
    body.insert(positions[-1] + 1, cst.parse_statement(code + "\n"))
    return module.with_changes(body=body)


def ensure_definitions(module: cst.Module, code: str) -> cst.Module:
    """Append the top-level statements of `code` that the module does not define yet.

    Functions and classes get two blank lines above them, other statements the blank
    lines `code` gives them.
    """
    snippet = cst.parse_module(code)
    body = list(module.body)
    defined = {_defined_name(s) for s in body} - {None}
    added = False
    for statement in snippet.body:
        name = _defined_name(statement)
        if (name is not None and name in defined) or _contains(body, _code(statement)):
            continue
        if isinstance(statement, cst.FunctionDef | cst.ClassDef) or (
            body and isinstance(body[-1], cst.FunctionDef | cst.ClassDef)
        ):
            statement = statement.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()])
        body.append(statement)
        added = True
    return module.with_changes(body=body) if added else module


def _defined_name(statement: cst.BaseStatement) -> str | None:
    if isinstance(statement, cst.FunctionDef | cst.ClassDef):
        return statement.name.value
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        node = statement.body[0]
        if isinstance(node, cst.Assign) and len(node.targets) == 1:
            return _dotted(node.targets[0].target) or None
        if isinstance(node, cst.AnnAssign):
            return _dotted(node.target) or None
    return None


# --- list registries ---------------------------------------------------------------


def ensure_list_element(module: cst.Module, variable: str, element: str) -> cst.Module:
    """Append `element` to the list literal assigned to the top-level `variable`."""
    body = list(module.body)
    for index, statement in enumerate(body):
        if _defined_name(statement) != variable:
            continue
        node = statement.body[0]  # type: ignore[attr-defined]
        if not isinstance(node.value, cst.List):
            raise AnchorMissing(f"`{variable} = [...]` as a list literal")
        items = [_code(e.value) for e in node.value.elements]
        if _normalise(element) in {_normalise(item) for item in items}:
            return module
        exploded = "\n" in _code(node.value)
        target = _code(statement.body[0]).split("=", 1)[0].rstrip()  # type: ignore[attr-defined]
        text = _render_list_assignment(target, [*items, element], exploded=exploded)
        new = cst.parse_statement(text + "\n").with_changes(leading_lines=statement.leading_lines)
        body[index] = new
        return module.with_changes(body=body)
    raise AnchorMissing(f"a top-level `{variable} = [...]`")


def _render_list_assignment(target: str, items: Sequence[str], *, exploded: bool) -> str:
    line = f"{target} = [{', '.join(items)}]"
    if not exploded and len(line) <= LINE_LENGTH:
        return line
    members = "".join(f"    {item},\n" for item in items)
    return f"{target} = [\n{members}]"


# --- class bodies and function bodies ----------------------------------------------


@dataclass(frozen=True)
class Field:
    """A class attribute to add: `name: annotation = default`."""

    name: str
    code: str  # the whole line, e.g. 'github_timeout: float = 30.0'


def ensure_class_fields(
    module: cst.Module,
    class_name: str,
    fields: Sequence[Field],
    comment: str,
    *,
    replace: bool = False,
) -> tuple[cst.Module, list[str]]:
    """Add fields at the end of a top-level class body.

    Returns the new module and the names of fields that exist with other code (left
    alone unless `replace`).
    """
    body = list(module.body)
    for index, statement in enumerate(body):
        if not (isinstance(statement, cst.ClassDef) and statement.name.value == class_name):
            continue
        class_body = list(statement.body.body)  # type: ignore[attr-defined]
        existing = {_defined_name(s): i for i, s in enumerate(class_body)}
        differing = []
        new_statements: list[cst.BaseStatement] = []
        for field in fields:
            parsed = cst.parse_statement(field.code + "\n")
            if field.name in existing:
                position = existing[field.name]
                # Comment lines above a field are not part of what it sets.
                if _statement_code(class_body[position]) != _statement_code(parsed):
                    differing.append(field.name)
                    if replace:
                        class_body[position] = parsed.with_changes(
                            leading_lines=class_body[position].leading_lines
                        )
                continue
            new_statements.append(parsed)
        if new_statements:
            new_statements[0] = new_statements[0].with_changes(
                leading_lines=[
                    cst.EmptyLine(indent=False),
                    cst.EmptyLine(comment=cst.Comment(f"# {comment}")),
                ]
            )
            class_body.extend(new_statements)
        new_class = statement.with_changes(body=statement.body.with_changes(body=class_body))
        body[index] = new_class
        return module.with_changes(body=body), differing
    raise AnchorMissing(f"a top-level `class {class_name}`")


def wrap_call(code: str, indent: int) -> str:
    """Split `target = f(args)` over three lines, as ruff format does, when too long."""
    if indent + len(code) <= LINE_LENGTH or not code.endswith(")"):
        return code
    opening = code.index("(")
    inner = code[opening + 1 : -1]
    # libcst indents continuation lines by the enclosing block's indentation itself.
    return f"{code[: opening + 1]}\n    {inner}\n)"


class _InsertBeforeYield(cst.CSTTransformer):
    def __init__(self, function: str, yield_value: str, code: str) -> None:
        self.function = function
        self.yield_value = yield_value
        self.code = code
        self.depth = 0
        self.indents: list[int] = []
        self.found = False

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> bool:
        width = len(node.indent) if node.indent is not None else 4
        self.indents.append(width)
        return True

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        if node.name.value == self.function:
            self.depth += 1
        return True

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        if original.name.value == self.function:
            self.depth -= 1
        return updated

    def _is_yield(self, statement: cst.BaseStatement) -> bool:
        if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
            return False
        expression = statement.body[0]
        return (
            isinstance(expression, cst.Expr)
            and isinstance(expression.value, cst.Yield)
            and isinstance(expression.value.value, cst.Name)
            and expression.value.value.value == self.yield_value
        )

    def leave_IndentedBlock(
        self, original: cst.IndentedBlock, updated: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        indent = sum(self.indents)
        self.indents.pop()
        if not self.depth:
            return updated
        body = list(updated.body)
        for index, statement in enumerate(body):
            if self._is_yield(statement):
                self.found = True
                if _contains(body, self.code):
                    return updated
                statement = cst.parse_statement(wrap_call(self.code, indent) + "\n")
                body.insert(index, statement)
                return updated.with_changes(body=body)
        return updated


def ensure_statement_before_yield(
    module: cst.Module, function: str, yield_value: str, code: str
) -> cst.Module:
    """Insert `code` just before `yield <yield_value>` inside the function `function`."""
    if _module_contains(module, code):
        return module
    transformer = _InsertBeforeYield(function, yield_value, code)
    updated = module.visit(transformer)
    if not transformer.found:
        raise AnchorMissing(f"`yield {yield_value}` inside `{function}`")
    return updated


# --- function signatures and bodies ------------------------------------------------


class _FunctionTransformer(cst.CSTTransformer):
    """Applies `edit(node, indent)` to every function named `function`, at any depth."""

    def __init__(
        self, function: str, edit: Callable[[cst.FunctionDef, int], cst.FunctionDef]
    ) -> None:
        self.function = function
        self.edit = edit
        self.indents: list[int] = []
        self.found = False

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> bool:
        self.indents.append(len(node.indent) if node.indent is not None else 4)
        return True

    def leave_IndentedBlock(
        self, original: cst.IndentedBlock, updated: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        self.indents.pop()
        return updated

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        if original.name.value != self.function:
            return updated
        self.found = True
        return self.edit(updated, sum(self.indents))


def _edit_function(
    module: cst.Module,
    function: str,
    edit: Callable[[cst.FunctionDef, int], cst.FunctionDef],
) -> cst.Module:
    transformer = _FunctionTransformer(function, edit)
    updated = module.visit(transformer)
    if not transformer.found:
        raise AnchorMissing(f"a function `{function}`")
    return updated


def _bare_param(param: cst.Param) -> str:
    return _code(
        param.with_changes(
            comma=cst.MaybeSentinel.DEFAULT, whitespace_after_param=cst.SimpleWhitespace("")
        )
    ).strip()


def ensure_parameter(module: cst.Module, function: str, code: str) -> cst.Module:
    """Append the parameter `code` (e.g. `jobs: JobsDep`) to the function `function`.

    The signature stays on one line when it fits, and is otherwise split one parameter
    a line, as ruff format does. Functions with `*`, `*args` or `**kwargs` are left to
    the user (AnchorMissing).
    """
    name = code.split(":", 1)[0].split("=", 1)[0].strip()

    def edit(node: cst.FunctionDef, indent: int) -> cst.FunctionDef:
        params = node.params
        if any(param.name.value == name for param in params.params):
            return node
        if (
            params.posonly_params
            or params.kwonly_params
            or not isinstance(params.star_arg, cst.MaybeSentinel)
            or params.star_kwarg is not None
        ):
            raise AnchorMissing(f"a plain parameter list in `{node.name.value}`")
        texts = [_bare_param(param) for param in params.params] + [code]
        prefix = f"{'async ' if node.asynchronous else ''}def {node.name.value}("
        returns = f" -> {_code(node.returns.annotation)}" if node.returns else ""
        header = f"{prefix}{', '.join(texts)}){returns}:"
        if indent + len(header) > LINE_LENGTH:
            members = "".join(f"    {text},\n" for text in texts)
            header = f"{prefix}\n{members}){returns}:"
        parsed = cst.parse_statement(f"{header}\n    pass\n")
        assert isinstance(parsed, cst.FunctionDef)
        return node.with_changes(
            params=parsed.params, whitespace_before_params=parsed.whitespace_before_params
        )

    return _edit_function(module, function, edit)


def ensure_statement_replaced(module: cst.Module, function: str, old: str, new: str) -> cst.Module:
    """Replace the statement `old` in the body of `function` with `new` (once)."""
    wanted, anchor = _normalise(new), _normalise(old)

    def edit(node: cst.FunctionDef, indent: int) -> cst.FunctionDef:
        body = list(node.body.body)  # type: ignore[attr-defined]
        if any(_statement_code(statement) == wanted for statement in body):
            return node
        for index, statement in enumerate(body):
            if _statement_code(statement) == anchor:
                replacement = cst.parse_statement(new + "\n")
                body[index] = replacement.with_changes(
                    leading_lines=statement.leading_lines,
                    trailing_whitespace=statement.trailing_whitespace,  # type: ignore[attr-defined]
                )
                return node.with_changes(body=node.body.with_changes(body=body))
        raise AnchorMissing(f"`{old}` inside `{node.name.value}`")

    return _edit_function(module, function, edit)


class _CallKeywords(cst.CSTTransformer):
    def __init__(self, callee: str, keywords: Sequence[tuple[str, str]]) -> None:
        self.callee = callee
        self.keywords = keywords
        self.found = False

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if self.found or _dotted(updated.func) != self.callee:
            return updated
        self.found = True
        present = {arg.keyword.value for arg in updated.args if arg.keyword is not None}
        missing = [(key, value) for key, value in self.keywords if key not in present]
        if not missing:
            return updated
        args = list(updated.args)
        exploded = isinstance(updated.whitespace_before_args, cst.ParenthesizedWhitespace)
        if not exploded or not args:
            texts = [
                _code(arg.with_changes(comma=cst.MaybeSentinel.DEFAULT)).strip() for arg in args
            ]
            texts += [f"{key}={value}" for key, value in missing]
            members = "".join(f"    {text},\n" for text in texts)
            parsed = cst.parse_expression(f"{_code(updated.func)}(\n{members})")
            assert isinstance(parsed, cst.Call)
            return updated.with_changes(
                args=parsed.args, whitespace_before_args=parsed.whitespace_before_args
            )
        # Keep every existing argument and its comment; new ones go at the end, one a line.
        first = updated.whitespace_before_args
        assert isinstance(first, cst.ParenthesizedWhitespace)

        def comma(last_line: cst.SimpleWhitespace) -> cst.Comma:
            return cst.Comma(
                whitespace_after=cst.ParenthesizedWhitespace(
                    first_line=cst.TrailingWhitespace(), indent=True, last_line=last_line
                )
            )

        last = args[-1]
        if isinstance(last.comma, cst.Comma) and isinstance(
            last.comma.whitespace_after, cst.ParenthesizedWhitespace
        ):
            args[-1] = last.with_changes(
                comma=last.comma.with_changes(
                    whitespace_after=last.comma.whitespace_after.with_changes(
                        last_line=first.last_line
                    )
                )
            )
        elif isinstance(last.whitespace_after_arg, cst.ParenthesizedWhitespace):
            # No trailing comma: the line break (and any comment) before `)` moves
            # behind the comma it gets.
            args[-1] = last.with_changes(
                comma=cst.Comma(
                    whitespace_after=last.whitespace_after_arg.with_changes(
                        last_line=first.last_line
                    )
                ),
                whitespace_after_arg=cst.SimpleWhitespace(""),
            )
        else:
            args[-1] = last.with_changes(
                comma=comma(first.last_line), whitespace_after_arg=cst.SimpleWhitespace("")
            )
        for position, (key, value) in enumerate(missing):
            closing = position == len(missing) - 1
            arg = cst.Arg(
                keyword=cst.Name(key),
                value=cst.parse_expression(value),
                equal=cst.AssignEqual(
                    whitespace_before=cst.SimpleWhitespace(""),
                    whitespace_after=cst.SimpleWhitespace(""),
                ),
                comma=comma(cst.SimpleWhitespace("") if closing else first.last_line),
            )
            args.append(arg)
        return updated.with_changes(args=args)


def ensure_call_keywords(
    module: cst.Module, function: str, callee: str, keywords: Sequence[tuple[str, str]]
) -> cst.Module:
    """Add `key=value` arguments to the first call of `callee` inside `function`.

    Keywords the call already passes are left as they are.
    """

    def edit(node: cst.FunctionDef, indent: int) -> cst.FunctionDef:
        transformer = _CallKeywords(callee, keywords)
        updated = node.visit(transformer)
        if not transformer.found:
            raise AnchorMissing(f"a `{callee}(...)` call inside `{node.name.value}`")
        assert isinstance(updated, cst.FunctionDef)
        return updated

    return _edit_function(module, function, edit)
