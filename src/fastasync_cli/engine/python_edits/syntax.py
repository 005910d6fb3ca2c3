"""What every Python edit shares: parsing, the two errors, and comparing statements."""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Sequence
from typing import cast

import libcst as cst

# What a module or an indented block holds: libcst's BaseStatement has these two kinds
# only (`Module.body` and `parse_statement` are typed so, `IndentedBlock.body` is not).
Statement = cst.SimpleStatementLine | cst.BaseCompoundStatement


def block_statements(block: cst.IndentedBlock) -> list[Statement]:
    """The statements of `block`, as a list typed like `Module.body`'s."""
    return cast("list[Statement]", list(block.body))


class AnchorMissing(Exception):
    """The file no longer has the place this edit needs (the user restructured it).

    `manual`, when set, holds the lines to add by hand that the file still lacks.
    """

    manual: str | None = None


class SourceError(Exception):
    """The file does not parse."""


def parse(source: str, path: str) -> cst.Module:
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise SourceError(f"{path} does not parse (line {exc.raw_line}: {exc.message})") from exc


def code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def normalise(text: str) -> str:
    return " ".join(text.split()).replace("( ", "(").replace(" )", ")").replace(",)", ")")


def same_code_key(text: str) -> str:
    """What a piece of code means, whatever its layout, quotes, parentheses or comments:
    its syntax tree. Two statements with the same key are the same statement."""
    try:
        return ast.dump(ast.parse(textwrap.dedent(text).strip() + "\n"))
    except SyntaxError:
        return normalise(text.replace("'", '"'))


def statement_code(statement: cst.BaseStatement) -> str:
    """The statement's key (`same_code_key`), without the comments above or after it."""
    statement = statement.with_changes(leading_lines=())
    if isinstance(statement, cst.SimpleStatementLine):
        statement = statement.with_changes(trailing_whitespace=cst.TrailingWhitespace())
    return same_code_key(code(statement))


class _SimpleStatements(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[cst.SimpleStatementLine] = []

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        self.found.append(node)
        return False


def module_contains(module: cst.CSTNode, text: str) -> bool:
    """Whether a simple statement like `text` is anywhere in the node, at any depth."""
    wanted = same_code_key(text)
    finder = _SimpleStatements()
    module.visit(finder)
    return any(statement_code(node) == wanted for node in finder.found)


def contains(body: Sequence[cst.BaseStatement], text: str) -> bool:
    wanted = same_code_key(text)
    return any(statement_code(statement) == wanted for statement in body)


def dotted(node: cst.BaseExpression | None) -> str:
    if node is None:
        return ""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{dotted(node.value)}.{node.attr.value}"
    return ""


def defined_name(statement: cst.BaseStatement) -> str | None:
    if isinstance(statement, cst.FunctionDef | cst.ClassDef):
        return statement.name.value
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        node = statement.body[0]
        if isinstance(node, cst.Assign) and len(node.targets) == 1:
            return dotted(node.targets[0].target) or None
        if isinstance(node, cst.AnnAssign):
            return dotted(node.target) or None
    return None


def block_indent(block: cst.IndentedBlock, module: cst.Module) -> str:
    return block.indent if block.indent is not None else module.default_indent


def new_line_after(
    comma: cst.Comma | cst.MaybeSentinel, last_line: cst.SimpleWhitespace
) -> cst.Comma:
    """A comma ending its line, the next line starting with `last_line`."""
    return cst.Comma(
        whitespace_after=cst.ParenthesizedWhitespace(
            first_line=cst.TrailingWhitespace(), indent=True, last_line=last_line
        )
    )
