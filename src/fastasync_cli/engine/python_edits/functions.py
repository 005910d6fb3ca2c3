"""Edits inside functions: a statement before the lifespan's `yield`, a parameter, a
parameter's annotation, a route's path, a replaced statement, keywords of a call.
Each adds or replaces its own nodes only."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import libcst as cst

from fastasync_cli.engine.python_edits.reach import present_before
from fastasync_cli.engine.python_edits.sequences import append_item
from fastasync_cli.engine.python_edits.syntax import (
    AnchorMissing,
    block_statements,
    code,
    dotted,
    module_contains,
    same_code_key,
    statement_code,
)


class _Rename(cst.CSTTransformer):
    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        return updated.with_changes(value=self.names.get(updated.value, updated.value))


def _renamed(statement: str, names: dict[str, str]) -> cst.BaseStatement:
    parsed = cst.parse_statement(statement + "\n")
    if any(old != new for old, new in names.items()):
        parsed = parsed.visit(_Rename(names))  # type: ignore[assignment]
    return parsed


class _YieldFinder(cst.CSTVisitor):
    """Inside `function`: the `yield NAME` statement, and the name bound by the
    `async with AsyncExitStack() as NAME` around it."""

    def __init__(self, function: str) -> None:
        self.function = function
        self.depth = 0
        self.stacks: list[str | None] = []
        self.state: str | None = None
        self.stack: str | None = None
        self.yields = 0  # every `yield` in the function, wherever it is

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.name.value == self.function:
            self.depth += 1

    def leave_FunctionDef(self, original: cst.FunctionDef) -> None:
        if original.name.value == self.function:
            self.depth -= 1

    def visit_Yield(self, node: cst.Yield) -> None:
        if self.depth:
            self.yields += 1

    def visit_With(self, node: cst.With) -> None:
        bound = None
        for item in node.items:
            call = item.item
            if (
                isinstance(call, cst.Call)
                and dotted(call.func).split(".")[-1] == "AsyncExitStack"
                and item.asname is not None
                and isinstance(item.asname.name, cst.Name)
            ):
                bound = item.asname.name.value
        self.stacks.append(bound)

    def leave_With(self, original: cst.With) -> None:
        self.stacks.pop()

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        if not self.depth or self.state is not None or len(node.body) != 1:
            return
        expression = node.body[0]
        if (
            isinstance(expression, cst.Expr)
            and isinstance(expression.value, cst.Yield)
            and isinstance(expression.value.value, cst.Name)
        ):
            self.state = expression.value.value.value
            self.stack = next((name for name in reversed(self.stacks) if name), None)


class _InsertBeforeYield(cst.CSTTransformer):
    def __init__(self, function: str, state: str, statement: cst.BaseStatement) -> None:
        self.function = function
        self.state = state
        self.statement = statement
        self.depth = 0
        self.done = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.name.value == self.function:
            self.depth += 1

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        if original.name.value == self.function:
            self.depth -= 1
        return updated

    def _is_yield(self, statement: cst.BaseStatement) -> bool:
        return statement_code(statement) == same_code_key(f"yield {self.state}")

    def leave_IndentedBlock(
        self, original: cst.IndentedBlock, updated: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        if not self.depth or self.done:
            return updated
        body = list(updated.body)
        for index, statement in enumerate(body):
            if self._is_yield(statement):
                self.done = True
                body.insert(index, self.statement)
                return updated.with_changes(body=body)
        return updated


def ensure_statement_before_yield(
    module: cst.Module, function: str, statement: str, *, state: str = "state", stack: str = "stack"
) -> cst.Module:
    """Insert `statement` just before the `yield` of the generator `function`.

    `statement` is written with the names `state` (what is yielded) and `stack` (the
    `AsyncExitStack` around the yield); they are renamed to the names the user's
    function binds, so a user who calls them otherwise gets working code.
    """
    finder = _YieldFinder(function)
    module.visit(finder)
    if finder.state is None:
        raise AnchorMissing(f"`yield {state}` inside `{function}`")
    if finder.yields > 1:
        # One yield per branch (`if ...: yield state else: yield state`): a resource
        # opened before the first only would be missing from the others.
        raise AnchorMissing(
            f"a single `yield {finder.state}` inside `{function}` (it has {finder.yields})"
        )
    names = {state: finder.state}
    uses_stack = stack in {n.value for n in _names(statement)}
    if uses_stack and finder.stack is not None:
        names[stack] = finder.stack
    new = _renamed(statement, names)
    # Done only where it runs before the yield: in the lifespan or a helper it calls
    # (which may name the state as the template does). The same line in another
    # function of the file left the lifespan without it.
    yielded = same_code_key(f"yield {finder.state}")
    if present_before(
        module, function, lambda s: statement_code(s) == yielded, [code(new), statement]
    ):
        return module
    if uses_stack and finder.stack is None:
        raise AnchorMissing(
            f"an `async with AsyncExitStack() as {stack}:` around the yield in `{function}`"
        )
    transformer = _InsertBeforeYield(function, finder.state, new)
    return module.visit(transformer)


def _names(statement: str) -> list[cst.Name]:
    found: list[cst.Name] = []

    class Collect(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            found.append(node)

    cst.parse_statement(statement + "\n").visit(Collect())
    return found


# --- function signatures and bodies ------------------------------------------------


class _FunctionTransformer(cst.CSTTransformer):
    """Applies `edit(node)` to every function named `function`, at any depth."""

    def __init__(self, function: str, edit: Callable[[cst.FunctionDef], cst.FunctionDef]) -> None:
        self.function = function
        self.edit = edit
        self.found = False

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        if original.name.value != self.function:
            return updated
        self.found = True
        return self.edit(updated)


def _edit_function(
    module: cst.Module, function: str, edit: Callable[[cst.FunctionDef], cst.FunctionDef]
) -> cst.Module:
    transformer = _FunctionTransformer(function, edit)
    updated = module.visit(transformer)
    if not transformer.found:
        raise AnchorMissing(f"a function `{function}`")
    return updated


def ensure_parameter(module: cst.Module, function: str, parameter: str) -> cst.Module:
    """Append the parameter `parameter` (e.g. `jobs: JobsDep`) to `function`.

    The other parameters, their comments and line breaks stay as they are. A
    parameter of that name anywhere in the signature (keyword-only too) counts as
    done; a signature with `*`, `*args`, `**kwargs` or defaults is left to the user.
    """
    name = parameter.split(":", 1)[0].split("=", 1)[0].strip()

    def edit(node: cst.FunctionDef) -> cst.FunctionDef:
        params = node.params
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        if any(param.name.value == name for param in every):
            return node
        if (
            params.posonly_params
            or params.kwonly_params
            or not isinstance(params.star_arg, cst.MaybeSentinel)
            or params.star_kwarg is not None
            or any(param.default is not None for param in params.params)
        ):
            raise AnchorMissing(f"a plain parameter list in `{node.name.value}`")
        parsed = cst.parse_statement(f"def f({parameter}): pass\n")
        assert isinstance(parsed, cst.FunctionDef)
        new, _ = append_item(
            list(params.params), parsed.params.params[0], node.whitespace_before_params
        )
        return node.with_changes(params=params.with_changes(params=new))

    return _edit_function(module, function, edit)


def ensure_parameter_annotation(
    module: cst.Module, function: str, parameter: str, old: str, new: str
) -> cst.Module:
    """`parameter: old` in `function`'s signature becomes `parameter: new`; already
    `new`, nothing changes; annotated otherwise, or missing, it is left to the user."""

    def edit(node: cst.FunctionDef) -> cst.FunctionDef:
        params = node.params
        for param in [*params.posonly_params, *params.params, *params.kwonly_params]:
            if param.name.value != parameter or param.annotation is None:
                continue
            annotation = code(param.annotation.annotation)
            if annotation == new:
                return node
            if annotation != old:
                break
            replaced = param.with_changes(
                annotation=param.annotation.with_changes(annotation=cst.parse_expression(new))
            )
            return node.with_changes(
                params=params.with_changes(
                    **{
                        group: [replaced if p is param else p for p in getattr(params, group)]
                        for group in ("posonly_params", "params", "kwonly_params")
                    }
                )
            )
        raise AnchorMissing(f"`{parameter}: {old}` in `{node.name.value}`")

    return _edit_function(module, function, edit)


def ensure_route_path(module: cst.Module, function: str, old: str, new: str) -> cst.Module:
    """The path of `function`'s route (`@router.get("/{job_id}", ...)`, its first
    argument) becomes `new` where it is `old`; already `new`, nothing changes."""

    def edit(node: cst.FunctionDef) -> cst.FunctionDef:
        for index, decorator in enumerate(node.decorators):
            call = decorator.decorator
            if not isinstance(call, cst.Call) or not call.args:
                continue
            first = call.args[0]
            if first.keyword is not None or not isinstance(first.value, cst.SimpleString):
                continue
            path = first.value.evaluated_value
            if path == new:
                return node
            if path == old:
                quote = first.value.quote
                string = first.value.with_changes(value=f"{first.value.prefix}{quote}{new}{quote}")
                args = [first.with_changes(value=string), *call.args[1:]]
                decorators = list(node.decorators)
                decorators[index] = decorator.with_changes(decorator=call.with_changes(args=args))
                return node.with_changes(decorators=decorators)
        raise AnchorMissing(f"the route path {old!r} of `{node.name.value}`")

    return _edit_function(module, function, edit)


def ensure_statement_replaced(module: cst.Module, function: str, old: str, new: str) -> cst.Module:
    """Replace the statement `old` in the body of `function` with `new` (once)."""
    anchor = same_code_key(old)

    def edit(node: cst.FunctionDef) -> cst.FunctionDef:
        if module_contains(node, new):
            return node
        missing = AnchorMissing(f"`{old}` inside `{node.name.value}`")
        if not isinstance(node.body, cst.IndentedBlock):
            raise missing  # a one-line `def f(): x = 1`
        body = block_statements(node.body)
        for index, statement in enumerate(body):
            if statement_code(statement) == anchor and isinstance(
                statement, cst.SimpleStatementLine
            ):
                replacement = cst.parse_statement(new + "\n")
                body[index] = replacement.with_changes(
                    leading_lines=statement.leading_lines,
                    trailing_whitespace=statement.trailing_whitespace,
                )
                return node.with_changes(body=node.body.with_changes(body=body))
        raise missing

    return _edit_function(module, function, edit)


class _CallKeywords(cst.CSTTransformer):
    def __init__(self, callee: str, keywords: Sequence[tuple[str, str]]) -> None:
        self.callee = callee
        self.keywords = keywords
        self.found = False

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if self.found or dotted(updated.func) != self.callee:
            return updated
        self.found = True
        present = {arg.keyword.value for arg in updated.args if arg.keyword is not None}
        missing = [(key, value) for key, value in self.keywords if key not in present]
        if not missing:
            return updated
        args = list(updated.args)
        opening = updated.whitespace_before_args
        if not isinstance(opening, cst.ParenthesizedWhitespace):
            # One a line, as ruff lays out a call this long (magic trailing comma).
            texts = [
                code(arg.with_changes(comma=cst.MaybeSentinel.DEFAULT)).strip() for arg in args
            ]
            texts += [f"{key}={value}" for key, value in missing]
            members = "".join(f"    {text},\n" for text in texts)
            parsed = cst.parse_expression(f"{code(updated.func)}(\n{members})")
            assert isinstance(parsed, cst.Call)
            return updated.with_changes(
                args=parsed.args, whitespace_before_args=parsed.whitespace_before_args
            )
        for key, value in missing:
            new = cst.Arg(
                keyword=cst.Name(key),
                value=cst.parse_expression(value),
                equal=cst.AssignEqual(
                    whitespace_before=cst.SimpleWhitespace(""),
                    whitespace_after=cst.SimpleWhitespace(""),
                ),
            )
            args, _ = append_item(args, new, opening)
        return updated.with_changes(args=args)


def ensure_call_keywords(
    module: cst.Module, function: str, callee: str, keywords: Sequence[tuple[str, str]]
) -> cst.Module:
    """Add `key=value` arguments to the first call of `callee` inside `function`.

    Keywords the call already passes are left as they are.
    """

    def edit(node: cst.FunctionDef) -> cst.FunctionDef:
        transformer = _CallKeywords(callee, keywords)
        updated = node.visit(transformer)
        if not transformer.found:
            raise AnchorMissing(f"a `{callee}(...)` call inside `{node.name.value}`")
        assert isinstance(updated, cst.FunctionDef)
        return updated

    return _edit_function(module, function, edit)
