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

The next run holding the project lock (`recover`, called before it plans) finds a
journal whose writer is gone and undoes it in reverse: each backup goes back over its
target, each created file is removed if it still has the bytes written (else kept and
named), each created folder removed if empty, the writer's temporary files removed.
After `committed` the new tree is complete, so only the backups left are removed. A step
that fails stops the undo with an error naming the files and where their old content is;
the journal stays for a later run. A journal whose writer is alive is left alone: the
first line names the writer by its pid and, where Linux's /proc shows them, its start
time and boot, so a pid reused by another process does not keep a killed run's journal
(`process_identity`); a journal naming its writer by pid alone (older fastasync, or no
/proc) is judged by the pid alone.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, TypeGuard

from fastasync_cli.engine.fileio import BACKUP_SUFFIX, fsync_paths
from fastasync_cli.engine.process_identity import ProcessIdentity, gone, this_process
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

    def open(self) -> None:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        except FileExistsError:
            raise TargetError(
                f"{self.path} exists: another fastasync run is changing this project, or one "
                "was killed and its changes were not undone.",
                "Nothing was written. Run the command again when no other fastasync command "
                "is running: it undoes the killed run first.",
            ) from None
        self._handle = os.fdopen(fd, "ab")
        writer = this_process()
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
        raise _unreadable(where, exc) from None
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


def _unreadable(where: Path, exc: Exception) -> UndoError:
    return UndoError(
        f"{where} cannot be read ({exc}): it is the journal of a fastasync run that "
        "was killed while changing this project.",
        "Compare the project with its last commit (git status), repair it by hand, "
        f"then delete {where}.",
    )


def _inside(root: Path, rel: object, *, folder: bool = False) -> Path:
    """`root/rel` for a path the journal names; a name leading elsewhere is refused
    (only the folders above the root a `new` created may be `..`)."""
    if not isinstance(rel, str) or not rel or os.path.isabs(rel):
        raise ValueError(f"bad path {rel!r}")
    parts = PurePosixPath(rel).parts
    if ".." in parts and not (folder and set(parts) == {".."}):
        raise ValueError(f"bad path {rel!r}")
    return root / rel


@dataclass
class Recovery:
    """What undoing a killed run did (or, in a dry run, would do)."""

    pid: int
    committed: bool = False
    restored: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    cleaned: list[str] = field(default_factory=list)  # backups, temporary files
    failed: list[str] = field(default_factory=list)


def recover(
    root: Path,
    *,
    dry_run: bool = False,
    temporaries: list[Path] | None = None,
) -> Recovery | None:
    """Undo the run a journal under `root` records, if its writer is gone (see the
    module's docstring); call it holding the project lock. None when there is none.

    `temporaries`: apply's temporary files under the resolved `root`, when the caller
    has already looked for them (`leftovers.temporary_files`), so the tree is walked
    once. The undo is on the disk before the journal's removal can be."""
    root = root.resolve()
    path = root / JOURNAL_NAME
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        return None
    entries = parse(text, path)
    if not gone(entries.writer):
        return None
    report = Recovery(entries.writer.pid, committed=entries.committed)
    try:
        _undo(root, entries, report, dry_run=dry_run, temporaries=temporaries)
    except (ValueError, KeyError, TypeError) as exc:
        raise _unreadable(path, exc) from None
    if not dry_run and not report.failed:
        _sync_undone(root, report)
    if report.failed:
        raise UndoError(
            f"Could not undo the changes of a killed fastasync run: {'; '.join(report.failed)}.",
            f"Fix the cause (permissions, free space), then run again: {JOURNAL_NAME} is "
            "kept so the next command retries. Restored so far: "
            f"{', '.join(report.restored) or 'nothing'}.",
        )
    if not dry_run:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        with contextlib.suppress(OSError):  # at worst the undo is redone, finding it done
            fsync_paths([root])
        _remove_folders(root, entries, report, outside=True)
    return report


def _sync_undone(root: Path, report: Recovery) -> None:
    """fsync the folders whose names the undo changed; a failure goes to the report."""
    folders = set()
    for rel in [*report.restored, *report.removed, *report.cleaned]:
        folder = (root / rel).parent
        while not folder.exists():  # removed with the run's folders: its parent changed
            folder = folder.parent
        folders.add(folder)
    try:
        fsync_paths(sorted(folders))
    except OSError as exc:
        report.failed.append(f"folder {_rel(root, Path(exc.filename))}: {exc.strerror}")


def _undo(
    root: Path,
    entries: Entries,
    report: Recovery,
    *,
    dry_run: bool,
    temporaries: list[Path] | None,
) -> None:
    backups: dict[str, str] = {}
    for step in entries.steps:
        if "backup" in step:
            backups[step["backup"]] = step["name"]
    for step in reversed(entries.steps):
        if "replace" in step:
            _undo_replace(root, step, backups.get(step["replace"]), entries, report, dry_run)
        elif "create" in step and not entries.committed:
            _undo_create(root, step, report, dry_run)
    _remove_temporaries(root, entries.writer.pid, report, dry_run, temporaries)
    if not dry_run and not report.failed:
        _remove_folders(root, entries, report, outside=False)


def _undo_replace(
    root: Path,
    step: dict[str, Any],
    name: str | None,
    entries: Entries,
    report: Recovery,
    dry_run: bool,
) -> None:
    rel = step["replace"]
    target = _inside(root, rel)
    if name is None:
        # Killed between the backup's link and its line: a backup identical to the
        # target (the same file, or a copy of it) may exist; removing it loses nothing.
        candidates = sorted(target.parent.glob(f".{_glob_escape(target.name)}.*{BACKUP_SUFFIX}"))
        for backup in candidates:
            if _same_content(backup, target):
                _discard(backup, rel, report, dry_run)
        return
    if "/" in name or not name.endswith(BACKUP_SUFFIX):
        raise ValueError(f"bad backup name {name!r}")
    backup = target.parent / name
    if not os.path.lexists(backup):
        return  # put back already, or discarded after the commit
    if entries.committed or _same_file(backup, target):
        # Committed: the new tree stays. Killed before the rename: the target is still
        # the old file (and rename() between two names of one file does nothing).
        _discard(backup, rel, report, dry_run)
        return
    current = _sha(target)
    if current is not None and current not in {step["sha256"], _sha(backup)}:
        report.kept.append(f"{rel} (changed since; its old content is in {_rel(root, backup)})")
        return
    if not dry_run:
        try:
            os.replace(backup, target)
        except OSError as exc:
            report.failed.append(
                f"{rel}: {exc.strerror} (its old content is in {_rel(root, backup)})"
            )
            return
    report.restored.append(rel)


def _undo_create(root: Path, step: dict[str, Any], report: Recovery, dry_run: bool) -> None:
    rel = step["create"]
    target = _inside(root, rel)
    if not os.path.lexists(target):
        return  # never linked into place, or removed already
    if os.path.islink(target) or _sha(target) != step["sha256"]:
        report.kept.append(f"{rel} (changed since it was written)")
        return
    if not dry_run:
        try:
            target.unlink()
        except OSError as exc:
            report.failed.append(f"{rel}: {exc.strerror}")
            return
    report.removed.append(rel)


def _unlink(path: Path, shown: str, report: Recovery, dry_run: bool) -> bool:
    """Remove `path` (not in a dry run): whether it is gone now (or would be). A file
    already gone counts as nothing done; a failure goes to the report as `shown`."""
    if dry_run:
        return True
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        report.failed.append(f"{shown}: {exc.strerror}")
        return False
    return True


def _discard(backup: Path, rel: str, report: Recovery, dry_run: bool) -> None:
    if _unlink(backup, f"backup {backup.name} of {rel}", report, dry_run):
        report.cleaned.append(f"{PurePosixPath(rel).parent / backup.name}")


def _remove_temporaries(
    root: Path, pid: int, report: Recovery, dry_run: bool, temporaries: list[Path] | None
) -> None:
    from fastasync_cli.engine.leftovers import temporary_files, writer_pid

    # Whether a process has its pid now or not: the writer is gone (its pid may have
    # been reused), so the files named with its pid are its own.
    for tmp in temporary_files(root) if temporaries is None else temporaries:
        if writer_pid(tmp.name) != pid:
            continue  # another killed run's: `leftovers` reports it
        if _unlink(tmp, f"temporary file {_rel(root, tmp)}", report, dry_run):
            report.cleaned.append(_rel(root, tmp))


def _remove_folders(root: Path, entries: Entries, report: Recovery, *, outside: bool) -> None:
    """The folders the run created, deepest first, when empty; `outside`: the root and
    the folders above it (a `new`), after the journal itself is gone."""
    if entries.committed:
        return
    for step in reversed(entries.steps):
        rel = step.get("dir")
        if rel is None:
            continue
        is_outside = rel == "." or rel.startswith("..")
        if is_outside != outside:
            continue
        folder = _inside(root, rel, folder=True) if rel != "." else root
        try:
            folder.rmdir()
        except OSError as exc:
            # A folder with files of its own (the user's) stays.
            if exc.errno not in {errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT} and not outside:
                report.failed.append(f"folder {rel}: {exc.strerror}")


def _sha(path: Path) -> str | None:
    try:
        return digest(path.read_bytes())
    except OSError:
        return None


def _same_file(one: Path, other: Path) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False


def _same_content(one: Path, other: Path) -> bool:
    try:
        if os.path.samefile(one, other):
            return True
        return one.read_bytes() == other.read_bytes()
    except OSError:
        return False


def _glob_escape(name: str) -> str:
    import glob

    return glob.escape(name)


def _rel(root: Path, path: Path) -> str:
    return PurePosixPath(os.path.relpath(path, root)).as_posix()
