"""The rules run over the program: chains from `async def` to blocking calls (FA101,
FA103-FA106), clients built per request (FA102), heavy background tasks (FA107)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fastasync_cli.check import calls
from fastasync_cli.check.index import KEPT, LAZY, SELF, CallSite
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


# A sync function's blocking leaves: (code, long) -> the shortest chain to one, as a
# link: (its length, its first name, the function it continues in or None, the call).
# Whole tuples per function took memory quadratic in the depth of a chain of helpers.
LeafKey = tuple[str, bool]
Link = tuple[int, str, "FunctionId | None", calls.Blocking]
Leaves = dict[LeafKey, Link]


class Analysis:
    def __init__(self, program: Program) -> None:
        self.program = program
        self._leaves: dict[FunctionId, Leaves] = {}
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

    def _followed(self, action: Call) -> FunctionId | None:
        """The plain, uncached `def` a call runs, whose own calls block the caller too."""
        if action.kind != "func":
            return None
        target = action.target
        assert target is not None
        if self.program.function(target).is_async or self.is_cached(target):
            return None
        return target

    def _callees(self, fid: FunctionId) -> Iterator[FunctionId]:
        for site, actions in self.program.calls_of(fid):
            if site.stored == LAZY:
                continue
            for action in actions:
                target = self._followed(action)
                if target is not None:
                    yield target

    def leaves(self, fid: FunctionId) -> Leaves:
        """What a plain `def` blocks on, directly or through the plain `def`s it calls.

        A depth-first walk with its own stack, not recursion: chains of helpers
        thousands deep (generated code) overflowed Python's stack. A function met
        again while its own leaves are being found (recursion) adds nothing."""
        if fid in self._leaves:
            return self._leaves[fid]
        active = {fid}
        stack = [(fid, self._callees(fid))]
        while stack:
            current, callees = stack[-1]
            for target in callees:
                if target not in self._leaves and target not in active:
                    active.add(target)
                    stack.append((target, self._callees(target)))
                    break
            else:
                self._leaves[current] = self._combine(current)
                active.discard(current)
                stack.pop()
        return self._leaves[fid]

    def _combine(self, fid: FunctionId) -> Leaves:
        """`fid`'s leaves, once those of every function it calls are known."""
        found: Leaves = {}
        for site, actions in self.program.calls_of(fid):
            # A lazy initialisation runs once: its blocking delays one request at most.
            if site.stored == LAZY:
                continue
            for action in actions:
                for key, link in self._links(action):
                    if key not in found or link[0] < found[key][0]:
                        found[key] = link
        return found

    def _links(self, action: Call) -> Iterator[tuple[LeafKey, Link]]:
        if action.kind == "blocking":
            assert action.blocking is not None
            blocking = action.blocking
            yield (blocking.code, blocking.long), (1, action.name, None, blocking)
            return
        target = self._followed(action)
        if target is None:
            return
        display = self.program.display(target)
        # Not yet known only while its own leaves are being found: a recursion.
        for key, (length, _name, _next, blocking) in self._leaves.get(target, {}).items():
            yield key, (length + 1, display, target, blocking)

    def _chain(self, link: Link, key: LeafKey) -> tuple[str, ...]:
        names = []
        _length, name, following, _blocking = link
        names.append(name)
        while following is not None:
            _length, name, following, _blocking = self._leaves[following][key]
            names.append(name)
        return tuple(names)

    def _reached(self, action: Call) -> Iterator[tuple[LeafKey, tuple[str, ...], calls.Blocking]]:
        target = self._followed(action)
        if target is not None:
            self.leaves(target)
        for key, link in self._links(action):
            yield key, self._chain(link, key), link[3]

    def chains(self) -> list[Finding]:
        findings = []
        for fid, function in self.program.functions():
            # The lifespan, startup handlers, scripts' `main` and tests run before or
            # beside serving: blocking there delays nothing a user waits for.
            if not function.is_async or fid in self._once:
                continue
            root = fid[1].replace(".<locals>", "")
            for site, actions in self.program.calls_of(fid):
                if site.stored == LAZY:
                    continue
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
                    if site.stored >= KEPT or (site.stored == SELF and function.name != "__init__"):
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
        started: list[tuple[FunctionId, FunctionId]] = []
        scopes: list[FunctionId | str] = [*program.modules]
        scopes += [fid for fid, _ in program.functions()]
        for scope in scopes:
            where = (scope, None) if isinstance(scope, str) else scope
            for site, actions in program.calls_of(scope):
                for action in actions:
                    if action.kind == "func" and action.target is not None:
                        caller = None if isinstance(scope, str) or site.stored == LAZY else scope
                        callers.setdefault(action.target, set()).add(caller)
                    elif not isinstance(scope, str):
                        started += self._loop_started(action, site.ref, scope)
                self._entry_points(site.ref, where, once, requests)
        for fid, function in program.functions():
            module = program.modules[fid[0]]
            if (
                function.name.startswith("test")
                or module.path.rsplit("/", 1)[-1] == "conftest.py"
                or self.is_cached(fid)
                or ("lifespan" in function.name and function.is_async)
                or any(
                    name in calls.FIXTURE_DECORATORS or name in calls.CLI_COMMAND_DECORATORS
                    for name in program.decorator_names(fid)
                )
            ):
                once.add(fid)
            for ref in function.decorators:
                if ref is None or ref[0] != "c" or ref[1][0] != "a":
                    continue
                if ref[1][2] == "on_event":
                    once.add(fid)
                elif ref[1][2] in _ROUTE_METHODS:
                    requests.add(fid)
        # `asyncio.run(fetch())` in a plain `def` (a CLI command) starts a program of
        # its own: its coroutine runs once per run, as if called at module level,
        # unless that `def` is an endpoint or a dependency.
        for scope, target in started:
            if scope not in requests and scope in callers.get(target, ()):
                callers[target].discard(scope)
                callers[target].add(None)
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

    def _loop_started(
        self, action: Call, ref: tuple[Any, ...], scope: FunctionId
    ) -> list[tuple[FunctionId, FunctionId]]:
        """(scope, the coroutine function) when `action` starts an event loop on it in
        a plain `def`: `asyncio.run(main())`, `anyio.run(main)`."""
        if action.kind != "blocking" or action.blocking is None:
            return []
        if action.blocking.code != "FA105" or not ref[2] or ref[2][0] is None:
            return []
        if self.program.function(scope).is_async:
            return []
        argument = ref[2][0]
        if argument[0] == "c":
            argument = argument[1]
        target = self.program.value(argument, scope)
        if target is None or target[0] != "func":
            return []
        return [(scope, (target[1], target[2]))]

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
                if site.stored >= KEPT or (site.stored == SELF and not in_init):
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
                    heavy = [(link, key) for key, link in self.leaves(task).items() if key[1]]
                    if not heavy:
                        continue
                    link, key = min(heavy, key=lambda item: item[0][0])
                    chain, blocking = self._chain(link, key), link[3]
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
