"""What `check/index.py` records of a module: plain data classes of `refs` tuples,
no `ast` nodes, so an index is cheap to keep and to compare."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastasync_cli.check.refs import Ref

# Where a call's result goes: a local name (built per call), `self.attr`, or somewhere
# that outlives the call (a global, a class attribute, a cache).
LOCAL, SELF, KEPT = 0, 1, 2
# A call in a lazy initialisation (`if _x is None: _x = make()`, see check/lazy_init):
# kept, as KEPT, and run once.
LAZY = 3


@dataclass(slots=True)
class CallSite:
    line: int
    col: int
    ref: tuple[Any, ...]
    stored: int = LOCAL


@dataclass(slots=True)
class Scope:
    """What a function body or a module's top level binds and calls."""

    calls: list[CallSite] = field(default_factory=list)
    assigns: dict[str, list[Ref]] = field(default_factory=dict)
    imports: dict[str, str] = field(default_factory=dict)
    nested: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Functions and classes defined here: name -> ("f" or "C", qualname)."""


@dataclass(slots=True)
class FunctionIndex(Scope):
    qualname: str = ""
    name: str = ""
    line: int = 0
    col: int = 0
    is_async: bool = False
    owner: str | None = None
    """The class's qualname, for a method."""
    parent: str | None = None
    """The enclosing function's qualname, for a nested function."""
    self_name: str | None = None
    """The first parameter of a method (`self` or `cls`)."""
    is_classmethod: bool = False
    params: list[tuple[str, Ref, Ref]] = field(default_factory=list)
    decorators: list[Ref] = field(default_factory=list)
    returns: list[Ref] = field(default_factory=list)
    return_annotation: Ref = None
    global_names: set[str] = field(default_factory=set)
    is_stub: bool = False
    """The body does nothing (`...`, `pass`, `raise NotImplementedError`): an interface."""


@dataclass(slots=True)
class ClassIndex:
    qualname: str
    name: str
    line: int
    bases: list[Ref]
    methods: dict[str, str] = field(default_factory=dict)
    attrs: dict[str, list[Ref]] = field(default_factory=dict)
    self_attrs: dict[str, list[tuple[str, Ref]]] = field(default_factory=dict)
    """`self.name = value` in a method: name -> [(method qualname, value)]."""


@dataclass(slots=True)
class ModuleIndex(Scope):
    path: str = ""
    name: str = ""
    is_package: bool = False
    functions: dict[str, FunctionIndex] = field(default_factory=dict)
    classes: dict[str, ClassIndex] = field(default_factory=dict)
    star_imports: list[str] = field(default_factory=list)
    noqa: dict[int, frozenset[str] | None] = field(default_factory=dict)
    """Line -> the codes its `# noqa` comment names (None: a bare `# noqa`)."""
    file_noqa: frozenset[str] | None = frozenset()
    """The codes `# fastasync: noqa` exempts the whole file from (None: every code)."""
    noqa_problems: list[tuple[int, str]] = field(default_factory=list)
    """(line, message with a `{}` for `path:line`): malformed `# noqa` comments."""
    lines: int = 0
    error: tuple[int, int, str] | None = None
    """A syntax error: line, column, message."""
    error_advice: str | None = None
    """What to do about `error`, when it is not what FA001 says for any syntax error."""
