"""Calls whose result outlives the call: what an assignment stores (`built_by`), and
lazy initialisation, a block that runs on the first call only (`is_lazy_init`):

```python
def get_logger():
    global _logger
    if _logger is None:
        _logger = configure_logging()  # reads a file, once
    return _logger
```

What such a block calls runs once per process (or per object, for `self._x`), as a
cached function's body does: its blocking calls delay the first request at most, and
a client it builds is shared. Only a test of the very name the block then assigns
counts, and only a name that outlives the call: a `global` (or `nonlocal`) one, or an
attribute of `self`.
"""

from __future__ import annotations

import ast
from typing import cast

Key = tuple[str, ...]


def _key(node: ast.expr, self_name: str | None) -> Key | None:
    if isinstance(node, ast.Name):
        return (node.id,)
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and self_name is not None
        and node.value.id == self_name
    ):
        return (self_name, node.attr)
    return None


def _tested(test: ast.expr, self_name: str | None) -> Key | None:
    """`x` of `x is None` or `not x`."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _key(test.operand, self_name)
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Is)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    ):
        return _key(test.left, self_name)
    return None


def _assigned(body: list[ast.stmt], self_name: str | None) -> set[Key]:
    """What the block assigns, not counting nested functions and classes."""
    found: set[Key] = set()
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        for target in targets:
            key = _key(target, self_name)
            if key is not None:
                found.add(key)
        stack.extend(ast.iter_child_nodes(node))
    return found


def is_lazy_init(node: ast.If, global_names: set[str], self_name: str | None) -> bool:
    """Whether `if x is None: x = ...` (or `if not x:`) fills a long-lived `x`."""
    key = _tested(node.test, self_name)
    if key is None or (len(key) == 1 and key[0] not in global_names):
        return False
    return key in _assigned(node.body, self_name)


_ENTER = frozenset({"__aenter__", "__enter__"})


def built_by(value: ast.expr) -> list[ast.Call]:
    """The calls whose result an assignment stores: `X()`, `await X()`, `a or X()`,
    and `X().__aenter__()`, which returns the `X()` entered."""
    # `cast`: what the `kind is ...` test above it established (see _expression)
    kind = type(value)
    if kind is ast.Call:
        call = cast("ast.Call", value)
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in _ENTER:
            return [call, *built_by(func.value)]
        return [call]
    if kind is ast.Await:
        return built_by(cast("ast.Await", value).value)
    if kind is ast.BoolOp:
        return [call for operand in cast("ast.BoolOp", value).values for call in built_by(operand)]
    if kind is ast.IfExp:
        if_exp = cast("ast.IfExp", value)
        return [*built_by(if_exp.body), *built_by(if_exp.orelse)]
    return []
