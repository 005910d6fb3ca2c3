"""The one error type users see: what went wrong, what to do, and the exit code."""

from __future__ import annotations


class FastasyncError(Exception):
    """A failure the user can act on; the CLI prints `message` and `hint`, never a traceback."""

    exit_code = 1

    def __init__(self, message: str, hint: str, *, details: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        # Extra text printed after the hint, e.g. the lines to add by hand.
        self.details = details


class BadNameError(FastasyncError):
    """A name given on the command line cannot be used (exit 2, like any usage error)."""

    exit_code = 2


class BadOptionError(FastasyncError):
    """An option value or argument is not usable (exit 2)."""

    exit_code = 2


class TargetError(FastasyncError):
    """The place to write to cannot be used: not empty, not writable, not a directory."""


class NotAProjectError(FastasyncError):
    """No fastasync project was found where the command was run."""


class ConflictError(FastasyncError):
    """The plan would replace files the user owns and `--force` was not given."""


class EditError(FastasyncError):
    """An existing file could not be edited safely (restructured, or it does not parse)."""
