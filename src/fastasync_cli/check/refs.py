"""Expressions as small tuples ("refs"), the form the index keeps them in:

("n", name)                    a name
("a", base, attr)              base.attr
("c", func, args, kwargs)      a call; its first two arguments, and the keyword
                               arguments rules read, as ((name, ref), ...)
("s", base, index)             base[index]
("t", (ref, ...))              a tuple or list
("k", "text")                  a string constant (string annotations, event names)
("o", "|" or "/", left, right) a `|` union or a `/` path join
("ann", ref)                   an instance of the type `ref` (from an annotation)
"""

from __future__ import annotations

import ast
import functools
from typing import Any, cast

from fastasync_cli.check.source import python_room

Ref = tuple[Any, ...] | None

_KEYWORDS = frozenset({"lifespan", "on_startup", "on_shutdown", "dependency"})


def to_ref(node: ast.expr | None) -> Ref:
    """The small tuple standing for an expression, or None when it is not followed."""
    # Dispatched on the exact type, which is faster than isinstance on big trees; each
    # `cast` only tells mypy what the `kind is ...` test just above it established (its
    # type is a string: nothing to look up at run time).
    kind = type(node)
    if kind is ast.Name:
        return ("n", cast("ast.Name", node).id)
    if kind is ast.Attribute:
        attribute = cast("ast.Attribute", node)
        base = to_ref(attribute.value)
        return ("a", base, attribute.attr) if base is not None else None
    if kind is ast.Call:
        call = cast("ast.Call", node)
        func = to_ref(call.func)
        if func is None:
            return None
        # Only the arguments a rule reads: `Depends(f)`, `add_task(f, ...)`,
        # `add_event_handler("startup", f)`, `FastAPI(lifespan=...)`.
        args = tuple(to_ref(arg) for arg in call.args[:2])
        kwargs = tuple((kw.arg, to_ref(kw.value)) for kw in call.keywords if kw.arg in _KEYWORDS)
        return ("c", func, args, kwargs)
    if kind is ast.Await:
        return to_ref(cast("ast.Await", node).value)
    if kind is ast.Subscript:
        subscript = cast("ast.Subscript", node)
        base = to_ref(subscript.value)
        return ("s", base, to_ref(subscript.slice)) if base is not None else None
    if kind is ast.Constant:
        value = cast("ast.Constant", node).value
        return ("k", value) if isinstance(value, str) else None
    if kind is ast.Tuple or kind is ast.List:
        return ("t", tuple(to_ref(elt) for elt in cast("ast.Tuple | ast.List", node).elts))
    if kind is ast.BinOp:
        binop = cast("ast.BinOp", node)
        op = type(binop.op)
        if op is ast.BitOr or op is ast.Div:
            return ("o", "|" if op is ast.BitOr else "/", to_ref(binop.left), to_ref(binop.right))
        return None
    if kind is ast.BoolOp:
        # `client or httpx.AsyncClient()`: the last operand is what is built.
        return to_ref(cast("ast.BoolOp", node).values[-1])
    if kind is ast.IfExp:
        return to_ref(cast("ast.IfExp", node).body)
    return None


@functools.lru_cache(maxsize=4096)
def parse_annotation(text: str) -> Ref:
    """A string annotation (`"Session | None"`) as a ref; None for one Python cannot
    parse: a syntax error, a null character, or nesting deeper than its parser goes
    (a MemoryError on Python 3.11, an "Unexpected MemoryError" here)."""
    try:
        # Parsed with the room Python has, not the analysis's (see source.parse).
        with python_room():
            tree = ast.parse(text, mode="eval")
        return to_ref(tree.body)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


_PROPERTIES = frozenset({"property", "cached_property"})


def is_property(decorators: list[Ref]) -> bool:
    """`@property`, `@functools.cached_property` (or `@cached_property`)."""
    for ref in decorators:
        if ref is not None and (
            (ref[0] == "n" and ref[1] in _PROPERTIES)
            or (ref[0] == "a" and ref[2] == "cached_property")
        ):
            return True
    return False


def generic_base(base: Ref) -> Ref:
    """The class of a base: `CRUDBase` of `CRUDBase[User, UserCreate]`, a generic's
    parametrisation (its methods were not found on the subclass)."""
    while base is not None and base[0] == "s":
        base = base[1]
    return base
