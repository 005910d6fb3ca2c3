"""The analysed code as one program: what each call site calls, as the rules see it
(an internal function, a blocking call, an HTTP client built, a background task)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastasync_cli.check import calls
from fastasync_cli.check.index import CallSite, ModuleIndex
from fastasync_cli.check.refs import Ref
from fastasync_cli.check.resolve import FunctionId, Resolver


@dataclass(frozen=True, slots=True)
class Call:
    """What one call site does, as far as the rules care."""

    kind: str
    """"func": calls an internal function; "blocking": a blocking call; "client": builds
    an HTTP client; "background": schedules a background task."""
    target: FunctionId | None = None
    name: str = ""
    """The outside call's name (`requests.get`), or the client's type."""
    blocking: calls.Blocking | None = None
    argument: Ref = None
    """The background task's function."""


class Program(Resolver):
    """The resolved program, with each call site classified for the rules."""

    def __init__(
        self,
        modules: list[ModuleIndex],
        names: dict[str, str],
        extra_blocking: dict[str, calls.Blocking] | None = None,
    ) -> None:
        super().__init__(modules, names)
        self.blocking = {**calls.BLOCKING, **(extra_blocking or {})}
        self._calls: dict[FunctionId | str, list[tuple[CallSite, list[Call]]]] = {}
        self._children: dict[tuple[str, str], list[tuple[str, str]]] | None = None

    def display(self, fid: FunctionId) -> str:
        """`app.services.fetch`: a function's name for chains."""
        module = self.modules[fid[0]]
        qualname = fid[1].replace(".<locals>", "")
        return f"{module.name}.{qualname}" if module.name else qualname

    def calls_of(self, scope: FunctionId | str) -> list[tuple[CallSite, list[Call]]]:
        """Each call site of a function (or of a module's top level, by path)."""
        cached = self._calls.get(scope)
        if cached is not None:
            return cached
        where: tuple[str, str | None]
        if isinstance(scope, str):
            sites, where = self.modules[scope].calls, (scope, None)
        else:
            sites, where = self.function(scope).calls, scope
        result = [(site, self.classify(site.ref, where)) for site in sites]
        self._calls[scope] = result
        return result

    def classify(self, ref: tuple[Any, ...], scope: tuple[str, str | None]) -> list[Call]:
        func_ref = ref[1]
        value = self.value(func_ref, scope)
        found: list[Call] = []
        if value is None:
            if func_ref[0] == "a" and func_ref[2] == "run_until_complete":
                name = "asyncio.AbstractEventLoop.run_until_complete"
                found.append(Call("blocking", name=name, blocking=self.blocking[name]))
            return found
        kind = value[0]
        if kind == "func":
            target = (value[1], value[2])
            found.append(Call("func", target=target))
            # A call of an interface's method runs one of its implementations.
            found.extend(Call("func", target=other) for other in self.overrides(target))
            return found
        if kind == "class":
            init = self.method((value[1], value[2]), "__init__")
            if init is not None:
                found.append(Call("func", target=init))
            client = next(
                (
                    b
                    for b in self.outside_bases((value[1], value[2]))
                    if b in calls.CLIENT_CONSTRUCTORS
                ),
                None,
            )
            if client is not None:
                found.append(Call("client", name=client))
            return found
        if kind == "ext":
            name = value[1]
        elif kind == "meth":
            name = f"{value[1]}.{value[2]}"
        elif kind == "task":
            name = f"celery.Task.{value[3]}"
        else:
            return found
        blocking = self.blocking_call(name)
        if blocking is not None:
            display = name
            if kind == "task":
                display = f"{self.display((value[1], value[2]))}.{value[3]}"
            found.append(Call("blocking", name=display, blocking=blocking))
        if name in calls.CLIENT_CONSTRUCTORS:
            found.append(Call("client", name=name))
        if name in calls.BACKGROUND_TASKS and ref[2]:
            found.append(Call("background", name=name, argument=ref[2][0]))
        return found

    def overrides(self, fid: FunctionId) -> list[FunctionId]:
        """The methods overriding `fid` in subclasses, when `fid` is a stub."""
        function = self.function(fid)
        if function.owner is None or not function.is_stub:
            return []
        found = []
        todo = [(fid[0], function.owner)]
        seen = set(todo)
        while todo:
            for child in self._subclasses().get(todo.pop(), ()):
                if child in seen:
                    continue
                seen.add(child)
                todo.append(child)
                method = self.modules[child[0]].classes[child[1]].methods.get(function.name)
                if method is not None:
                    found.append((child[0], method))
        return found

    def _subclasses(self) -> dict[tuple[str, str], list[tuple[str, str]]]:
        if self._children is None:
            self._children = {}
            for path, module in self.modules.items():
                for qualname, cls in module.classes.items():
                    for base in cls.bases:
                        value = self.value(base, (path, None))
                        if value is not None and value[0] == "class":
                            key = (value[1], value[2])
                            self._children.setdefault(key, []).append((path, qualname))
        return self._children

    def blocking_call(self, name: str) -> calls.Blocking | None:
        found = self.blocking.get(name)
        if found is not None or "." not in name:
            return found
        owner, method = name.rsplit(".", 1)
        if method.startswith("_") or name in calls.NOT_BLOCKING:
            return None
        found = self.blocking.get(f"{owner}.*")
        if found is not None:
            return found
        for prefix, (methods, blocking) in calls.BLOCKING_PREFIXES.items():
            if name.startswith(prefix) and method in methods:
                return blocking
        return None
