"""The rules run over the program: chains from `async def` to blocking calls (FA101,
FA103-FA106), clients built per request (FA102), heavy background tasks (FA107)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fastasync_cli.check import calls
from fastasync_cli.check.index import KEPT, SELF, CallSite
from fastasync_cli.check.program import Call, Program
from fastasync_cli.check.resolve import FunctionId
from fastasync_cli.check.rules import RULES

# Decorator methods that make a function an endpoint: `@router.get(...)`.
_ROUTE_METHODS = frozenset(
    {
        "get",
        "post",
        "put",
        "patch",
        "delete",
        "head",
        "options",
        "trace",
        "api_route",
        "websocket",
        "route",
    }
)
_LIFESPAN_KEYWORDS = frozenset({"lifespan", "on_startup", "on_shutdown"})
_DEPENDS = frozenset({"fastapi.Depends", "fastapi.params.Depends", "fastapi.Security"})


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    column: int
    code: str
    message: str
    chain: tuple[str, ...] = field(default=(), compare=False)
    advice: str | None = field(default=None, compare=False)
    """What to do, where this finding needs other advice than its rule's."""

    @property
    def fix(self) -> str:
        return self.advice or RULES[self.code].fix


# A sync function's blocking leaves: (code, long) -> the shortest chain to one.
Leaves = dict[tuple[str, bool], tuple[tuple[str, ...], calls.Blocking]]


class Analysis:
    def __init__(self, program: Program) -> None:
        self.program = program
        self._leaves: dict[FunctionId, Leaves] = {}
        self._active: set[FunctionId] = set()
        self._cached: dict[FunctionId, bool] = {}

    def run(self) -> list[Finding]:
        self._once = self.once_only()
        findings = [*self.chains(), *self.clients(), *self.background_tasks()]
        return sorted(set(findings))

    # FA101, FA103-FA106

    def is_cached(self, fid: FunctionId) -> bool:
        if fid not in self._cached:
            names = self.program.decorator_names(fid)
            self._cached[fid] = any(name in calls.CACHED_DECORATORS for name in names)
        return self._cached[fid]

    def leaves(self, fid: FunctionId) -> Leaves:
        """What a plain `def` blocks on, directly or through the plain `def`s it calls."""
        if fid in self._leaves:
            return self._leaves[fid]
        if fid in self._active:
            return {}
        self._active.add(fid)
        found: Leaves = {}
        for _site, actions in self.program.calls_of(fid):
            for action in actions:
                for key, chain, blocking in self._reached(action):
                    if key not in found or len(chain) < len(found[key][0]):
                        found[key] = (chain, blocking)
        self._active.discard(fid)
        self._leaves[fid] = found
        return found

    def _reached(
        self, action: Call
    ) -> Iterator[tuple[tuple[str, bool], tuple[str, ...], calls.Blocking]]:
        if action.kind == "blocking":
            assert action.blocking is not None
            blocking = action.blocking
            yield (blocking.code, blocking.long), (action.name,), blocking
        elif action.kind == "func":
            target = action.target
            assert target is not None
            if self.program.function(target).is_async or self.is_cached(target):
                return
            display = self.program.display(target)
            for key, (chain, blocking) in self.leaves(target).items():
                yield key, (display, *chain), blocking

    def chains(self) -> list[Finding]:
        findings = []
        for fid, function in self.program.functions():
            # The lifespan, startup handlers, scripts' `main` and tests run before or
            # beside serving: blocking there delays nothing a user waits for.
            if not function.is_async or fid in self._once:
                continue
            root = fid[1].replace(".<locals>", "")
            for site, actions in self.program.calls_of(fid):
                best: dict[str, tuple[tuple[str, ...], calls.Blocking]] = {}
                for action in actions:
                    for (code, _long), chain, blocking in self._reached(action):
                        if code not in best or len(chain) < len(best[code][0]):
                            best[code] = (chain, blocking)
                for code, (chain, blocking) in best.items():
                    full = (root, *chain)
                    via = " -> ".join(full)
                    if code == "FA105":
                        message = f"`{chain[-1]}` inside the running event loop: {via}"
                    else:
                        what = blocking.what[0].upper() + blocking.what[1:]
                        message = f"{what} `{chain[-1]}` blocks the event loop: {via}"
                    findings.append(self._finding(fid[0], site, code, message, full))
        return findings

    def _finding(
        self, path: str, site: CallSite, code: str, message: str, chain: tuple[str, ...]
    ) -> Finding:
        return Finding(path, site.line, site.col + 1, code, message, chain)

    # FA102

    def clients(self) -> list[Finding]:
        once = self._once
        parents = self.per_request(once)
        findings = []
        for fid in parents:
            function = self.program.function(fid)
            for site, actions in self.program.calls_of(fid):
                for action in actions:
                    if action.kind != "client":
                        continue
                    if site.stored == KEPT or (site.stored == SELF and function.name != "__init__"):
                        continue
                    path = [fid]
                    while (parent := parents.get(path[-1])) is not None:
                        path.append(parent)
                    names = [self.program.display(f) for f in reversed(path)]
                    names[0] = path[-1][1].replace(".<locals>", "")
                    chain = (*names, action.name)
                    where = " -> ".join(chain)
                    message = f"`{action.name}` is created per request or call: {where}"
                    findings.append(self._finding(fid[0], site, "FA102", message, chain))
        return findings

    def once_only(self) -> set[FunctionId]:
        """Functions that run once, not per request: the lifespan and startup handlers,
        module-level code, cached functions, tests and fixtures, and whatever only
        those call."""
        program = self.program
        once: set[FunctionId] = set()
        requests: set[FunctionId] = set()
        callers: dict[FunctionId, set[FunctionId | None]] = {}
        scopes: list[FunctionId | str] = [*program.modules]
        scopes += [fid for fid, _ in program.functions()]
        for scope in scopes:
            where = (scope, None) if isinstance(scope, str) else scope
            for site, actions in program.calls_of(scope):
                for action in actions:
                    if action.kind == "func" and action.target is not None:
                        caller = None if isinstance(scope, str) else scope
                        callers.setdefault(action.target, set()).add(caller)
                self._entry_points(site.ref, where, once, requests)
        for fid, function in program.functions():
            module = program.modules[fid[0]]
            if (
                function.name.startswith("test")
                or module.path.rsplit("/", 1)[-1] == "conftest.py"
                or self.is_cached(fid)
                or ("lifespan" in function.name and function.is_async)
                or any(name in calls.FIXTURE_DECORATORS for name in program.decorator_names(fid))
            ):
                once.add(fid)
            for ref in function.decorators:
                if ref is None or ref[0] != "c" or ref[1][0] != "a":
                    continue
                if ref[1][2] == "on_event":
                    once.add(fid)
                elif ref[1][2] in _ROUTE_METHODS:
                    requests.add(fid)
        once -= requests
        changed = True
        while changed:
            changed = False
            for fid, who in callers.items():
                if fid in once or fid in requests:
                    continue
                if all(caller is None or caller in once for caller in who):
                    once.add(fid)
                    changed = True
        self._requests = requests
        return once

    def _entry_points(
        self,
        ref: tuple[Any, ...],
        where: tuple[str, str | None],
        once: set[FunctionId],
        requests: set[FunctionId],
    ) -> None:
        """Functions passed as a lifespan or startup handler, or as a dependency."""
        program = self.program
        for name, value in ref[3]:
            if name in _LIFESPAN_KEYWORDS:
                items = value[1] if value is not None and value[0] == "t" else (value,)
                for item in items:
                    target = program.value(item, where)
                    if target is not None and target[0] == "func":
                        once.add((target[1], target[2]))
        func = ref[1]
        if func[0] == "a" and func[2] == "add_event_handler" and len(ref[2]) > 1:
            target = program.value(ref[2][1], where)
            if target is not None and target[0] == "func":
                once.add((target[1], target[2]))
        if not ref[2] or func[-1] not in ("Depends", "Security"):
            return
        value = program.value(func, where)
        if value is None or value[0] != "ext" or value[1] not in _DEPENDS:
            return
        target = program.value(ref[2][0], where)
        if target is not None and target[0] == "func":
            requests.add((target[1], target[2]))

    def per_request(self, once: set[FunctionId]) -> dict[FunctionId, FunctionId | None]:
        """Functions that run per request or per call, each with the caller it was first
        reached from (None for where it starts: an endpoint, a dependency, an `async
        def` not only run once)."""
        program = self.program
        parents: dict[FunctionId, FunctionId | None] = {}
        todo: deque[FunctionId] = deque()
        for fid, function in program.functions():
            if fid in once:
                continue
            if function.is_async or fid in self._requests:
                parents[fid] = None
                todo.append(fid)
        while todo:
            fid = todo.popleft()
            in_init = program.function(fid).name == "__init__"
            for site, actions in program.calls_of(fid):
                # What a factory returns into a long-lived place (`self._x = f()`
                # outside `__init__`, a global) is made once and shared, as a
                # client constructed there directly would be (see `clients`).
                if site.stored == KEPT or (site.stored == SELF and not in_init):
                    continue
                for action in actions:
                    target = action.target
                    if action.kind != "func" or target is None or target in parents:
                        continue
                    if target in once or self.is_cached(target):
                        continue
                    parents[target] = fid
                    todo.append(target)
        return parents

    # FA107

    def background_tasks(self) -> list[Finding]:
        findings = []
        for fid, _function in self.program.functions():
            for site, actions in self.program.calls_of(fid):
                for action in actions:
                    if action.kind != "background":
                        continue
                    target = self.program.value(action.argument, fid)
                    if target is None or target[0] != "func":
                        continue
                    task = (target[1], target[2])
                    if self.program.function(task).is_async:
                        continue
                    heavy = [
                        (chain, blocking)
                        for (_code, long), (chain, blocking) in self.leaves(task).items()
                        if long
                    ]
                    if not heavy:
                        continue
                    chain, blocking = min(heavy, key=lambda item: len(item[0]))
                    full = (
                        fid[1].replace(".<locals>", ""),
                        self.program.display(task),
                        *chain,
                    )
                    message = (
                        f"Background task `{self.program.display(task)}` does "
                        f"{blocking.what} (`{chain[-1]}`) in the shared threadpool: "
                        f"{' -> '.join(full)}"
                    )
                    findings.append(self._finding(fid[0], site, "FA107", message, full))
        return findings
