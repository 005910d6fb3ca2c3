"""The one error type users see: what went wrong, what to do, and the exit code."""

from __future__ import annotations

import errno


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


# What an OS error means for the user, and what to do about it, by errno: the
# strerror alone ("File name too long", "Not a directory") says neither where nor what.
_OS_ERRORS = {
    "ENOSPC": ("the disk is full", "Free some space on it"),
    "EDQUOT": ("your disk quota is used up", "Free some space, or ask for a larger quota"),
    "EROFS": (
        "the file system is read-only",
        "Remount it writable, or work on a copy on a writable file system",
    ),
    "EACCES": (
        "permission denied",
        "Make the folder writable for you (ls -ld shows its owner and mode)",
    ),
    "EPERM": (
        "operation not permitted (an immutable or append-only file or folder?)",
        "Check the folder's flags (lsattr -d) and owner",
    ),
    "ENAMETOOLONG": (
        "a name in its path is too long for the file system",
        "Choose a shorter name, or a folder nearer the root",
    ),
    "ENOTDIR": (
        "a part of its path is a file, not a folder",
        "Move that file out of the way, or choose another path",
    ),
    "ELOOP": (
        "symbolic links in its path lead round in a circle",
        "Fix or remove the link",
    ),
}


def explain_os_error(exc: OSError) -> tuple[str, str] | None:
    """What `exc` means and what to do about it (no full stop), or None for an error
    with no better words than its strerror."""
    name = errno.errorcode.get(exc.errno or 0, "")
    return _OS_ERRORS.get(name)
