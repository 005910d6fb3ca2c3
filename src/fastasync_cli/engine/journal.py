"""The undo journal: a run killed outright mid-apply is undone by the next one.

Apply's own rollback covers every exception and signal it can catch; SIGKILL (the OOM
killer, `kill -9`) ends the process between two steps of the commit and leaves some
files new, some old, and their backups. So before the first change to the tree apply
creates `JOURNAL_NAME` in the project's root, and writes one JSON line per step *before*
doing it (paths relative to the root, so odd names survive as JSON strings):

    {"journal": 1, "pid": 1234, "start": 2453979, "boot": "aafd6e57-..."}
                                                   first line: the writer
    {"dir": "app/tasks"}                           a folder it is about to create
    {"create": "app/tasks/x.py", "sha256": "..."}  a file it is about to link into place
    {"replace": "app/main.py", "sha256": "..."}    a file it is about to back up
    {"backup": "app/main.py", "name": ".main.py.0.fastasync-backup"}
                                                   that backup exists; the rename follows
    {"committed": true}                            every file is in place

A line is written and flushed (to the page cache, which outlives a killed process)
before its step, and on the disk (`sync`, which fsyncs) before the step can be: apply
syncs lines in batches, with the files the next steps need (see `apply`), so a power
cut leaves the journal of every step that reached the disk. A normal run removes the
journal after discarding its backups, and after an in-process rollback; a rollback that
fails itself leaves it, so the next run retries.

The first line names the writer by its pid and, where Linux's /proc shows them, its
start time and boot (`process_identity`), so the next run can tell a killed writer from
a live process that reused its pid; it undoes a killed run's changes (see `undo`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, TypeGuard

from fastasync_cli.engine.fileio import fsync_paths
from fastasync_cli.engine.process_identity import ProcessIdentity, this_process
from fastasync_cli.errors import FastasyncError, TargetError

JOURNAL_NAME = ".fastasync-journal"
# Still 1 with "start" and "boot" in the header: a reader that does not know them reads
# the journal as before (by its pid alone), and a journal without them is read here so.
_VERSION = 1


class UndoError(FastasyncError):
    """Undoing a killed run's changes failed part-way; its journal is kept."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Journal:
    """The journal one apply writes; `None` entries are never written twice."""

    def __init__(self, root: Path, *, durable: bool = True) -> None:
        self.root = root.resolve()
        self.path = self.root / JOURNAL_NAME
        self.durable = durable  # fsync in `sync`, and the root after creating and removing
        self._handle: IO[bytes] | None = None
        self._named = False  # its name in the root is on the disk
        self.writer = this_process()  # also in the names of the run's temporary files

    def open(self) -> None:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        except FileExistsError:
            if self.path.is_symlink() or not self.path.is_file():
                raise not_a_journal(self.path) from None
            raise TargetError(
                f"{self.path} exists: another fastasync run is changing this project, or one "
                "was killed and its changes were not undone.",
                "Nothing was written. Run the command again when no other fastasync command "
                "is running: it undoes the killed run first.",
            ) from None
        self._handle = os.fdopen(fd, "ab")
        writer = self.writer
        header: dict[str, Any] = {"journal": _VERSION, "pid": writer.pid}
        if writer.start is not None:
            header["start"] = writer.start
        if writer.boot is not None:
            header["boot"] = writer.boot
        self._write(header)

    def rel(self, path: Path) -> str:
        # Resolved like the root: a `new` under a symlinked folder records `.`, not a
        # detour through the link.
        return PurePosixPath(os.path.relpath(path.resolve(), self.root)).as_posix()

    def folder(self, path: Path) -> None:
        self._write({"dir": self.rel(path)})

    def create(self, path: Path, data: bytes) -> None:
        self._write({"create": self.rel(path), "sha256": digest(data)})

    def replace(self, path: Path, data: bytes) -> None:
        self._write({"replace": self.rel(path), "sha256": digest(data)})

    def backup(self, path: Path, backup: Path) -> None:
        self._write({"backup": self.rel(path), "name": backup.name})

    def committed(self) -> None:
        self._write({"committed": True})

    def _write(self, entry: dict[str, Any]) -> None:
        assert self._handle is not None
        self._handle.write(json.dumps(entry, ensure_ascii=True).encode("ascii") + b"\n")
        self._handle.flush()

    def sync(self, *others: Path) -> None:
        """The lines written so far on the disk (not only in the page cache, which a
        killed process leaves but a power cut loses), and `others` (files, folders)
        with them; the first time, the journal's name in the root too (no step comes
        before the first sync). Nothing unless `durable`."""
        if self.durable:
            fsync_paths([self.path, *others, *([] if self._named else [self.root])])
            self._named = True

    def remove(self) -> None:
        """The run ended cleanly (applied, or rolled back): the journal goes."""
        if self._handle is None:
            return
        with contextlib.suppress(OSError):
            self._handle.close()
        self._handle = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        if self.durable:
            # Only tidiness depends on it: a journal back after a power cut has its
            # "committed" line, or nothing left to undo.
            with contextlib.suppress(OSError):
                fsync_paths([self.root])

    def close(self) -> None:
        """Keep the journal (a rollback failed): the next run retries the undo."""
        if self._handle is not None:
            with contextlib.suppress(OSError):
                self._handle.close()
            self._handle = None


@dataclass
class Entries:
    writer: ProcessIdentity
    steps: list[dict[str, Any]] = field(default_factory=list)
    committed: bool = False


def parse(text: bytes, where: Path) -> Entries:
    """The journal's lines; a last line without its newline (the writer was killed
    while writing it, before doing its step) is ignored."""
    lines = text.split(b"\n")
    complete = lines[:-1]  # the part after the last newline is incomplete or empty
    try:
        entries = Entries(writer=_writer(json.loads(complete[0])))
        for line in complete[1:]:
            step = json.loads(line)
            if not isinstance(step, dict):
                raise ValueError("not an entry")
            if step.get("committed") is True:
                entries.committed = True
            elif not any(key in step for key in ("dir", "create", "replace", "backup")):
                raise ValueError(f"unknown entry {line!r}")
            elif any(not isinstance(value, str) for value in step.values()):
                raise ValueError(f"not a path {line!r}")
            else:
                entries.steps.append(step)
    except (IndexError, ValueError, UnicodeDecodeError, AttributeError) as exc:
        raise unreadable(where, exc) from None
    return entries


def _writer(header: object) -> ProcessIdentity:
    """The writer a journal's first line names; "start" and "boot" are optional."""
    if not isinstance(header, dict) or header.get("journal") != _VERSION:
        raise ValueError("not a journal header")
    pid, start, boot = header.get("pid"), header.get("start"), header.get("boot")
    # kill(0) or kill(-1) would signal whole process groups: a pid is positive.
    if not (_is_int(pid) and 0 < pid < 2**31):
        raise ValueError(f"bad pid {pid!r}")
    if not (start is None or (_is_int(start) and start >= 0)):
        raise ValueError(f"bad start time {start!r}")
    if not (boot is None or isinstance(boot, str)):
        raise ValueError(f"bad boot id {boot!r}")
    return ProcessIdentity(pid, start=start, boot=boot)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def unreadable(where: Path, exc: Exception) -> UndoError:
    """The error for a journal at `where` that cannot be read or undone as it is."""
    return UndoError(
        f"{where} cannot be read ({exc}): it is the journal of a fastasync run that "
        "was killed while changing this project.",
        "Compare the project with its last commit (git status), repair it by hand, "
        f"then delete {where}.",
    )


def not_a_journal(path: Path) -> TargetError:
    """A folder (or a link) where the journal goes: no run wrote it, none undoes it,
    and "another run is changing this project" sent the user round in a loop."""
    return TargetError(
        f"{path} is in the way: it is not a file, and fastasync keeps the undo journal "
        "of a run there while it writes.",
        "Nothing was written. Move it out of the way, then run the command again.",
    )
