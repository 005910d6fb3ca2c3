"""Apply a plan: the old tree or the new one, never a mix, and nothing left behind.

1. Check: every file the plan read still has the bytes it read, every file it creates
   is still absent, no path leads outside the project, nothing to change is read-only.
   Otherwise stop, nothing written.
2. Stage: each new content goes to a temporary file beside its target, with the
   target's mode and owner. A signal here stops the staging and removes what it made.
   A file that has other hard links is refused, all of them named at once: renaming
   over it would cut it off from its other names (see `fileio.refuse_hard_linked`).
3. Commit: each replaced file gets a hard-linked backup, then the temporary file is
   renamed over it (new files are linked in, which never clobbers one that appeared).
   Signals are held (see `interrupts`): once this starts, it finishes or is rolled back.
4. Backups are removed. A failure in 2 or 3 rolls everything back; a rollback step that
   fails itself is reported by name, with where the old content was kept.

Every step of 2 and 3 is first written to an undo journal in the project's root (see
`journal`), removed when the run ends either way: a process killed outright (SIGKILL),
which no handler sees, is undone by the next run from it.

A power cut is covered too: the staged files' bytes, the journal's lines and the
folders' names are fsynced in rounds (each round at once, see `fileio.fsync_paths`) so
that no step reaches the disk before the line announcing it, no name before its bytes,
"committed" not before every new name, and the journal's removal not before the
backups'. Not where fsync is a no-op or a lie (docs/design.md), nor for scratch trees
(`users_tree=False`), which no one sees.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from fastasync_cli import interrupts
from fastasync_cli.engine.fileio import (
    BACKUP_SUFFIX,
    fsync_paths,
    inside,
    keep_owner,
    read_bytes,
    refuse_hard_linked,
    refuse_read_only,
    refuse_read_only_folder,
)
from fastasync_cli.engine.journal import Journal
from fastasync_cli.engine.plan import Action, FileChange, Plan
from fastasync_cli.engine.process_identity import name_token
from fastasync_cli.errors import ConflictError, FastasyncError, TargetError, explain_os_error

TMP_SUFFIX = ".fastasync-tmp"
# Test hook: seconds to wait after staging and after committing each file, to widen the
# window a signal test aims at. Never set it outside tests.
_DELAY_VARIABLE = "FASTASYNC_TEST_APPLY_DELAY"


class RollbackError(FastasyncError):
    """Applying failed and putting everything back failed too, part-way."""


@dataclass
class _Staged:
    change: FileChange
    target: Path  # symlinks resolved
    tmp: Path | None = None
    backup: Path | None = None
    committed: bool = False


@dataclass
class _Run:
    plan: Plan
    staged: list[_Staged] = field(default_factory=list)
    created_dirs: list[Path] = field(default_factory=list)
    delay: float = 0.0
    journal: Journal | None = None
    durable: bool = True  # fsync (see the module's docstring)


def apply(plan: Plan, *, users_tree: bool = True) -> None:
    """Write every change of the plan, all or nothing (see the module's docstring).

    `users_tree` is False for scratch trees no one sees; otherwise a signal that lands
    after the commit is reported as arriving after the changes were written.
    """
    if plan.conflicts:
        names = ", ".join(str(c.path) for c in plan.conflicts)
        raise ConflictError(
            f"These files exist with other content: {names}.",
            "Nothing was written. Run again with --force to replace them.",
        )
    run = _Run(
        plan,
        delay=float(os.environ.get(_DELAY_VARIABLE, "0") or 0),
        # A scratch tree no one sees need not last a power cut.
        durable=users_tree,
    )
    with interrupts.held():
        _check(plan)
        try:
            _stage(run)
            _commit(run)
        except BaseException as exc:
            _roll_back(run, exc)  # one that fails keeps the journal for the next run
            if isinstance(exc, OSError):
                what, todo = explain_os_error(exc) or (
                    exc.strerror,
                    "Check the folder's permissions and free space",
                )
                raise TargetError(
                    f"Could not write {_shown(run, exc.filename)}: {what}.",
                    f"Nothing was changed. {todo}, then run again.",
                ) from exc
            raise
        _discard_backups(run)
        if run.journal is not None:
            run.journal.remove()
        if users_tree:
            interrupts.mark_written()


def _shown(run: _Run, filename: object) -> str:
    """The file a failed write was for, as the user knows it: its name in the project,
    not the temporary file or backup beside it (`.NAME.*`, gone after the rollback)."""
    if not filename:
        return str(run.plan.root)
    failed = Path(str(filename))
    for staged in run.staged:
        target = staged.target
        if failed == target or (
            failed.parent == target.parent and failed.name.startswith(f".{target.name}.")
        ):
            return str(staged.change.path)
    return str(failed)


def _changed_underneath(change: FileChange) -> ConflictError:
    return ConflictError(
        f"{change.path} changed while fastasync was planning (another program or "
        "command wrote it).",
        "Nothing was written. Run the command again.",
    )


def _check(plan: Plan) -> None:
    """Step 1: the tree is still the one the plan was made from."""
    if plan.creates_root and plan.root.exists():
        raise ConflictError(
            f"{plan.root} was created by something else while planning.",
            "Nothing was written. Run the command again.",
        )
    if not plan.root.exists():
        refuse_read_only_folder(plan.root, plan.root)
        return
    real_root = plan.root.resolve()
    replaced: list[tuple[Path, str]] = []
    for change in plan.changes:
        # A skipped file left alone for what it holds (read) must still hold it.
        if change.action is Action.SKIP and change.read is None:
            continue
        target = inside(plan.root, change.path)
        if change.action.writes:
            refuse_read_only_folder(target, real_root)
        if change.action is Action.CREATE:
            # A link to nothing made meanwhile would be written through.
            if os.path.lexists(target) or os.path.lexists(plan.root / change.path):
                raise _changed_underneath(change)
            continue
        if change.read is not None and read_bytes(target, str(change.path)) != change.read:
            raise _changed_underneath(change)
        if change.action.writes:
            refuse_read_only(target, str(change.path))
            replaced.append((target, str(change.path)))
    refuse_hard_linked(replaced)


def _pause(run: _Run) -> None:
    if run.delay:
        time.sleep(run.delay)


def _stage(run: _Run) -> None:
    """Step 2: every new content in a temporary file beside its target."""
    umask = os.umask(0)
    os.umask(umask)
    if run.plan.creates_root:
        _make_dirs([run.plan.root], run)
    # The journal lives in the root, so the folders a `new` made for it come first and
    # are recorded right after (a kill in between leaves empty folders, no more).
    run.journal = Journal(run.plan.root, durable=run.durable)
    run.journal.open()
    for directory in run.created_dirs:
        run.journal.folder(directory)
    targets = [(change, inside(run.plan.root, change.path)) for change in run.plan.writes]
    writer = name_token(run.journal.writer)
    _make_dirs([target.parent for _, target in targets], run)
    for change, target in targets:
        interrupts.checkpoint()
        staged = _Staged(change, target)
        run.staged.append(staged)
        # The writer's identity in the name tells the next run whether its writer is
        # gone (killed outright), its pid reused or not: see `leftovers`.
        fd, name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.{writer}.", suffix=TMP_SUFFIX
        )
        staged.tmp = Path(name)
        with os.fdopen(fd, "wb") as handle:
            handle.write(change.new_bytes)
            handle.flush()
            if change.action is Action.CREATE:
                mode = (change.mode if change.mode is not None else 0o666) & ~umask
                os.fchmod(fd, mode)
            else:
                existing = target.stat()
                keep_owner(fd, existing)  # before chmod: chown clears setuid bits
                os.fchmod(fd, existing.st_mode & 0o7777)
        _pause(run)
    interrupts.checkpoint()


def _make_dirs(directories: list[Path], run: _Run) -> None:
    """Make the missing folders among `directories` and above them, parents first;
    each one is in the journal (when there is one yet) before it is made."""
    missing: dict[Path, None] = {}  # ordered, and each folder once
    for directory in directories:
        chain = []
        for parent in [directory, *directory.parents]:
            if parent in missing or parent.exists():
                break
            chain.append(parent)
        missing.update(dict.fromkeys(reversed(chain)))
    if run.journal is not None and missing:
        for folder in missing:
            run.journal.folder(folder)
        run.journal.sync()
    for folder in missing:
        folder.mkdir()
        run.created_dirs.append(folder)


def _commit(run: _Run) -> None:
    """Step 3: rename every staged file into place (signals are held meanwhile).

    Durably (see the module's docstring), in rounds of fsyncs done at once: the staged
    files with the journal's lines naming the files to create and replace; the
    backups' folders with their lines; the renames; every folder whose names changed;
    "committed"."""
    journal = run.journal
    assert journal is not None
    replaced = [staged for staged in run.staged if staged.change.action is not Action.CREATE]
    for staged in run.staged:
        if staged.change.action is Action.CREATE:
            journal.create(staged.target, staged.change.new_bytes)
        else:
            journal.replace(staged.target, staged.change.new_bytes)
    journal.sync(*[staged.tmp for staged in run.staged if staged.tmp is not None])
    for staged in replaced:
        staged.backup = _backup(staged.target, durable=run.durable)
        journal.backup(staged.target, staged.backup)
    journal.sync(*sorted({staged.target.parent for staged in replaced}))
    for staged in run.staged:
        assert staged.tmp is not None
        if staged.change.action is Action.CREATE:
            # link() fails if the name appeared meanwhile: never clobber a file.
            os.link(staged.tmp, staged.target)
            staged.committed = True
            staged.tmp.unlink()
        else:
            os.replace(staged.tmp, staged.target)
            staged.committed = True
        staged.tmp = None
        _pause(run)
    _sync_folders(run, _folders_changed(run))
    journal.committed()
    journal.sync()


def _sync_folders(run: _Run, folders: set[Path] | list[Path]) -> None:
    if run.durable:
        fsync_paths(sorted(folders))


def _folders_changed(run: _Run) -> set[Path]:
    """The folders whose names the commit changed: where each file went, and where
    each new folder was made."""
    folders = {staged.target.parent for staged in run.staged}
    folders.update(directory.parent for directory in run.created_dirs)
    return folders


def _backup(target: Path, *, durable: bool) -> Path:
    for attempt in range(100):
        backup = target.with_name(f".{target.name}.{attempt}{BACKUP_SUFFIX}")
        try:
            os.link(target, backup)
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in {errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP}:
                raise
            # A file system without hard links: a copy does too.
            shutil.copy2(target, backup)
            if durable:
                fsync_paths([backup])
        return backup
    raise FileExistsError(errno.EEXIST, "too many leftover backups", str(target))


@dataclass
class _RollbackReport:
    restored: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _roll_back(run: _Run, cause: BaseException) -> None:
    """Undo steps 2 and 3; raise `RollbackError` naming what could not be undone."""
    report = _RollbackReport()
    for staged in reversed(run.staged):
        path = staged.change.path
        try:
            if staged.committed and staged.backup is not None:
                os.replace(staged.backup, staged.target)
                staged.backup = None
                report.restored.append(str(path))
            elif staged.committed:
                staged.target.unlink()
                report.restored.append(str(path))
            elif staged.backup is not None:
                staged.backup.unlink()
                staged.backup = None
        except OSError as exc:
            kept = f" (its old content is in {staged.backup})" if staged.backup else ""
            report.failed.append(f"{path}: {exc.strerror}{kept}")
        if staged.tmp is not None:
            try:
                staged.tmp.unlink()
            except OSError as exc:
                report.failed.append(f"temporary file {staged.tmp}: {exc.strerror}")
    if run.journal is not None and not report.failed:
        # What was put back on the disk before the journal's removal can be.
        try:
            _sync_folders(run, _folders_changed(run))
        except OSError as exc:
            report.failed.append(f"folder {exc.filename}: {exc.strerror}")
    if run.journal is not None and not report.failed:
        run.journal.remove()  # before the folders: it is in the root
    for directory in reversed(run.created_dirs):
        try:
            directory.rmdir()
        except OSError as exc:
            # A folder something else has put files in meanwhile stays.
            if exc.errno not in {errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT}:
                report.failed.append(f"folder {directory}: {exc.strerror}")
    if report.failed:
        if run.journal is not None:
            run.journal.close()  # kept: the next run retries what failed here
        restored = ", ".join(report.restored) or "nothing needed restoring"
        raise RollbackError(
            f"Writing failed ({_describe(cause)}), and undoing it failed too: "
            f"{'; '.join(report.failed)}.",
            f"Restored: {restored}. The next fastasync command on this project retries "
            "the undo; or check the files named above by hand (git status shows what "
            "differs).",
        ) from cause


def _describe(exc: BaseException) -> str:
    if isinstance(exc, interrupts.Interrupted):
        return f"interrupted by {exc.name}"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if isinstance(exc, OSError):
        return f"{exc.filename or ''}: {exc.strerror}".lstrip(": ")
    return type(exc).__name__


def _discard_backups(run: _Run) -> None:
    """Remove the backups, on the disk before the journal's removal can be (else a
    power cut could leave backups and no journal naming them)."""
    folders = set()
    for staged in run.staged:
        if staged.backup is not None:
            with contextlib.suppress(OSError):
                staged.backup.unlink()
                folders.add(staged.backup.parent)
            staged.backup = None
    with contextlib.suppress(OSError):  # a journal left has "committed": tidied later
        _sync_folders(run, folders)
