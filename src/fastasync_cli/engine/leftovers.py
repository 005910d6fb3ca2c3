"""Temporary files a killed run left behind, found and removed by the next one.

Apply stages each new content in `.NAME.<writer>.<random>.fastasync-tmp` beside its
target and removes it however the run ends, except when the process is killed
outright (SIGKILL, a power cut). The project lock is `flock` on the folder and
records no owner, so the writer is named in the file's name: `PID-START-BOOT`, its
process id, start time and the first eight hex digits of its boot id, where Linux's
/proc shows them (`process_identity.name_token`), the pid alone elsewhere and in the
names older fastasync wrote. A file of that shape, owned by this user, whose writer
is gone (as `process_identity.gone` judges a journal's: a process that now has the
pid but started at another time, or in another boot, is not its writer) is ours and
stale. Anything else is left alone: a file named by hand, another user's, a live
run's (a `new` in a nested folder holds another lock), or one that is not a regular
file. A file named by its pid alone stays while any process has that pid.

A run killed during the commit also left a half-changed tree: `undo` undoes that
first (and removes that run's temporary files itself); this removes the rest.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from pathlib import Path, PurePosixPath

from fastasync_cli.engine.apply import TMP_SUFFIX
from fastasync_cli.engine.process_identity import ProcessIdentity, from_name_token, gone

# mkstemp's random part: eight of [a-z0-9_]. The writer: `name_token`'s shapes.
_NAME = re.compile(
    r"\.(?P<target>.+)\.(?P<writer>[1-9][0-9]*(?:-[0-9]+(?:-[0-9a-f]{8})?)?)"
    rf"\.[a-z0-9_]{{8}}{re.escape(TMP_SUFFIX)}"
)
# Folders no `add` writes into, that can hold many files: not searched.
_PRUNED = frozenset(
    {".git", ".hg", ".svn", "node_modules", "__pycache__", ".tox", ".nox"}
    | {".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis"}
)


def writer_of(name: str) -> ProcessIdentity | None:
    """The writer a temporary file's name holds, None for a name of another shape."""
    match = _NAME.fullmatch(name)
    return None if match is None else from_name_token(match.group("writer"))


def written_by(name: str, writer: ProcessIdentity) -> bool:
    """Whether the temporary file `name` is `writer`'s (a journal's writer): the same
    pid and, where both hold them, the same start time and boot."""
    found = writer_of(name)
    if found is None or found.pid != writer.pid:
        return False
    if found.start is not None and writer.start is not None and found.start != writer.start:
        return False
    return found.boot is None or writer.boot is None or writer.boot.startswith(found.boot)


def _is_ours(path: Path, name: str) -> bool:
    if _NAME.fullmatch(name) is None:
        return False
    try:
        status = path.lstat()
    except OSError:
        return False
    return stat.S_ISREG(status.st_mode) and status.st_uid == os.getuid()


def _is_stale(path: Path) -> bool:
    # A name holding a pid alone (older fastasync, no /proc): a live process with that
    # id, even an unrelated one that reused it, keeps the file.
    writer = writer_of(path.name)
    return writer is not None and gone(writer)


def stale_temporaries(root: Path, *, found: list[Path] | None = None) -> list[Path]:
    """The temporary files of runs that were killed mid-apply, under `root`; `found`:
    `temporary_files(root)`, when the caller has it already."""
    return [path for path in (temporary_files(root) if found is None else found) if _is_stale(path)]


def temporary_files(root: Path) -> list[Path]:
    """Apply's temporary files under `root` that belong to this user, whether their
    writer is running or not."""
    found: list[Path] = []
    for folder, subfolders, files in os.walk(root):
        here = Path(folder)
        # A virtual environment (pyvenv.cfg) and tool caches are not searched.
        subfolders[:] = sorted(
            name
            for name in subfolders
            if name not in _PRUNED and not (here / name / "pyvenv.cfg").exists()
        )
        found.extend(here / name for name in sorted(files) if _is_ours(here / name, name))
    return found


def remove_stale_temporaries(
    root: Path, *, dry_run: bool = False, found: list[Path] | None = None
) -> list[PurePosixPath]:
    """Remove the stale temporary files under `root` (only list them in a dry run);
    return those removed, relative to `root`. `found`: `stale_temporaries(root)`,
    when the caller has it already."""
    removed = []
    for path in stale_temporaries(root) if found is None else found:
        if not dry_run:
            try:
                path.unlink()
            except FileNotFoundError:
                continue  # gone meanwhile
            except OSError:
                continue  # a folder we may not write to: left as it is
        with contextlib.suppress(ValueError):
            removed.append(PurePosixPath(path.relative_to(root).as_posix()))
    return removed
