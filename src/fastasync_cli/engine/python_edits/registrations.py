"""Whether a module registers a router already, in whatever form the user wrote it.

`add endpoint` registers a router with one line, `api_router.include_router(x.router)`.
A user may have registered them in a loop of their own instead
(`for module in (items, users): api_router.include_router(module.router)`), over a
tuple or list named at the top level, with `*` unpacking or `+`. Such a registration
counts as done only when it surely runs: the call is a statement directly in the body
of a top-level `for` (no `break`, `continue` or `return` in it, the loop variable not
rebound) or a list comprehension used as a statement, its argument is the loop
variable or its `.router`, and the element names the router's module through an import
of the module's top level. Anything the reading is unsure of counts as not done: the
edit then goes on, or stops and prints the lines to add by hand, as before.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

import libcst as cst

_MAX_DEPTH = 8  # names of tuples naming tuples: deeper counts as unknown


def includes_router(module: cst.Module, receiver: str, router: str) -> bool:
    """Whether `receiver.include_router(R)` runs at the module's top level with `R`
    the object whose dotted name is `router` (`app.api.routes.users.router`)."""
    try:
        tree = ast.parse(module.code)
    except SyntaxError:
        return False
    return _Reader(tree, receiver).includes(router)


class _Reader:
    def __init__(self, tree: ast.Module, receiver: str) -> None:
        self.tree = tree
        self.receiver = receiver
        self.imports: dict[str, str] = {}
        self.values: dict[str, ast.expr] = {}
        bound: dict[str, int] = {}
        for node in tree.body:
            for name in _bindings(node):
                bound[name] = bound.get(name, 0) + 1
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname is not None:
                        self.imports[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        self.imports[top] = top
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    self.values[target.id] = node.value
            elif (
                isinstance(node, ast.AnnAssign)
                and node.value is not None
                and isinstance(node.target, ast.Name)
            ):
                self.values[node.target.id] = node.value
        # A name bound twice (imported, then reassigned) is not read at all.
        for name, count in bound.items():
            if count > 1:
                self.imports.pop(name, None)
                self.values.pop(name, None)
        for name in self.values:
            self.imports.pop(name, None)

    def includes(self, router: str) -> bool:
        for node in self.tree.body:
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                argument = self._argument(node.value)
                if argument is not None and self.qualified(argument) == router:
                    return True
            if isinstance(node, ast.For) and self._loop_includes(node, router):
                return True
            if isinstance(node, ast.Expr) and self._comprehension_includes(node.value, router):
                return True
        return False

    def _argument(self, call: ast.Call) -> ast.expr | None:
        """The router of a `receiver.include_router(...)` call, else None."""
        func = call.func
        if not (
            isinstance(func, ast.Attribute)
            and func.attr == "include_router"
            and isinstance(func.value, ast.Name)
            and func.value.id == self.receiver
        ):
            return None
        if call.args and not isinstance(call.args[0], ast.Starred):
            return call.args[0]
        return next((k.value for k in call.keywords if k.arg == "router"), None)

    def _loop_includes(self, loop: ast.For, router: str) -> bool:
        if not isinstance(loop.target, ast.Name):
            return False
        variable = loop.target.id
        for node in ast.walk(ast.Module(body=loop.body, type_ignores=[])):
            if isinstance(node, ast.Break | ast.Continue | ast.Return):
                return False
            if isinstance(node, ast.Name) and node.id == variable and not _loads(node):
                return False
        calls = [
            statement.value
            for statement in loop.body
            if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)
        ]
        return any(self._each_includes(call, variable, loop.iter, router) for call in calls)

    def _comprehension_includes(self, node: ast.expr, router: str) -> bool:
        if not isinstance(node, ast.ListComp | ast.SetComp) or len(node.generators) != 1:
            return False
        [generator] = node.generators
        if generator.ifs or generator.is_async or not isinstance(generator.target, ast.Name):
            return False
        if not isinstance(node.elt, ast.Call):
            return False
        return self._each_includes(node.elt, generator.target.id, generator.iter, router)

    def _each_includes(self, call: ast.Call, variable: str, items: ast.expr, router: str) -> bool:
        """Whether `call`, run once for each element of `items` bound to `variable`,
        includes `router`."""
        argument = self._argument(call)
        if isinstance(argument, ast.Name) and argument.id == variable:
            suffix = ""
        elif (
            isinstance(argument, ast.Attribute)
            and isinstance(argument.value, ast.Name)
            and argument.value.id == variable
        ):
            suffix = f".{argument.attr}"
        else:
            return False
        return any(self.qualified(item) + suffix == router for item in self._elements(items, 0))

    def _elements(self, node: ast.expr, depth: int) -> Iterator[ast.expr]:
        """The elements of a tuple, list or set literal, through `*` and `+` and names
        bound to one at the top level; nothing for anything else."""
        if depth > _MAX_DEPTH:
            return
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            for element in node.elts:
                if isinstance(element, ast.Starred):
                    yield from self._elements(element.value, depth + 1)
                else:
                    yield element
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            yield from self._elements(node.left, depth + 1)
            yield from self._elements(node.right, depth + 1)
        elif isinstance(node, ast.Name) and node.id in self.values:
            yield from self._elements(self.values[node.id], depth + 1)

    def qualified(self, node: ast.expr) -> str:
        """The dotted name an expression stands for through the imports, else ""."""
        if isinstance(node, ast.Name):
            return self.imports.get(node.id, "")
        if isinstance(node, ast.Attribute):
            base = self.qualified(node.value)
            return f"{base}.{node.attr}" if base else ""
        return ""


def _loads(node: ast.Name) -> bool:
    return isinstance(node.ctx, ast.Load)


def _bindings(node: ast.stmt) -> Iterator[str]:
    """The names a top-level statement binds (a loop's own variable aside)."""
    if isinstance(node, ast.Import | ast.ImportFrom):
        for alias in node.names:
            yield (alias.asname or alias.name).split(".")[0]
        return
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        yield node.name
        return
    children = node.body + node.orelse if isinstance(node, ast.For) else [node]
    for child in (n for statement in children for n in ast.walk(statement)):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store | ast.Del):
            yield child.id
