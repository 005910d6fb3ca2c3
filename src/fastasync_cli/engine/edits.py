"""The edits of files the user owns, by kind: Python here (`python_edits`, libcst),
TOML and YAML in `config_edits`. Generators use this module's short name."""

from fastasync_cli.engine.python_edits import (
    AnchorMissing,
    Field,
    SourceError,
    ensure_call_keywords,
    ensure_class_fields,
    ensure_definitions,
    ensure_from_import,
    ensure_list_element,
    ensure_list_element_absent,
    ensure_parameter,
    ensure_statement_after_last,
    ensure_statement_before_yield,
    ensure_statement_replaced,
    is_call_to,
    parse,
)

__all__ = [
    "AnchorMissing",
    "Field",
    "SourceError",
    "ensure_call_keywords",
    "ensure_class_fields",
    "ensure_definitions",
    "ensure_from_import",
    "ensure_list_element",
    "ensure_list_element_absent",
    "ensure_parameter",
    "ensure_statement_after_last",
    "ensure_statement_before_yield",
    "ensure_statement_replaced",
    "is_call_to",
    "parse",
]
