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

import ast
import functools
import sys
from collections.abc import Iterator
from typing import Any, cast

from fastasync_cli.check import calls
from fastasync_cli.check.index import ClassIndex, FunctionIndex, ModuleIndex
from fastasync_cli.check.refs import Ref, to_ref

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
    """Every module of the analysed code, with names resolved between them."""

    def __init__(self, modules: list[ModuleIndex], names: dict[str, str]) -> None:
        self.modules = {module.path: module for module in modules}
        self.names = names
        """Dotted module name -> module path, for every name a module can be imported by."""
        self._values: dict[tuple[str, str | None, Ref], Value] = {}
        self._returns: dict[FunctionId, Value] = {}
        self._active: set[object] = set()
        self._mros: dict[tuple[str, str], list[tuple[str, ClassIndex]]] = {}

    def functions(self) -> Iterator[tuple[FunctionId, FunctionIndex]]:
        for path, module in self.modules.items():
            for qualname, function in module.functions.items():
                yield (path, qualname), function

    def function(self, fid: FunctionId) -> FunctionIndex:
        return self.modules[fid[0]].functions[fid[1]]

    def decorator_names(self, fid: FunctionId) -> list[str]:
        """The outside names a function's decorators resolve to (`functools.cache`)."""
        function = self.function(fid)
        scope = (fid[0], function.parent)
        names = []
        for ref in function.decorators:
            if ref is not None and ref[0] == "c":
                ref = ref[1]
            value = self.value(ref, scope)
            if value is not None and value[0] == "ext":
                names.append(value[1])
            elif value is not None and value[0] == "meth":
                names.append(f"{value[1]}.{value[2]}")
        return names

    def value(self, ref: Ref, scope: tuple[str, str | None]) -> Value:
        """What `ref`, written in `scope` (module path, function qualname), is."""
        if ref is None:
            return None
        key = (scope[0], scope[1], ref)
        if key in self._values:
            return self._values[key]
        if key in self._active:
            return None
        self._active.add(key)
        try:
            result = self._value(ref, scope)
        finally:
            self._active.discard(key)
        self._values[key] = result
        return result

    def _value(self, ref: tuple[Any, ...], scope: tuple[str, str | None]) -> Value:
        kind = ref[0]
        if kind == "n":
            return self.lookup(ref[1], scope)
        if kind == "a":
            return self.attribute(self.value(ref[1], scope), ref[2])
        if kind == "c":
            return self._call_result(ref, scope)
        if kind == "ann":
            return self.instance(ref[1], scope)
        if kind == "s":
            base = self.value(ref[1], scope)
            if base is not None and base[0] == "ext" and base[1] in _TYPE_WRAPPERS:
                return ("alias", self.instance(ref, scope))
            return None
        if kind == "o":
            if ref[1] == "|":
                return ("alias", self.instance(ref, scope))
            left = self.value(ref[2], scope)
            is_path = left is not None and left[0] in ("inst", "meth") and left[1] == "pathlib.Path"
            return ("inst", "pathlib.Path") if is_path else None
        return None

    def lookup(self, name: str, scope: tuple[str, str | None]) -> Value:
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
                    return self.instance(annotation, (path, qualname))
                return self._dependency(default, (path, qualname))
            found = self._scope_lookup(function, name, (path, qualname))
            if found is not None:
                return found
            qualname = function.parent
        found = self._scope_lookup(module, name, (path, None))
        if found is not None:
            return found
        for star in module.star_imports:
            target = self.dotted(f"{star}.{name}")
            if target is not None and target[0] != "ext":
                return target
        builtin = _BUILTINS.get(name)
        return ("ext", builtin) if builtin else None

    def _scope_lookup(
        self, scope: FunctionIndex | ModuleIndex, name: str, where: tuple[str, str | None]
    ) -> Value:
        nested = scope.nested.get(name)
        if nested is not None:
            return ("func" if nested[0] == "f" else "class", where[0], nested[1])
        imported = scope.imports.get(name)
        if imported is not None:
            # Modules may import each other's names in a cycle.
            key = ("import", imported)
            if key in self._active:
                return None
            self._active.add(key)
            try:
                return self.dotted(imported)
            finally:
                self._active.discard(key)
        for assigned in scope.assigns.get(name, ()):
            value = self.value(assigned, where)
            if value is not None:
                return value
        return None

    def dotted(self, name: str) -> Value:
        """An absolute dotted name: a module of the analysed code, something in one, or
        something outside."""
        parts = name.split(".")
        if parts[0] not in calls.EXTERNAL_TOP_LEVEL and parts[0] not in _STDLIB:
            for end in range(len(parts), 0, -1):
                path = self.names.get(".".join(parts[:end]))
                if path is not None:
                    value: Value = ("mod", path)
                    for part in parts[end:]:
                        value = self.attribute(value, part)
                    return value
        return ("ext", calls.ALIASES.get(name, name))

    def attribute(self, value: Value, attr: str) -> Value:
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
            module = self.modules[value[1]]
            found = self._scope_lookup(module, attr, (value[1], None))
            if found is None and module.is_package:
                path = self.names.get(f"{module.name}.{attr}")
                if path is not None:
                    return ("mod", path)
            return found
        if kind == "func":
            if attr in _TASK_ATTRS and self.is_celery_task((value[1], value[2])):
                return ("task", value[1], value[2], attr)
            return None
        if kind in ("class", "obj"):
            return self._member((value[1], value[2]), attr, instance=kind == "obj")
        return None

    def _member(self, cid: tuple[str, str], attr: str, *, instance: bool) -> Value:
        for path, cls in self._mro(cid):
            if attr in cls.methods:
                return ("func", path, cls.methods[attr])
            if instance:
                for method, assigned in cls.self_attrs.get(attr, ()):
                    found = self.value(assigned, (path, method))
                    if found is not None:
                        return found
            for assigned in cls.attrs.get(attr, ()):
                scope = (path, None)
                found = (
                    self.instance(assigned[1], scope)
                    if assigned is not None and assigned[0] == "ann" and instance
                    else self.value(assigned, scope)
                )
                if found is not None:
                    return found
        for base in self._outside_bases(cid):
            if attr == "objects" and base == "django.db.models.Model":
                return ("inst", "django.db.models.Manager")
            if instance:
                return ("meth", base, attr)
        return None

    def _mro(self, cid: tuple[str, str]) -> list[tuple[str, ClassIndex]]:
        """The class and its bases in the analysed code, nearest first."""
        cached = self._mros.get(cid)
        if cached is None:
            cached = self._mros[cid] = list(self._bases(cid))
        return cached

    def _bases(self, cid: tuple[str, str]) -> Iterator[tuple[str, ClassIndex]]:
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
            yield current[0], cls
            scope = (current[0], None)
            for base in cls.bases:
                value = self.value(base, scope)
                if value is not None and value[0] == "class":
                    todo.append((value[1], value[2]))

    def _outside_bases(self, cid: tuple[str, str]) -> list[str]:
        names = []
        for path, cls in self._mro(cid):
            for base in cls.bases:
                value = self.value(base, (path, None))
                if value is not None and value[0] == "ext":
                    names.append(value[1])
        return names

    def _method(self, cid: tuple[str, str], name: str) -> FunctionId | None:
        for path, cls in self._mro(cid):
            if name in cls.methods:
                return (path, cls.methods[name])
        return None

    def instance(self, annotation: Ref, scope: tuple[str, str | None]) -> Value:
        """An instance of the type an annotation names."""
        if annotation is None:
            return None
        kind = annotation[0]
        if kind == "k":
            return self.instance(_parse_annotation(annotation[1]), scope)
        if kind == "o" and annotation[1] == "|":
            return self.instance(annotation[2], scope) or self.instance(annotation[3], scope)
        if kind == "s":
            base = self.value(annotation[1], scope)
            inner = annotation[2]
            items = inner[1] if inner is not None and inner[0] == "t" else (inner,)
            if (
                base is not None
                and base[0] == "ext"
                and (base[1] in _TYPE_WRAPPERS or base[1] in _ITERATORS)
            ):
                for item in items:
                    found = self.instance(item, scope)
                    if found is not None:
                        return found
            return None
        value = self.value(annotation, scope)
        if value is None:
            return None
        if value[0] == "class":
            return ("obj", value[1], value[2])
        if value[0] == "ext":
            return ("inst", value[1])
        if value[0] == "alias":
            # ("alias", value): what `_value` stores is the instance, itself a Value
            return cast(Value, value[1])
        return None

    def _call_result(self, ref: tuple[Any, ...], scope: tuple[str, str | None]) -> Value:
        func = self.value(ref[1], scope)
        if func is None:
            return None
        kind = func[0]
        if kind == "func":
            return self.returns((func[1], func[2]))
        if kind == "class":
            return ("obj", func[1], func[2])
        if kind == "ext":
            if func[1] in _DEPENDS:
                return self._dependency(ref, scope)
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

    def _dependency(self, default: Ref, scope: tuple[str, str | None]) -> Value:
        """A parameter's value from its default: `= Depends(get_db)` is what get_db gives."""
        if default is None or default[0] != "c":
            return None
        func = self.value(default[1], scope)
        if func is None or func[0] != "ext" or func[1] not in _DEPENDS:
            return None
        argument = default[2][0] if default[2] else dict(default[3]).get("dependency")
        target = self.value(argument, scope)
        if target is None:
            return None
        if target[0] == "func":
            return self.returns((target[1], target[2]))
        if target[0] == "class":
            return ("obj", target[1], target[2])
        return None

    def returns(self, fid: FunctionId) -> Value:
        """What calling a function gives (what it yields, for a generator)."""
        if fid in self._returns:
            return self._returns[fid]
        if fid in self._active:
            return None
        self._active.add(fid)
        function = self.function(fid)
        scope = (fid[0], fid[1])
        result = self.instance(function.return_annotation, (fid[0], function.parent))
        if result is None:
            for returned in function.returns:
                result = self.value(returned, scope)
                if result is not None:
                    break
        self._active.discard(fid)
        self._returns[fid] = result
        return result

    def is_celery_task(self, fid: FunctionId) -> bool:
        return any(name in calls.CELERY_TASK_DECORATORS for name in self.decorator_names(fid))


@functools.lru_cache(maxsize=4096)
def _parse_annotation(text: str) -> Ref:
    """A string annotation (`"Session | None"`) as a ref."""
    try:
        return to_ref(ast.parse(text, mode="eval").body)
    except SyntaxError:
        return None
