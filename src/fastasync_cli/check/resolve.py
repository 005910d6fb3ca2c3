"""What names and expressions are, across the modules of the analysed code: a light
inference over the index, memoised, that never runs or imports the code.

Values are tuples:

    ("ext", "requests.get")          something outside the analysed code
    ("inst", "requests.Session")     an instance of an outside type
    ("meth", "requests.Session", "get")  a method of such an instance
    ("mod", path)                    a module of the analysed code
    ("func", path, qualname)         one of its functions (or a bound method)
    ("class", path, qualname)        one of its classes
    ("obj", path, qualname)          an instance of one of its classes
    ("task", path, qualname, attr)   `task.delay` on a Celery task function
    ("alias", value)                 a type alias: `SessionDep = Annotated[Session, ...]`
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any, cast

from fastasync_cli.check import calls
from fastasync_cli.check.index import ClassIndex, FunctionIndex, ModuleIndex
from fastasync_cli.check.refs import Ref, generic_base, is_property, parse_annotation
from fastasync_cli.check.steps import Memo, Request, Step

Value = tuple[Any, ...] | None
FunctionId = tuple[str, str]

_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | {"builtins"}
_BUILTINS = {"open": "builtins.open", "input": "builtins.input"}
_TYPE_WRAPPERS = {
    "typing.Annotated",
    "typing_extensions.Annotated",
    "typing.Optional",
    "typing.Union",
    "typing_extensions.Optional",
}
_ITERATORS = {
    f"{module}.{name}"
    for module in ("typing", "collections.abc")
    for name in ("Iterator", "Generator", "AsyncIterator", "AsyncGenerator", "Iterable")
}
_DEPENDS = {"fastapi.Depends", "fastapi.params.Depends", "fastapi.Security"}
_TASK_ATTRS = {"delay", "apply_async", "s", "si", "signature"}


class Resolver:
    """Every module of the analysed code, with names resolved between them.

    Each `_name` method below is a step (see `steps`): where it needs another value it
    yields the request (`_value_of`, `_returns_of`, ...) or the step, and is sent the
    result. The public methods run a step to its end.
    """

    def __init__(self, modules: list[ModuleIndex], names: dict[str, str]) -> None:
        self.modules = {module.path: module for module in modules}
        self.names = names
        """Dotted module name -> module path, for every name a module can be imported by."""
        self._memo = Memo()

    def functions(self) -> Iterator[tuple[FunctionId, FunctionIndex]]:
        for path, module in self.modules.items():
            for qualname, function in module.functions.items():
                yield (path, qualname), function

    def function(self, fid: FunctionId) -> FunctionIndex:
        return self.modules[fid[0]].functions[fid[1]]

    # What the analysis asks

    def value(self, ref: Ref, scope: tuple[str, str | None]) -> Value:
        """What `ref`, written in `scope` (module path, function qualname), is."""
        return cast(Value, self._memo.run(self._value_of(ref, scope)))

    def decorator_names(self, fid: FunctionId) -> list[str]:
        """The outside names a function's decorators resolve to (`functools.cache`)."""
        return cast("list[str]", self._memo.run(self._decorator_names(fid)))

    def method(self, cid: tuple[str, str], name: str) -> FunctionId | None:
        """Where class `cid` (or its nearest base in the analysed code) defines `name`."""
        for path, cls in self.mro(cid):
            if name in cls.methods:
                return (path, cls.methods[name])
        return None

    def mro(self, cid: tuple[str, str]) -> list[tuple[str, ClassIndex]]:
        """The class and its bases in the analysed code, nearest first."""
        return cast("list[tuple[str, ClassIndex]]", self._memo.run(self._mro_of(cid)))

    def outside_bases(self, cid: tuple[str, str]) -> list[str]:
        """The outside classes among the bases of `cid` and of its bases."""
        return cast("list[str]", self._memo.run(self._outside_bases(cid)))

    # Requests: the steps that are kept, by key

    def _value_of(self, ref: Ref, scope: tuple[str, str | None]) -> Request:
        return ("v", scope[0], scope[1], ref), self._value, (ref, scope)

    def _returns_of(self, fid: FunctionId) -> Request:
        return ("r", fid), self._returns, (fid,)

    def _dotted_of(self, name: str) -> Request:
        return ("d", name), self._dotted, (name,)

    def _module_attr_of(self, path: str, attr: str) -> Request:
        return ("m", path, attr), self._module_attr, (path, attr)

    def _mro_of(self, cid: tuple[str, str]) -> Request:
        return ("mro", cid), self._mro, (cid,)

    # Steps

    def _decorator_names(self, fid: FunctionId) -> Step:
        function = self.function(fid)
        scope = (fid[0], function.parent)
        names = []
        for ref in function.decorators:
            if ref is not None and ref[0] == "c":
                ref = ref[1]
            value = yield self._value_of(ref, scope)
            if value is not None and value[0] == "ext":
                names.append(value[1])
            elif value is not None and value[0] == "meth":
                names.append(f"{value[1]}.{value[2]}")
        return names

    def _value(self, ref: Ref, scope: tuple[str, str | None]) -> Step:
        if ref is None:
            return None
        kind = ref[0]
        if kind == "n":
            return (yield self._lookup(ref[1], scope))
        if kind == "a":
            base = yield self._value_of(ref[1], scope)
            return (yield self._attribute(base, ref[2]))
        if kind == "c":
            return (yield self._call_result(ref, scope))
        if kind == "ann":
            return (yield self._instance(ref[1], scope))
        if kind == "s":
            base = yield self._value_of(ref[1], scope)
            if base is not None and base[0] == "ext" and base[1] in _TYPE_WRAPPERS:
                return ("alias", (yield self._instance(ref, scope)))
            return None
        if kind == "o":
            if ref[1] == "|":
                return ("alias", (yield self._instance(ref, scope)))
            left = yield self._value_of(ref[2], scope)
            is_path = left is not None and left[0] in ("inst", "meth") and left[1] == "pathlib.Path"
            return ("inst", "pathlib.Path") if is_path else None
        return None

    def _lookup(self, name: str, scope: tuple[str, str | None]) -> Step:
        path, qualname = scope
        module = self.modules[path]
        while qualname is not None:
            function = module.functions[qualname]
            for param, annotation, default in function.params:
                if param != name:
                    continue
                if param == function.self_name:
                    kind = "class" if function.is_classmethod else "obj"
                    return (kind, path, function.owner)
                if annotation is not None:
                    return (yield self._instance(annotation, (path, qualname)))
                return (yield self._dependency(default, (path, qualname)))
            found = yield self._scope_lookup(function, name, (path, qualname))
            if found is not None:
                return found
            qualname = function.parent
        found = yield self._scope_lookup(module, name, (path, None))
        if found is not None:
            return found
        for star in module.star_imports:
            target = yield self._dotted_of(f"{star}.{name}")
            if target is not None and target[0] != "ext":
                return target
        builtin = _BUILTINS.get(name)
        return ("ext", builtin) if builtin else None

    def _scope_lookup(
        self, scope: FunctionIndex | ModuleIndex, name: str, where: tuple[str, str | None]
    ) -> Step:
        nested = scope.nested.get(name)
        if nested is not None:
            return ("func" if nested[0] == "f" else "class", where[0], nested[1])
        imported = scope.imports.get(name)
        if imported is not None:
            # Modules may import each other's names in a cycle: `Memo` cuts it.
            return (yield self._dotted_of(imported))
        for assigned in scope.assigns.get(name, ()):
            value = yield self._value_of(assigned, where)
            if value is not None:
                return value
        return None

    def _dotted(self, name: str) -> Step:
        """An absolute dotted name: a module of the analysed code, something in one, or
        something outside."""
        parts = name.split(".")
        if parts[0] not in calls.EXTERNAL_TOP_LEVEL and parts[0] not in _STDLIB:
            for end in range(len(parts), 0, -1):
                path = self.names.get(".".join(parts[:end]))
                if path is not None:
                    value: Value = ("mod", path)
                    for part in parts[end:]:
                        value = yield self._attribute(value, part)
                    return value
        return ("ext", calls.ALIASES.get(name, name))

    def _module_attr(self, path: str, attr: str) -> Step:
        module = self.modules[path]
        found = yield self._scope_lookup(module, attr, (path, None))
        if found is None and module.is_package:
            submodule = self.names.get(f"{module.name}.{attr}")
            if submodule is not None:
                return ("mod", submodule)
        if found is None:
            # Re-exported by `from .base import *` (a package's __init__.py): what
            # `from package import Name` elsewhere gets.
            for star in module.star_imports:
                target = yield self._dotted_of(f"{star}.{attr}")
                if target is not None and target[0] != "ext":
                    return target
        return found

    def _attribute(self, value: Value, attr: str) -> Step:
        if value is None:
            return None
        kind = value[0]
        if kind == "ext":
            if attr == "objects" and value[1].startswith("django."):
                return ("inst", "django.db.models.Manager")
            name = f"{value[1]}.{attr}"
            return ("ext", calls.ALIASES.get(name, name))
        if kind == "inst":
            return ("meth", value[1], attr)
        if kind == "meth":
            # `mongo.db.users`, `path.parent`: still the same family of objects.
            return ("meth", value[1], attr) if value[1] in calls.STICKY else None
        if kind == "mod":
            return (yield self._module_attr_of(value[1], attr))
        if kind == "func":
            if attr in _TASK_ATTRS:
                names = yield self._decorator_names((value[1], value[2]))
                if any(name in calls.CELERY_TASK_DECORATORS for name in names):
                    return ("task", value[1], value[2], attr)
            return None
        if kind in ("class", "obj"):
            return (yield self._member((value[1], value[2]), attr, instance=kind == "obj"))
        return None

    def _member(self, cid: tuple[str, str], attr: str, *, instance: bool) -> Step:
        for path, cls in (yield self._mro_of(cid)):
            if attr in cls.methods:
                method = (path, cls.methods[attr])
                if instance and is_property(self.function(method).decorators):
                    # `self.repos.users.get(...)`: what the property returns.
                    return (yield self._returns_of(method))
                return ("func", *method)
            if instance:
                for method, assigned in cls.self_attrs.get(attr, ()):
                    found = yield self._value_of(assigned, (path, method))
                    if found is not None:
                        return found
            for assigned in cls.attrs.get(attr, ()):
                scope = (path, None)
                found = yield (
                    self._instance(assigned[1], scope)
                    if assigned is not None and assigned[0] == "ann" and instance
                    else self._value_of(assigned, scope)
                )
                if found is not None:
                    return found
        for base in (yield self._outside_bases(cid)):
            if attr == "objects" and base == "django.db.models.Model":
                return ("inst", "django.db.models.Manager")
            if instance:
                return ("meth", base, attr)
        return None

    def _mro(self, cid: tuple[str, str]) -> Step:
        found = []
        seen = set()
        todo = [cid]
        while todo:
            current = todo.pop(0)
            if current in seen:
                continue
            seen.add(current)
            cls = self.modules[current[0]].classes.get(current[1])
            if cls is None:
                continue
            found.append((current[0], cls))
            scope = (current[0], None)
            for base in cls.bases:
                value = yield self._value_of(generic_base(base), scope)
                if value is not None and value[0] == "class":
                    todo.append((value[1], value[2]))
        return found

    def _outside_bases(self, cid: tuple[str, str]) -> Step:
        names = []
        for path, cls in (yield self._mro_of(cid)):
            for base in cls.bases:
                value = yield self._value_of(generic_base(base), (path, None))
                if value is not None and value[0] == "ext":
                    names.append(value[1])
        return names

    def _instance(self, annotation: Ref, scope: tuple[str, str | None]) -> Step:
        """An instance of the type an annotation names."""
        if annotation is None:
            return None
        kind = annotation[0]
        if kind == "k":
            return (yield self._instance(parse_annotation(annotation[1]), scope))
        if kind == "o" and annotation[1] == "|":
            left = yield self._instance(annotation[2], scope)
            return left or (yield self._instance(annotation[3], scope))
        if kind == "s":
            base = yield self._value_of(annotation[1], scope)
            inner = annotation[2]
            items = inner[1] if inner is not None and inner[0] == "t" else (inner,)
            if (
                base is not None
                and base[0] == "ext"
                and (base[1] in _TYPE_WRAPPERS or base[1] in _ITERATORS)
            ):
                for item in items:
                    found = yield self._instance(item, scope)
                    if found is not None:
                        return found
            return None
        value = yield self._value_of(annotation, scope)
        if value is None:
            return None
        if value[0] == "class":
            return ("obj", value[1], value[2])
        if value[0] == "ext":
            return ("inst", value[1])
        if value[0] == "alias":
            # ("alias", value): what `_value` stores is the instance, itself a Value
            return value[1]
        return None

    def _call_result(self, ref: tuple[Any, ...], scope: tuple[str, str | None]) -> Step:
        func = yield self._value_of(ref[1], scope)
        if func is None:
            return None
        kind = func[0]
        if kind == "func":
            return (yield self._returns_of((func[1], func[2])))
        if kind == "class":
            return ("obj", func[1], func[2])
        if kind == "ext":
            if func[1] in _DEPENDS:
                return (yield self._dependency(ref, scope))
            return ("inst", calls.RETURNS.get(func[1], func[1]))
        if kind == "inst":
            returned = calls.RETURNS.get(f"{func[1]}.__call__")
            return ("inst", returned) if returned else None
        if kind == "meth":
            name = f"{func[1]}.{func[2]}"
            returned = calls.RETURNS.get(name)
            if returned:
                return ("inst", returned)
            return ("inst", func[1]) if func[1] in calls.STICKY else None
        if kind == "task":
            return ("inst", calls.RETURNS.get(f"celery.Task.{func[3]}", "celery.Task"))
        return None

    def _dependency(self, default: Ref, scope: tuple[str, str | None]) -> Step:
        """A parameter's value from its default: `= Depends(get_db)` is what get_db gives."""
        if default is None or default[0] != "c":
            return None
        func = yield self._value_of(default[1], scope)
        if func is None or func[0] != "ext" or func[1] not in _DEPENDS:
            return None
        argument = default[2][0] if default[2] else dict(default[3]).get("dependency")
        target = yield self._value_of(argument, scope)
        if target is None:
            return None
        if target[0] == "func":
            return (yield self._returns_of((target[1], target[2])))
        if target[0] == "class":
            return ("obj", target[1], target[2])
        return None

    def _returns(self, fid: FunctionId) -> Step:
        """What calling a function gives (what it yields, for a generator)."""
        function = self.function(fid)
        scope = (fid[0], fid[1])
        result = yield self._instance(function.return_annotation, (fid[0], function.parent))
        if result is None:
            for returned in function.returns:
                result = yield self._value_of(returned, scope)
                if result is not None:
                    break
        return result
