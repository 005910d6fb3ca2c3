"""A plan is every file change a command will make; only `engine.apply` touches the disk."""

from __future__ import annotations

import difflib
import enum
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from fastasync_cli.engine.fileio import (
    TextFile,
    decode,
    inside,
    read_bytes,
    refuse_read_only,
    usual_newline,
)
from fastasync_cli.engine.links import refuse_link_to_nothing
from fastasync_cli.errors import TargetError


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
    content: str | None = None  # the new content, for actions that write ("\n" endings)
    old: str | None = None  # the current content as text, when it exists and is UTF-8
    mode: int | None = None  # permission bits for a new file; None keeps the default
    # The file's bytes when planned (None: it did not exist); apply checks they still are.
    read: bytes | None = None
    source: TextFile | None = None  # how the current file is encoded, to write alike
    reason: str | None = None  # why, shown after the status line (a `skip`, say)
    # The line ending of a file written whole (created): the project's, see
    # `Plan.follow_line_endings`.
    newline: str = "\n"

    @property
    def new_bytes(self) -> bytes:
        """The bytes apply writes: the file's own BOM and line endings kept."""
        assert self.content is not None
        if self.source is not None and self.action in {Action.UPDATE, Action.OVERWRITE}:
            return self.source.encode(self.content)
        if self.newline != "\n":
            return self.content.replace("\n", self.newline).encode("utf-8")
        return self.content.encode("utf-8")

    def diff(self) -> str:
        """A unified diff from the current bytes to the new ones (line endings shown)."""
        if self.old is None or self.content is None:
            return ""
        old = self.source.decoded if self.source is not None else self.old
        new = self.new_bytes.decode("utf-8").removeprefix("\ufeff")
        lines = difflib.unified_diff(
            _lines(old), _lines(new), fromfile=f"a/{self.path}", tofile=f"b/{self.path}"
        )
        return "".join(_visible_cr(line) for line in lines)


def _lines(text: str) -> list[str]:
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _visible_cr(line: str) -> str:
    # A carriage return is shown, so a diff cannot hide a change of line ending.
    return line.replace("\r\n", "\\r\n")


@dataclass(frozen=True)
class ByHand:
    """A part of the change the command cannot make and leaves to the user, while it
    makes the rest: what and why, what to do, and the exact lines to add."""

    message: str
    hint: str
    lines: str


@dataclass
class Plan:
    """Every change of one command, decided before anything is written."""

    root: Path
    changes: list[FileChange] = field(default_factory=list)
    # True when applying creates `root` itself (and a failure removes it again).
    creates_root: bool = False
    # What the user adds by hand: printed after the plan, the command still succeeds.
    by_hand: list[ByHand] = field(default_factory=list)

    def add(self, change: FileChange) -> None:
        if any(existing.path == change.path for existing in self.changes):
            raise ValueError(f"{change.path} is planned twice")
        self.changes.append(change)

    def follow_line_endings(self) -> None:
        """Give the files this plan creates the line ending of the files it edits.

        A project checked out with git's `autocrlf`, or converted by the user, has CRLF
        files; a new file with LF would stand out (and show as changed in every diff
        that normalises). CRLF only when every text file the plan read (those it edits,
        and those in the place of files it would create) mostly ends its lines so: a
        mixed project, or one where no file read ends a line, keeps LF.
        """
        endings = {_usual_newline(c.read) for c in self.changes if c.read is not None}
        endings.discard(None)
        if endings != {"\r\n"}:
            return
        self.changes = [
            replace(change, newline="\r\n") if change.action is Action.CREATE else change
            for change in self.changes
        ]

    @property
    def conflicts(self) -> list[FileChange]:
        return [c for c in self.changes if c.action is Action.CONFLICT]

    @property
    def writes(self) -> list[FileChange]:
        return [c for c in self.changes if c.action.writes]

    @property
    def unchanged(self) -> bool:
        return not self.writes and not self.conflicts


def _usual_newline(raw: bytes) -> str | None:
    """CRLF or LF, whichever ends most lines of `raw`; None for a file without a line
    ending, or one that is not text."""
    return None if b"\0" in raw else usual_newline(raw)


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
    refuse_link_to_nothing(root, path)
    target = inside(root, path) if root.exists() else root / path
    # A folder in the file's place is refused by read_bytes, naming it: it is no
    # conflict, since --force would not replace it either.
    raw = read_bytes(target, str(path))
    if raw is None:
        return FileChange(path, Action.CREATE, content, mode=mode)
    try:
        source: TextFile | None = decode(raw, str(path))
    except TargetError:  # not UTF-8: certainly not what we would write
        source = None
    old = source.text if source is not None else None
    if old == content:
        return FileChange(path, Action.IDENTICAL, content, old, read=raw, source=source)
    action = Action.OVERWRITE if force else Action.CONFLICT
    if action is Action.OVERWRITE:
        refuse_read_only(target, str(path))
    return FileChange(path, action, content, old, read=raw, source=source)


def plan_update(
    root: Path, rel: str | PurePosixPath, content: str, *, source: TextFile | None = None
) -> FileChange:
    """An edit of a file fastasync expects to exist (update, or identical if unchanged).

    `source` is the file as the edit read it; without it the file is read now.
    """
    from fastasync_cli.engine.fileio import read_text_file

    path = PurePosixPath(rel)
    if source is None:
        source = read_text_file(root, path)
        if source is None:
            raise FileNotFoundError(root / path)
    if source.text == content:
        return FileChange(path, Action.IDENTICAL, content, source.text, read=source.raw)
    refuse_read_only(inside(root, path), str(path))
    return FileChange(path, Action.UPDATE, content, source.text, read=source.raw, source=source)
