"""Syntax-tree edits of the Python files the user owns, with libcst.

Every edit is idempotent (applying it to its own output changes nothing) and adds or
replaces only its own nodes: every other byte of the file, comments and layout
included, stays. Laying out the added lines the way the project's ruff settings want
is `python_style.format_edited`'s job. When the place an edit needs is gone, it
raises `AnchorMissing` and writes nothing; an edit whose result the user already
wrote by hand (where the anchor was gone) counts as done, so following the printed
manual lines always ends the loop.
"""

from fastasync_cli.engine.python_edits.functions import (
    ensure_call_keywords,
    ensure_parameter,
    ensure_parameter_annotation,
    ensure_route_path,
    ensure_statement_before_yield,
    ensure_statement_replaced,
)
from fastasync_cli.engine.python_edits.imports import ensure_from_import, ensure_import
from fastasync_cli.engine.python_edits.registrations import includes_router
from fastasync_cli.engine.python_edits.statements import (
    Field,
    ensure_class_fields,
    ensure_definitions,
    ensure_list_element,
    ensure_list_element_absent,
    ensure_statement_after_last,
    is_call_to,
)
from fastasync_cli.engine.python_edits.syntax import AnchorMissing, SourceError, parse

__all__ = [
    "AnchorMissing",
    "Field",
    "SourceError",
    "ensure_call_keywords",
    "ensure_class_fields",
    "ensure_definitions",
    "ensure_from_import",
    "ensure_import",
    "ensure_list_element",
    "ensure_list_element_absent",
    "ensure_parameter",
    "ensure_parameter_annotation",
    "ensure_route_path",
    "ensure_statement_after_last",
    "ensure_statement_before_yield",
    "ensure_statement_replaced",
    "includes_router",
    "is_call_to",
    "parse",
]
