"""The environment variable each settings field is read from, as pydantic-settings
names it: `env_prefix` in front of the field's name, upper-case unless
`case_sensitive` (`model_config = SettingsConfigDict(env_prefix="APP_")` reads
`redis_url` from `APP_REDIS_URL`).

Only literal values count (a string for the prefix, `True`/`False`): anything else
is computed at run time, and the names are then left to the user.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass

import libcst as cst

SETTINGS_MODULE = "app/core/config.py"
_CONFIG_CALLS = {"SettingsConfigDict", "ConfigDict", "dict"}


@dataclass(frozen=True)
class EnvNames:
    """How the `Settings` class names its environment variables."""

    prefix: str = ""
    case_sensitive: bool = False
    # Why the names cannot be known (a prefix that is not a literal string); None when
    # they can.
    unknown: str | None = None

    def name(self, field: str) -> str:
        """The variable the field `field` (any case) is read from."""
        if self.case_sensitive:
            return f"{self.prefix}{field.lower()}"
        return f"{self.prefix}{field}".upper()

    def rename(self, text: str, fields: Iterable[str]) -> str:
        """`text` (documentation, `.env` lines, compose entries) with each of `fields`
        named in it as a variable (`REDIS_URL`) turned into the variable it is read
        from (`APP_REDIS_URL`)."""
        if not self.prefix and not self.case_sensitive:
            return text
        names = sorted({field.upper() for field in fields}, key=len, reverse=True)
        if not names:
            return text
        pattern = re.compile(
            rf"(?<![A-Za-z0-9_])({'|'.join(map(re.escape, names))})(?![A-Za-z0-9_])"
        )
        return pattern.sub(lambda match: self.name(match.group(1)), text)


def env_names(source: str | None) -> EnvNames:
    """How the `Settings` class in `source` (app/core/config.py) names its
    variables; the defaults when there is no such class or it does not parse (the
    settings edit says so)."""
    if source is None:
        return EnvNames()
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return EnvNames()
    settings = next(
        (
            node
            for node in module.body
            if isinstance(node, cst.ClassDef) and node.name.value == "Settings"
        ),
        None,
    )
    if settings is None or not isinstance(settings.body, cst.IndentedBlock):
        return EnvNames()
    config = _model_config(settings.body)
    if config is None:
        return EnvNames()
    options = _options(config)
    if options is None:
        return EnvNames(
            unknown=f"`model_config` of Settings in {SETTINGS_MODULE} is not a "
            "`SettingsConfigDict(...)` call or a dict fastasync can read, so the names of "
            "its environment variables (`env_prefix`) are unknown"
        )
    prefix = options.get("env_prefix")
    sensitive = options.get("case_sensitive")
    if prefix is not None and not isinstance(_literal(prefix), str | None):
        return EnvNames(
            unknown=f"`env_prefix` of Settings in {SETTINGS_MODULE} is not a literal "
            "string, so the names of its environment variables are unknown"
        )
    if sensitive is not None and not isinstance(_literal(sensitive), bool):
        return EnvNames(
            unknown=f"`case_sensitive` of Settings in {SETTINGS_MODULE} is not True or "
            "False, so the names of its environment variables are unknown"
        )
    return EnvNames(
        prefix=str(_literal(prefix) or "") if prefix is not None else "",
        case_sensitive=bool(_literal(sensitive)) if sensitive is not None else False,
    )


def _model_config(body: cst.IndentedBlock) -> cst.BaseExpression | None:
    """The value the class body assigns to `model_config` last, or None."""
    found = None
    for statement in body.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Assign):
                targets = [target.target for target in small.targets]
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                targets = [small.target]
            else:
                continue
            if any(isinstance(t, cst.Name) and t.value == "model_config" for t in targets):
                found = small.value
    return found


def _options(config: cst.BaseExpression) -> dict[str, cst.BaseExpression] | None:
    """The keys and values of a `SettingsConfigDict(...)` call or a dict display, or
    None when it is something else or spreads other values in (`**base`)."""
    if isinstance(config, cst.Call):
        func = config.func
        name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", None)
        if name not in _CONFIG_CALLS:
            return None
        options = {}
        for arg in config.args:
            if arg.keyword is None:
                return None
            options[arg.keyword.value] = arg.value
        return options
    if isinstance(config, cst.Dict):
        options = {}
        for element in config.elements:
            if not isinstance(element, cst.DictElement):
                return None
            key = _literal(element.key)
            if not isinstance(key, str):
                return None
            options[key] = element.value
        return options
    return None


def _literal(node: cst.BaseExpression) -> object:
    """The value of a literal string (concatenated, not an f-string) or
    True/False/None; a marker object for anything else."""
    if isinstance(node, cst.Name) and node.value in {"True", "False", "None"}:
        return {"True": True, "False": False, "None": None}[node.value]
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString):
        if isinstance(node, cst.ConcatenatedString) and _has_fstring(node):
            return _NOT_LITERAL
        try:
            return ast.literal_eval(cst.Module(body=[]).code_for_node(node))
        except (ValueError, SyntaxError):
            return _NOT_LITERAL
    return _NOT_LITERAL


def _has_fstring(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.ConcatenatedString):
        return _has_fstring(node.left) or _has_fstring(node.right)
    return isinstance(node, cst.FormattedString)


_NOT_LITERAL = object()
