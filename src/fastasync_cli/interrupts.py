"""Ctrl-C, SIGTERM and SIGHUP: one exception, and a way to hold them off.

`install()` runs first thing in the entry point, before the heavy imports, so even an
early Ctrl-C ends with one line rather than a traceback. Each of the three signals raises
`Interrupted`, which the CLI turns into exit 128 + the signal's number (130, 143, 129).

The apply step must leave the old tree or the new one. Inside `held()` a signal is only
recorded; `checkpoint()` raises it at a point where the caller can still roll back, and
leaving `held()` raises any signal that arrived while held. Holding rather than
`pthread_sigmask` means a signal cannot land in a rollback either: Python runs signal
handlers between bytecodes, so an exception could otherwise surface in any line.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    """A Ctrl-C, SIGTERM or SIGHUP; `exit_code` is 128 + the signal's number."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def name(self) -> str:
        return "Ctrl-C" if self.signum == signal.SIGINT else signal.Signals(self.signum).name


class _State:
    holding = 0
    pending: int | None = None
    written = False


def _handler(signum: int, frame: FrameType | None) -> None:
    if _State.holding:
        if _State.pending is None:
            _State.pending = signum
        return
    raise Interrupted(signum)


def install() -> None:
    """Make Ctrl-C, SIGTERM and SIGHUP raise `Interrupted` (main thread only)."""
    for signum in SIGNALS:
        # A signal ignored by whoever started us (nohup, `trap '' TERM`) stays ignored.
        if signal.getsignal(signum) is signal.SIG_IGN:
            continue
        signal.signal(signum, _handler)


def installed() -> bool:
    return signal.getsignal(signal.SIGTERM) is _handler


@contextmanager
def held() -> Iterator[None]:
    """Record signals instead of raising them; raise the first one on leaving."""
    _State.holding += 1
    try:
        yield
    finally:
        _State.holding -= 1
    if not _State.holding:
        checkpoint()


def checkpoint() -> None:
    """Raise a signal that arrived while held, if any."""
    signum, _State.pending = _State.pending, None
    if signum is not None:
        raise Interrupted(signum)


def pending() -> bool:
    return _State.pending is not None


def message(exc: KeyboardInterrupt) -> str:
    """The one line an interrupt ends with: whether the changes were written or not."""
    name = exc.name if isinstance(exc, Interrupted) else "Ctrl-C"
    if _State.written:
        return f"Interrupted ({name}) after the changes were written; the project has them."
    return f"Interrupted ({name}); nothing was changed."


def exit_code(exc: KeyboardInterrupt) -> int:
    return exc.exit_code if isinstance(exc, Interrupted) else 128 + signal.SIGINT


def early_exit(exc: KeyboardInterrupt) -> None:
    """Where the CLI's own error handling does not reach: one plain line, the right code."""
    sys.stderr.write(f"error: {message(exc)}\n")
    sys.exit(exit_code(exc))


def hold_from_now() -> None:
    """The command is over: a late signal must not turn into a traceback on the way out.

    Nor kill the process with its default action: on its way out Python gives every
    handler it set back to the default, and a Ctrl-C in the ~0.1 s its finalisation
    takes then ended a command that had done its work and said so, silently, with
    130. Ignored from here on, the command ends as it was going to.
    """
    _State.holding += 1
    for signum in SIGNALS:
        if signal.getsignal(signum) is _handler:
            signal.signal(signum, signal.SIG_IGN)


def mark_written(written: bool = True) -> None:
    """Record that the command's changes are on disk, for the message of a late signal."""
    _State.written = written


def written() -> bool:
    return _State.written
