"""Memoised inference without recursion: each step of the resolver is a generator that
yields the steps it needs and is sent their results, and `Memo.run` drives them with a
stack of its own. Chains of names, imports or calls thousands long then need no deeper
Python stack than one step; a chain deeper than the recursion limit was taken for
unknown.

A step asked for while it is still being worked out (a cycle: `a = b; b = a`) gives
None. What a step works out below such a cut depends on a result not known yet, so it
is not kept; the first step of the cycle is kept, and the others are worked out again
when asked for, then against its result. A name is then the same whichever name of a
cycle is asked for first, and each step is kept once it is worked out outside a cycle:
time stays linear in the steps.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Hashable
from typing import Any

Step = Generator[Any, Any, Any]
"""A step: yields what it needs (a `Request`, or another `Step` to run as is, not
kept), is sent each result, and returns its own."""
Request = tuple[Hashable, Callable[..., Step], tuple[Any, ...]]
"""A kept step: its key, and the function and arguments that make it."""

_NO_CUT = 1 << 62


class Memo:
    def __init__(self) -> None:
        self.results: dict[Hashable, Any] = {}
        self._active: dict[Hashable, int] = {}
        """Key -> its depth in the stack, for the steps under way."""

    def run(self, first: Request | Step) -> Any:
        """The result of `first`, with every step it needs."""
        results = self.results
        active = self._active
        # Frames: [step, key (None: not kept), depth, lowest depth of a cut below].
        stack: list[list[Any]] = []
        request: Request | Step | None = first
        sent: Any = None
        error: BaseException | None = None
        try:
            while True:
                if request is not None:
                    if type(request) is tuple:
                        key, make, args = request
                        if key in results:
                            sent = results[key]
                        elif key in active:
                            sent = None
                            depth = active[key]
                            if depth < stack[-1][3]:
                                stack[-1][3] = depth
                        else:
                            active[key] = len(stack)
                            stack.append([make(*args), key, len(stack), _NO_CUT])
                            sent = None
                    else:
                        stack.append([request, None, len(stack), _NO_CUT])
                        sent = None
                    request = None
                    if not stack:  # `first` was already known
                        return sent
                frame = stack[-1]
                try:
                    if error is None:
                        request = frame[0].send(sent)
                    else:
                        thrown, error = error, None
                        request = frame[0].throw(thrown)
                except StopIteration as stop:
                    stack.pop()
                    sent = stop.value
                    key, depth, low = frame[1], frame[2], frame[3]
                    if key is not None:
                        del active[key]
                        if low >= depth:
                            results[key] = sent
                    if not stack:
                        return sent
                    if low < stack[-1][3]:
                        stack[-1][3] = low
                except BaseException as exc:
                    stack.pop()
                    if frame[1] is not None:
                        del active[frame[1]]
                    if not stack:
                        raise
                    error = exc
        finally:
            active.clear()
