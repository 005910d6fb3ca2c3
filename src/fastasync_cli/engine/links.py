"""Symbolic links that lead to nothing, named the same way wherever fastasync meets one.

A link to nothing looks "missing" to `exists()`, yet making a file or folder there
fails ("File exists") or writes where the link points: every reader and writer of the
user's files asks `link_to_nothing` first, so the user hears what the path is.
"""

from __future__ import annotations

import errno
import os
import shlex
from pathlib import Path, PurePosixPath

from fastasync_cli.errors import TargetError


def link_to_nothing(path: Path) -> str | None:
    """What `path` is when it is a symbolic link that leads to no file ("a symbolic
    link to gone.py, which does not exist", or one that loops), else None."""
    if not os.path.islink(path):
        return None
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return f"a symbolic link to {os.readlink(path)}, which does not exist"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"a symbolic link that loops ({os.readlink(path)})"
    return None


def dangling_link(root: Path, rel: str | PurePosixPath) -> str | None:
    """`link_to_nothing` for the project's file `rel`. Such a file was "missing", with
    a hint to restore it, or a link out of the project when it pointed there."""
    return link_to_nothing(root / rel)


def link_out(root: Path, real_root: Path, rel: PurePosixPath) -> str:
    """The symbolic link on the way to `rel` (or `rel` itself) that leads out of the
    project (`real_root`), named with its target; "a symbolic link" if none is found."""
    for part in [*reversed(rel.parents[:-1]), rel]:
        path = root / part
        if not os.path.islink(path):
            continue
        real = path.resolve()
        if real != real_root and real_root not in real.parents:
            return f"the symbolic link {part} (to {os.readlink(path)})"
    return "a symbolic link"


def refuse_dangling_folder_link(root: Path, rel: PurePosixPath) -> None:
    """Refuse a folder on the way to `rel` that is a symbolic link to nothing: the
    write made the folder it names (or failed on the link, "File exists")."""
    for parent in reversed(rel.parents[:-1] if rel.parents else ()):
        what = link_to_nothing(root / parent)
        if what is not None:
            raise TargetError(
                f"{parent} is {what}.",
                "Nothing was written. Remove the link or create the folder it leads to, "
                "then run the command again.",
            )


def refuse_link_to_nothing(root: Path, rel: str | PurePosixPath) -> None:
    """Refuse a file to create that is a symbolic link to nothing: the write went
    through it, to the place it names (a file elsewhere in the project, say), while
    the status line said the file was created."""
    what = dangling_link(root, rel)
    if what is not None:
        raise TargetError(
            f"{rel}, a file fastasync creates, is {what}.",
            f"Nothing was written. Remove the link (rm {shlex.quote(str(rel))}), then run "
            "the command again.",
        )
