"""The `model_config` a settings class ends up with, read statically: pydantic merges
each base class's `model_config` (in the order the bases are listed) and then the
class's own, then its class keywords (`class Settings(Base, env_prefix="X_")`).

Base classes are followed when they are defined in the same module or in a module of
the project (`from app.core.base import Base` is app/core/base.py); a base from
outside the project, or one computed at run time, makes the config unknown.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

# A project-relative path -> its text, None when there is no such file.
Reader = Callable[[str], str | None]

_CONFIG_CALLS = {"SettingsConfigDict", "ConfigDict", "dict"}
# Bases whose `model_config` is known: BaseSettings holds every default (so a base
# listed after one with a prefix resets it), BaseModel and object hold nothing.
_DEFAULTS = {"env_prefix": "", "case_sensitive": False}
_KNOWN_BASES: dict[str, dict[str, object]] = {
    "pydantic_settings.BaseSettings": _DEFAULTS,
    "pydantic_settings.main.BaseSettings": _DEFAULTS,
    "pydantic.BaseModel": {},
    "pydantic.main.BaseModel": {},
    "builtins.object": {},
    "abc.ABC": {},
}
# Chains of bases longer than this (or circular ones) are given up on.
_MAX_DEPTH = 32

NOT_LITERAL = object()


@dataclass(frozen=True)
class Setting:
    """One `model_config` key's value (NOT_LITERAL when computed) and who set it
    ("Settings in app/core/config.py")."""

    value: object
    owner: str


class UnknownConfig(Exception):
    """The config cannot be read statically; the message says why."""


@dataclass(frozen=True)
class _Module:
    name: str  # dotted: app.core.config
    rel: str  # app/core/config.py
    package: str  # what `from . import x` is relative to
    tree: cst.Module


def settings_config(
    source: str, rel: str, class_name: str, read: Reader
) -> dict[str, Setting] | None:
    """The merged `model_config` of `class_name` in `source` (the module at `rel`),
    None when the module has no such class. Raises UnknownConfig when part of it
    cannot be known without running the code."""
    module = _parse(rel, source)
    found = _bindings(module).get(class_name)
    if not isinstance(found, cst.ClassDef):
        return None
    return _Resolver(read, {module.name: module}).class_config(module, found, class_name, 0)


class _Resolver:
    def __init__(self, read: Reader, modules: dict[str, _Module | None]) -> None:
        self.read = read
        self.modules = modules

    def class_config(
        self, module: _Module, node: cst.ClassDef, subject: str, depth: int
    ) -> dict[str, Setting]:
        if depth > _MAX_DEPTH:
            raise UnknownConfig(f"the base classes of {subject} go round in a circle")
        owner = f"{node.name.value} in {module.rel}"
        if depth:
            owner += f" (a base class of {subject})"
        merged: dict[str, Setting] = {}
        for base in node.bases:
            if base.star:
                raise UnknownConfig(f"{owner} takes its base classes from `{base.star}...`")
            merged.update(self.base_config(module, base.value, owner, subject, depth))
        if isinstance(node.body, cst.IndentedBlock):
            config = _model_config(node.body)
            if config is not None:
                options = _options(config)
                if options is None:
                    raise UnknownConfig(
                        f"`model_config` of {owner} is not a `SettingsConfigDict(...)` call "
                        "or a dict fastasync can read"
                    )
                merged.update({key: Setting(_literal(v), owner) for key, v in options.items()})
        for keyword in node.keywords:
            if keyword.keyword is None:
                raise UnknownConfig(f"{owner} takes class keywords from `**...`")
            merged[keyword.keyword.value] = Setting(_literal(keyword.value), owner)
        return merged

    def base_config(
        self, module: _Module, base: cst.BaseExpression, owner: str, subject: str, depth: int
    ) -> dict[str, Setting]:
        code = cst.Module(body=[]).code_for_node(base)
        dotted = _dotted(base)
        if dotted is None:
            raise UnknownConfig(f"{owner} inherits from `{code}`, computed at run time")
        found = self.lookup(module, dotted.split("."), depth)
        if isinstance(found, str):
            raise UnknownConfig(f"{owner} inherits from `{code}`, {found}")
        if isinstance(found, dict):
            return {key: Setting(value, f"`{code}`") for key, value in found.items()}
        where, node = found
        return self.class_config(where, node, subject, depth + 1)

    def lookup(
        self, module: _Module, names: list[str], depth: int
    ) -> tuple[_Module, cst.ClassDef] | dict[str, object] | str:
        """What `names` (a dotted reference, split) means in `module`: a class of
        the project, a known config, or why it cannot be followed."""
        bindings = _bindings(module)
        if names[0] not in bindings:
            builtin = {"BaseSettings": "pydantic_settings.BaseSettings"}.get(names[0])
            builtin = builtin or f"builtins.{names[0]}"
            if len(names) == 1 and builtin in _KNOWN_BASES:
                return _KNOWN_BASES[builtin]
            return f"which {module.rel} does not define or import"
        bound = bindings[names[0]]
        if isinstance(bound, cst.ClassDef):
            if len(names) > 1:
                return "a class nested in another"
            return module, bound
        if isinstance(bound, str):
            return self.resolve(".".join([bound, *names[1:]]), depth + 1)
        return "computed at run time"

    def resolve(
        self, dotted: str, depth: int
    ) -> tuple[_Module, cst.ClassDef] | dict[str, object] | str:
        """A fully dotted reference (`app.core.base.Base`) to a class."""
        if dotted in _KNOWN_BASES:
            return _KNOWN_BASES[dotted]
        if depth > _MAX_DEPTH:
            return "imported in a circle"
        parts = dotted.split(".")
        for end in range(len(parts) - 1, 0, -1):
            module = self.module(".".join(parts[:end]))
            if module is not None:
                return self.lookup(module, parts[end:], depth)
        return "a class from outside the project"

    def module(self, name: str) -> _Module | None:
        """The project's module `name`, None when the project has no such file."""
        if name not in self.modules:
            self.modules[name] = None
            path = name.replace(".", "/")
            for rel in (f"{path}.py", f"{path}/__init__.py"):
                text = self.read(rel)
                if text is not None:
                    try:
                        self.modules[name] = _parse(rel, text)
                    except cst.ParserSyntaxError as exc:
                        raise UnknownConfig(f"{rel} does not parse") from exc
                    break
        return self.modules[name]


def _parse(rel: str, source: str) -> _Module:
    path = rel.removesuffix(".py")
    package = path.removesuffix("/__init__") if path.endswith("/__init__") else path
    name = package.replace("/", ".")
    if not path.endswith("/__init__"):
        package = package.rpartition("/")[0]
    return _Module(name, rel, package.replace("/", "."), cst.parse_module(source))


def _bindings(module: _Module) -> dict[str, cst.ClassDef | str | None]:
    """The names the top level of `module` binds: a class, the dotted name an import
    refers to, or None for anything else (an assignment, a function)."""
    bound: dict[str, cst.ClassDef | str | None] = {}
    for statement in module.tree.body:
        if isinstance(statement, cst.ClassDef):
            bound[statement.name.value] = statement
        elif isinstance(statement, cst.FunctionDef):
            bound[statement.name.value] = None
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                bound.update(_bound_by(small, module))
    return bound


def _bound_by(small: cst.BaseSmallStatement, module: _Module) -> dict[str, str | None]:
    if isinstance(small, cst.Import):
        bound: dict[str, str | None] = {}
        for alias in small.names:
            dotted = _dotted(alias.name) or ""
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                bound[alias.asname.name.value] = dotted
            else:
                head = dotted.split(".")[0]
                bound[head] = head
        return bound
    if isinstance(small, cst.ImportFrom):
        if isinstance(small.names, cst.ImportStar):
            return {}
        base: str | None = _dotted(small.module) if small.module is not None else ""
        if small.relative:
            package = module.package.split(".") if module.package else []
            up = len(small.relative) - 1
            # `from .. import x` above the project's top package: nothing to follow.
            within = package[: len(package) - up] if up < len(package) else None
            base = None if within is None else ".".join([*within, *([base] if base else [])])
        bound = {}
        for alias in small.names:
            name = _dotted(alias.name) or ""
            local = alias.asname.name if alias.asname is not None else alias.name
            if isinstance(local, cst.Name):
                bound[local.value] = None if base is None else f"{base}.{name}".lstrip(".")
        return bound
    targets: list[cst.BaseExpression] = []
    if isinstance(small, cst.Assign):
        targets = [target.target for target in small.targets]
    elif isinstance(small, cst.AnnAssign | cst.AugAssign):
        targets = [small.target]
    return {t.value: None for t in targets if isinstance(t, cst.Name)}


def _dotted(node: cst.BaseExpression | None) -> str | None:
    """`a.b.C` for a name or a chain of attributes, None for anything else."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = _dotted(node.value)
        return None if head is None else f"{head}.{node.attr.value}"
    return None


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
    True/False/None; NOT_LITERAL for anything else."""
    if isinstance(node, cst.Name) and node.value in {"True", "False", "None"}:
        return {"True": True, "False": False, "None": None}[node.value]
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString):
        if isinstance(node, cst.ConcatenatedString) and _has_fstring(node):
            return NOT_LITERAL
        try:
            return ast.literal_eval(cst.Module(body=[]).code_for_node(node))
        except (ValueError, SyntaxError):
            return NOT_LITERAL
    return NOT_LITERAL


def _has_fstring(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.ConcatenatedString):
        return _has_fstring(node.left) or _has_fstring(node.right)
    return isinstance(node, cst.FormattedString)
