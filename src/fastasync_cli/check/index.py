"""One module's index: its imports, functions, classes and assignments, and every call
each function makes, read from `ast` in one pass. It holds no `ast` nodes, only the
small tuples of `refs`, so an index is cheap to keep and to compare.
"""

from __future__ import annotations

import ast
from typing import cast

from fastasync_cli.check.index_model import (
    KEPT,
    LAZY,
    LOCAL,
    SELF,
    CallSite,
    ClassIndex,
    FunctionIndex,
    ModuleIndex,
    Scope,
)
from fastasync_cli.check.noqa import read_noqa
from fastasync_cli.check.refs import Ref, to_ref
from fastasync_cli.check.rules import RULES
from fastasync_cli.check.source import char_column, decode, recursion_room, split_lines
from fastasync_cli.check.stored import built_by, is_lazy_init
from fastasync_cli.check.unparsable import (
    ENCODING_ADVICE,
    NULL_BYTES_ADVICE,
    PARSED_AS,
    TOO_COMPLEX,
    TOO_DEEP,
    TOO_DEEP_ADVICE,
    Unparsable,
    parse_or_explain,
)

# The index's data classes live in index_model; importable from here as well.
__all__ = [
    "KEPT",
    "LAZY",
    "LOCAL",
    "PARSED_AS",
    "SELF",
    "TOO_COMPLEX",
    "TOO_DEEP",
    "TOO_DEEP_ADVICE",
    "CallSite",
    "ClassIndex",
    "FunctionIndex",
    "ModuleIndex",
    "Scope",
    "index_module",
]


def index_module(source: bytes, path: str, name: str, *, is_package: bool) -> ModuleIndex:
    """The index of one module's source; a syntax error is recorded, not raised."""
    module = ModuleIndex(path=path, name=name, is_package=is_package)
    tree = parse_or_explain(source, path)
    if isinstance(tree, Unparsable):
        module.error, module.error_advice = tree.error, tree.advice
        if tree.advice not in (NULL_BYTES_ADVICE, ENCODING_ADVICE):
            # As ruff does, its directives are read (from the text, as it reads them
            # from its tokens) to warn of malformed ones; none silences FA001.
            _, _, module.noqa_problems = read_noqa(decode(source), RULES)
        return module
    text = decode(source)
    module.noqa, module.file_noqa, module.noqa_problems = read_noqa(text, RULES)
    module.lines = text.count("\n") + text.count("\r") - text.count("\r\n") + 1
    try:
        # The indexer recurses in Python alone (no C stack): room for any tree that parsed.
        with recursion_room(INDEX_RECURSION_LIMIT):
            _Indexer(module).visit(tree)
    except RecursionError:
        module.error = (1, 1, TOO_DEEP)
    if not source.isascii():
        _columns_in_characters(module, split_lines(text))
    return module


def _columns_in_characters(module: ModuleIndex, lines: list[str]) -> None:
    """`ast` counts columns in UTF-8 bytes; a line with `é` before a call was reported
    one column too far right per such character."""
    for scope in (module, *module.functions.values()):
        for call in scope.calls:
            if 0 < call.line <= len(lines):
                call.col = char_column(lines[call.line - 1], call.col)


INDEX_RECURSION_LIMIT = 20_000


class _Indexer(ast.NodeVisitor):
    def __init__(self, module: ModuleIndex) -> None:
        self.module = module
        self.scope: Scope = module
        self.function: FunctionIndex | None = None
        self.cls: ClassIndex | None = None
        self.prefix = ""
        # Call nodes whose result is stored beyond the call: id(node) -> SELF or KEPT.
        self.stored: dict[int, int] = {}
        self.lazy = False
        """Inside a lazy initialisation: every call is LAZY."""

    # Definitions

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        args = node.args
        # Decorators, defaults and annotations run where the function is defined; they
        # are where `Depends(...)` is written.
        evaluated: list[ast.expr | None] = [*node.decorator_list, *args.defaults]
        evaluated += [*args.kw_defaults, node.returns]
        evaluated += [
            arg.annotation
            for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg)
            if arg is not None
        ]
        for expr in evaluated:
            if expr is not None:
                self.visit(expr)
        qualname = f"{self.prefix}{node.name}"
        cls = self.cls
        decorators = [to_ref(d) for d in node.decorator_list]
        decorator_names = {ref[1] for ref in decorators if ref is not None and ref[0] == "n"}
        positional = [*args.posonlyargs, *args.args]
        function = FunctionIndex(
            qualname=qualname,
            name=node.name,
            line=node.lineno,
            col=node.col_offset,
            is_async=isinstance(node, ast.AsyncFunctionDef),
            owner=cls.qualname if cls is not None else None,
            parent=self.function.qualname if self.function is not None else None,
            self_name=(
                positional[0].arg
                if cls is not None and positional and "staticmethod" not in decorator_names
                else None
            ),
            is_classmethod="classmethod" in decorator_names,
            decorators=decorators,
            return_annotation=to_ref(node.returns),
            is_stub=_is_stub(node.body),
        )
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
        defaults += args.defaults
        all_args = [*zip(positional, defaults, strict=True)]
        all_args += zip(args.kwonlyargs, args.kw_defaults, strict=True)
        for arg, default in all_args:
            function.params.append((arg.arg, to_ref(arg.annotation), to_ref(default)))
        for extra in (args.vararg, args.kwarg):
            if extra is not None:
                function.params.append((extra.arg, None, None))
        self.module.functions[qualname] = function
        if cls is not None:
            cls.methods[node.name] = qualname
        else:
            self.scope.nested[node.name] = ("f", qualname)

        saved = (self.scope, self.function, self.cls, self.prefix, self.lazy)
        self.scope = self.function = function
        self.cls = None
        self.prefix = f"{qualname}.<locals>."
        self.lazy = False
        for statement in node.body:
            self.visit(statement)
        self.scope, self.function, self.cls, self.prefix, self.lazy = saved

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expr)
        qualname = f"{self.prefix}{node.name}"
        cls = ClassIndex(
            qualname=qualname,
            name=node.name,
            line=node.lineno,
            bases=[to_ref(base) for base in node.bases],
        )
        self.module.classes[qualname] = cls
        if self.cls is None:
            self.scope.nested[node.name] = ("C", qualname)
        saved = (self.cls, self.prefix)
        self.cls = cls
        self.prefix = f"{qualname}."
        for statement in node.body:
            self.visit(statement)
        self.cls, self.prefix = saved

    # Walking: statements by type, expressions with one loop (most nodes are
    # expressions, and NodeVisitor's dispatch per node is what costs).

    def visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.expr):
            self._expression(node)
            return
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is None:
            self.generic_visit(node)
        else:
            method(node)

    def generic_visit(self, node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            self.visit(child)

    def _expression(self, node: ast.expr) -> None:
        # Dispatched on the exact type (faster than isinstance on big trees); each `cast`
        # only tells mypy what the `kind is ...` test just above it established (its type
        # is a string: nothing to look up at run time).
        stack: list[ast.AST] = [node]
        calls = self.scope.calls
        while stack:
            current = stack.pop()
            kind = type(current)
            if kind is ast.Name or kind is ast.Constant:
                continue
            if kind is ast.Attribute:
                stack.append(cast("ast.Attribute", current).value)
            elif kind is ast.Call:
                call = cast("ast.Call", current)
                ref = to_ref(call)
                if ref is not None:
                    stored = LAZY if self.lazy else self.stored.get(id(call), LOCAL)
                    calls.append(CallSite(call.lineno, call.col_offset, ref, stored))
                stack.extend(kw.value for kw in call.keywords)
                stack.extend(call.args)
                stack.append(call.func)
            elif kind is ast.Lambda:
                # A lambda's body runs where the lambda is called, usually off the
                # loop (`to_thread.run_sync(lambda: ...)`): not followed.
                continue
            elif kind is ast.Yield or kind is ast.YieldFrom:
                value = cast("ast.Yield | ast.YieldFrom", current).value
                if value is not None:
                    if self.function is not None:
                        self.function.returns.append(to_ref(value))
                    stack.append(value)
            elif isinstance(current, ast.stmt):
                self.visit(current)
            else:
                stack.extend(ast.iter_child_nodes(current))

    # Bindings

    def _bind(self, target: ast.expr, value: Ref, value_node: ast.expr | None) -> None:
        kind = type(target)
        stored = LOCAL
        if kind is ast.Name:
            name = cast("ast.Name", target).id
            if self.cls is not None and self.function is None:
                self.cls.attrs.setdefault(name, []).append(value)
                stored = KEPT
            else:
                self.scope.assigns.setdefault(name, []).append(value)
                function = self.function
                if function is None or name in function.global_names:
                    stored = KEPT
        elif kind is ast.Attribute:
            attribute = cast("ast.Attribute", target)
            function = self.function
            base = attribute.value
            if (
                function is not None
                and type(base) is ast.Name
                and base.id == function.self_name
                and function.owner is not None
                and not function.is_classmethod
            ):
                cls = self.module.classes.get(function.owner)
                if cls is not None:
                    cls.self_attrs.setdefault(attribute.attr, []).append((function.qualname, value))
                stored = SELF
            else:
                stored = KEPT
        elif kind is ast.Subscript:
            stored = KEPT
        if stored != LOCAL and value_node is not None:
            for call in built_by(value_node):
                self.stored[id(call)] = max(stored, self.stored.get(id(call), LOCAL))

    def visit_Assign(self, node: ast.Assign) -> None:
        value = to_ref(node.value)
        for target in node.targets:
            self._bind(target, value, node.value)
        self.visit(node.value)
        for target in node.targets:
            if type(target) is not ast.Name:
                self.visit(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        annotation = ("ann", to_ref(node.annotation))
        if node.value is not None:
            self._bind(node.target, to_ref(node.value), node.value)
            self.visit(node.value)
        target = node.target
        if type(target) is ast.Name:
            if self.cls is not None and self.function is None:
                self.cls.attrs.setdefault(target.id, []).append(annotation)
            else:
                self.scope.assigns.setdefault(target.id, []).append(annotation)
        elif type(target) is ast.Attribute:
            self._bind(target, annotation, None)

    def visit_If(self, node: ast.If) -> None:
        function = self.function
        if self.lazy or function is None:
            self.generic_visit(node)
            return
        self.visit(node.test)
        self.lazy = is_lazy_init(node, function.global_names, function.self_name)
        for statement in node.body:
            self.visit(statement)
        self.lazy = False
        for statement in node.orelse:
            self.visit(statement)

    def _with(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            if item.optional_vars is not None and type(item.optional_vars) is ast.Name:
                self.scope.assigns.setdefault(item.optional_vars.id, []).append(
                    to_ref(item.context_expr)
                )
            self.visit(item.context_expr)
        for statement in node.body:
            self.visit(statement)

    visit_With = _with
    visit_AsyncWith = _with

    def _global(self, node: ast.Global | ast.Nonlocal) -> None:
        if self.function is not None:
            self.function.global_names.update(node.names)

    visit_Global = _global
    visit_Nonlocal = _global

    def visit_Return(self, node: ast.Return) -> None:
        if node.value is not None:
            if self.function is not None:
                self.function.returns.append(to_ref(node.value))
            self.visit(node.value)

    # Imports

    def visit_Import(self, node: ast.Import) -> None:
        imports = self.scope.imports
        for alias in node.names:
            if alias.asname:
                imports[alias.asname] = alias.name
            else:
                top = alias.name.split(".", 1)[0]
                imports[top] = top

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            package = self.module.name.split(".")
            if not self.module.is_package:
                package = package[:-1]
            if node.level > 1:
                package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, *([base] if base else [])])
        for alias in node.names:
            if alias.name == "*":
                self.module.star_imports.append(base)
                continue
            target = f"{base}.{alias.name}" if base else alias.name
            self.scope.imports[alias.asname or alias.name] = target


def _is_stub(body: list[ast.stmt]) -> bool:
    """An abstract method or a protocol's: a docstring, `...`, `pass` or a raise only."""
    for statement in body:
        kind = type(statement)
        if kind is ast.Pass or kind is ast.Raise:
            continue
        if kind is ast.Expr and type(cast("ast.Expr", statement).value) is ast.Constant:
            continue
        return False
    return True
