"""A plan is every file change a command will make; only `apply` touches the disk."""

from __future__ import annotations

import contextlib
import difflib
import enum
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from fastasync_cli.errors import ConflictError, TargetError


class Action(str, enum.Enum):
    """What happens to one file; the value is the status word users see."""

    CREATE = "create"
    UPDATE = "update"
    OVERWRITE = "overwrite"
    IDENTICAL = "identical"
    CONFLICT = "conflict"
    SKIP = "skip"

    @property
    def writes(self) -> bool:
        return self in {Action.CREATE, Action.UPDATE, Action.OVERWRITE}


@dataclass(frozen=True)
class FileChange:
    """One file of a plan: its path relative to the plan's root and what to do with it."""

    path: PurePosixPath
    action: Action
    content: str | None = None  # the new content, for actions that write
    old: str | None = None  # the current content, when the file exists
    mode: int | None = None  # permission bits for a new file; None keeps the default

    def diff(self) -> str:
        """A unified diff from the current content to the new one."""
        if self.old is None or self.content is None:
            return ""
        return "".join(
            difflib.unified_diff(
                self.old.splitlines(keepends=True),
                self.content.splitlines(keepends=True),
                fromfile=f"a/{self.path}",
                tofile=f"b/{self.path}",
            )
        )


@dataclass
class Plan:
    """Every change of one command, decided before anything is written."""

    root: Path
    changes: list[FileChange] = field(default_factory=list)
    # True when applying creates `root` itself (and a failure removes it again).
    creates_root: bool = False

    def add(self, change: FileChange) -> None:
        if any(existing.path == change.path for existing in self.changes):
            raise ValueError(f"{change.path} is planned twice")
        self.changes.append(change)

    @property
    def conflicts(self) -> list[FileChange]:
        return [c for c in self.changes if c.action is Action.CONFLICT]

    @property
    def writes(self) -> list[FileChange]:
        return [c for c in self.changes if c.action.writes]

    @property
    def unchanged(self) -> bool:
        return not self.writes and not self.conflicts


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None


def plan_file(
    root: Path,
    rel: str | PurePosixPath,
    content: str,
    *,
    force: bool = False,
    mode: int | None = None,
) -> FileChange:
    """Decide what writing `content` to `root/rel` means: create, identical, conflict..."""
    path = PurePosixPath(rel)
    target = root / path
    if target.is_dir():
        return FileChange(path, Action.CONFLICT, content)
    if not target.exists():
        return FileChange(path, Action.CREATE, content, mode=mode)
    old = _read_text(target)
    if old == content:
        return FileChange(path, Action.IDENTICAL, content, old)
    action = Action.OVERWRITE if force else Action.CONFLICT
    return FileChange(path, action, content, old)


def plan_update(root: Path, rel: str | PurePosixPath, content: str) -> FileChange:
    """An edit of a file fastasync expects to exist (update, or identical if unchanged)."""
    path = PurePosixPath(rel)
    old = (root / path).read_text(encoding="utf-8")
    action = Action.IDENTICAL if old == content else Action.UPDATE
    return FileChange(path, action, content, old)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@dataclass
class _Undo:
    """What apply has done so far, so it can be reversed."""

    created_files: list[Path] = field(default_factory=list)
    replaced_files: list[tuple[Path, Path]] = field(default_factory=list)  # target, backup
    created_dirs: list[Path] = field(default_factory=list)

    def rollback(self) -> None:
        for path in reversed(self.created_files):
            path.unlink(missing_ok=True)
        for target, backup in reversed(self.replaced_files):
            os.replace(backup, target)
        for directory in reversed(self.created_dirs):
            # A folder something else has put files in meanwhile stays.
            with contextlib.suppress(OSError):
                directory.rmdir()

    def discard_backups(self) -> None:
        for _, backup in self.replaced_files:
            backup.unlink(missing_ok=True)


def _make_dirs(directory: Path, undo: _Undo) -> None:
    missing = []
    for parent in [directory, *directory.parents]:
        if parent.exists():
            break
        missing.append(parent)
    for parent in reversed(missing):
        parent.mkdir()
        undo.created_dirs.append(parent)


def _write_atomically(target: Path, content: str, mode: int) -> None:
    fd, tmp_name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".fastasync-tmp"
    )
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(content)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def apply(plan: Plan) -> None:
    """Write every change of the plan, each file atomically, all or nothing.

    A failure or Ctrl-C part-way reverses what this call wrote: new files and folders
    are removed, replaced files get their old content back.
    """
    if plan.conflicts:
        names = ", ".join(str(c.path) for c in plan.conflicts)
        raise ConflictError(
            f"These files exist with other content: {names}.",
            "Nothing was written. Run again with --force to replace them.",
        )
    umask = _umask()
    undo = _Undo()
    try:
        if plan.creates_root:
            _make_dirs(plan.root, undo)
        for change in plan.writes:
            assert change.content is not None
            target = plan.root / change.path
            _make_dirs(target.parent, undo)
            if target.exists() and change.action is Action.CREATE:
                # Appeared between planning and writing: never clobber it.
                raise ConflictError(
                    f"{change.path} was created by something else while planning.",
                    "Nothing was changed. Run the command again.",
                )
            if target.exists():
                mode = target.stat().st_mode & 0o7777
                backup = target.with_name(f".{target.name}.fastasync-backup")
                shutil.copy2(target, backup)
                undo.replaced_files.append((target, backup))
                _write_atomically(target, change.content, mode)
            else:
                mode = (change.mode if change.mode is not None else 0o666) & ~umask
                undo.created_files.append(target)
                _write_atomically(target, change.content, mode)
    except BaseException as exc:
        undo.rollback()
        if isinstance(exc, OSError):
            raise TargetError(
                f"Could not write {exc.filename or plan.root}: {exc.strerror}.",
                "Nothing was changed. Check the folder's permissions and free space, "
                "then run again.",
            ) from exc
        raise
    undo.discard_backups()
