"""Undoing a run that was killed mid-apply, from its journal (see `journal`).

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
/proc) is judged by the pid alone. The undo is fsynced before the journal is removed.
"""

from __future__ import annotations

import contextlib
import errno
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from fastasync_cli.engine.fileio import BACKUP_SUFFIX, fsync_paths
from fastasync_cli.engine.journal import (
    JOURNAL_NAME,
    Entries,
    UndoError,
    digest,
    not_a_journal,
    parse,
    unreadable,
)
from fastasync_cli.engine.process_identity import ProcessIdentity, gone


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
        raise not_a_journal(path) from None
    if b"\n" not in text:
        # Not one whole line: its writer was killed (or the power cut) before the
        # journal's first line, which comes before any step, was written or on the
        # disk. Nothing was done, so there is nothing to undo; "cannot be read (list
        # index out of range) ... repair it by hand" sent the user to look for damage
        # that was not there. Under the lock no live run can be writing it.
        if not dry_run:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        return None
    entries = parse(text, path)
    if not gone(entries.writer):
        return None
    report = Recovery(entries.writer.pid, committed=entries.committed)
    try:
        _undo(root, entries, report, dry_run=dry_run, temporaries=temporaries)
    except (ValueError, KeyError, TypeError) as exc:
        raise unreadable(path, exc) from None
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
    _remove_temporaries(root, entries.writer, report, dry_run, temporaries)
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
    root: Path,
    writer: ProcessIdentity,
    report: Recovery,
    dry_run: bool,
    temporaries: list[Path] | None,
) -> None:
    from fastasync_cli.engine.leftovers import temporary_files, written_by

    # Whether a process has its pid now or not: the writer is gone (its pid may have
    # been reused), so the files named with its identity are its own; a file with
    # its pid but another start time is a later process's, maybe a live one's.
    for tmp in temporary_files(root) if temporaries is None else temporaries:
        if not written_by(tmp.name, writer):
            continue  # another run's: `leftovers` reports it if its writer is gone
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
