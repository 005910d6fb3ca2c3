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

Ref = tuple | None

_KEYWORDS = frozenset({"lifespan", "on_startup", "on_shutdown", "dependency"})


def to_ref(node: ast.expr | None) -> Ref:
    """The small tuple standing for an expression, or None when it is not followed."""
    kind = type(node)
    if kind is ast.Name:
        return ("n", node.id)
    if kind is ast.Attribute:
        base = to_ref(node.value)
        return ("a", base, node.attr) if base is not None else None
    if kind is ast.Call:
        func = to_ref(node.func)
        if func is None:
            return None
        # Only the arguments a rule reads: `Depends(f)`, `add_task(f, ...)`,
        # `add_event_handler("startup", f)`, `FastAPI(lifespan=...)`.
        args = tuple(to_ref(arg) for arg in node.args[:2])
        kwargs = tuple((kw.arg, to_ref(kw.value)) for kw in node.keywords if kw.arg in _KEYWORDS)
        return ("c", func, args, kwargs)
    if kind is ast.Await:
        return to_ref(node.value)
    if kind is ast.Subscript:
        base = to_ref(node.value)
        return ("s", base, to_ref(node.slice)) if base is not None else None
    if kind is ast.Constant:
        return ("k", node.value) if isinstance(node.value, str) else None
    if kind is ast.Tuple or kind is ast.List:
        return ("t", tuple(to_ref(elt) for elt in node.elts))
    if kind is ast.BinOp:
        op = type(node.op)
        if op is ast.BitOr or op is ast.Div:
            return ("o", "|" if op is ast.BitOr else "/", to_ref(node.left), to_ref(node.right))
        return None
    if kind is ast.BoolOp:
        # `client or httpx.AsyncClient()`: the last operand is what is built.
        return to_ref(node.values[-1])
    if kind is ast.IfExp:
        return to_ref(node.body)
    return None
