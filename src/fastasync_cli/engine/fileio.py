"""The bytes of the user's files: read once, edited as plain text, written back alike.

Every file a plan reads goes through `read_text_file`: the bytes are kept (so apply can
check nothing changed them since), the edit code gets UTF-8 text with `\\n` line
endings, and `encode` turns the new text back into bytes that keep the file's BOM and
every unchanged line byte for byte, its line ending included. Added lines take the
file's usual line ending.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import glob
import os
import shlex
import shutil
import stat
import struct
import tempfile
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from fastasync_cli.engine.links import (
    dangling_link,
    link_out,
    link_to_nothing,
    refuse_dangling_folder_link,
)
from fastasync_cli.errors import TargetError

BOM = b"\xef\xbb\xbf"
# apply's backup of a file it replaces: a hard link beside it, `.NAME.N` + this suffix.
BACKUP_SUFFIX = ".fastasync-backup"


@dataclass(frozen=True)
class TextFile:
    """One file as read: its exact bytes and the plain text the edit code sees."""

    raw: bytes
    text: str  # decoded, BOM dropped, every line ending made "\n"
    bom: bool
    newline: str  # "\r\n" when most lines end so, else "\n"

    def encode(self, text: str) -> bytes:
        """`text` (with "\\n" endings) as bytes in this file's encoding and style."""
        if text == self.text:
            return self.raw
        old_lines = _split_lines(self.decoded)
        plain_old = [_plain(line) for line in old_lines]
        new_lines = _split_lines(text)
        out: list[str] = []
        matcher = difflib.SequenceMatcher(None, plain_old, new_lines, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                out.extend(old_lines[i1:i2])
            else:
                out.extend(_with_newline(line, self.newline) for line in new_lines[j1:j2])
        return (BOM if self.bom else b"") + "".join(out).encode("utf-8")

    @property
    def decoded(self) -> str:
        return self.raw[len(BOM) :].decode("utf-8") if self.bom else self.raw.decode("utf-8")


def _split_lines(text: str) -> list[str]:
    """Lines with their endings; only "\\n" ends a line (not form feeds and the like)."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def _plain(line: str) -> str:
    return line[:-2] + "\n" if line.endswith("\r\n") else line


def _with_newline(line: str, newline: str) -> str:
    if newline == "\r\n" and line.endswith("\n") and not line.endswith("\r\n"):
        return line[:-1] + "\r\n"
    return line


def decode(raw: bytes, display: str) -> TextFile:
    """`raw` as a `TextFile`; a file that is not UTF-8 is refused, naming it."""
    bom = raw.startswith(BOM)
    body = raw[len(BOM) :] if bom else raw
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TargetError(
            f"{display} is not UTF-8 text (byte 0x{body[exc.start]:02x} at offset "
            f"{exc.start + (3 if bom else 0)}), so fastasync cannot edit it safely.",
            f"Nothing was written. Convert it to UTF-8 (e.g. iconv -f latin1 -t utf-8 "
            f"{display}), then run the command again.",
        ) from None
    newline = usual_newline(body) or "\n"
    return TextFile(raw=raw, text=decoded.replace("\r\n", "\n"), bom=bom, newline=newline)


def usual_newline(data: bytes) -> str | None:
    """CRLF or LF, whichever ends most lines of `data` (UTF-8); None when no line ends."""
    crlf = data.count(b"\r\n")
    lf = data.count(b"\n") - crlf
    if not crlf and not lf:
        return None
    return "\r\n" if crlf > lf else "\n"


def read_bytes(path: Path, display: str) -> bytes | None:
    """The file's bytes, or None when it does not exist; unreadable files are refused."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise TargetError(
            f"{display} is a folder, where fastasync expects a file.",
            "Nothing was written. Move the folder out of the way, then run the command again.",
        ) from None
    except NotADirectoryError:
        raise _file_in_the_way(path, display) from None
    except PermissionError:
        raise TargetError(
            f"Cannot read {display}: permission denied.",
            f"Nothing was written. Make it readable (chmod u+r {display}), then run the "
            "command again.",
        ) from None
    except OSError as exc:
        raise TargetError(
            f"Cannot read {display}: {exc.strerror}.",
            "Nothing was written. Fix the file, then run the command again.",
        ) from None


def _file_in_the_way(path: Path, display: str) -> TargetError:
    """A file where a folder above `path` should be (`app/tasks` a file), named;
    "Cannot read app/tasks/foo.py: Not a directory" left the user to find it."""
    shown_parents = PurePosixPath(display).parents
    for level, parent in enumerate(path.parents):
        if parent.exists() and not parent.is_dir():
            shown = shown_parents[level] if level < len(shown_parents) - 1 else parent
            return TargetError(
                f"{shown} is a file, where fastasync expects a folder.",
                "Nothing was written. Move the file out of the way, then run the command again.",
            )
    return TargetError(
        f"Cannot read {display}: a part of its path is not a folder.",
        "Nothing was written. Fix the path, then run the command again.",
    )


def read_text_file(root: Path, rel: str | PurePosixPath) -> TextFile | None:
    """The file `root/rel` as a `TextFile`, or None when it does not exist."""
    target = dangling_link(root, rel)
    if target is not None:
        raise TargetError(
            f"{rel} is {target}.",
            "Nothing was written. Point the link at a file that exists, or replace it "
            "with the file (e.g. restore it from git), then run the command again.",
        )
    path = inside(root, rel)
    raw = read_bytes(path, str(rel))
    return None if raw is None else decode(raw, str(rel))


def inside(root: Path, rel: str | PurePosixPath) -> Path:
    """`root/rel` with symlinks resolved; refused when that leaves the project.

    A symlink inside the project to another place inside it is fine: the edit goes to
    its target and the link stays a link.
    """
    real_root = root.resolve()
    refuse_dangling_folder_link(root, PurePosixPath(rel))
    try:
        real = (root / rel).resolve()
    except (RuntimeError, OSError):  # a link that loops: RuntimeError before 3.13
        raise TargetError(
            f"{rel} is {link_to_nothing(root / rel) or 'a symbolic link that loops'}.",
            "Nothing was written. Remove the link or point it at a file that exists, "
            "then run the command again.",
        ) from None
    if real != real_root and real_root not in real.parents:
        raise TargetError(
            f"{rel} leads outside the project (to {real}) through "
            f"{link_out(root, real_root, PurePosixPath(rel))}, so fastasync will not "
            "write it.",
            "Nothing was written. Replace the link with a real file or folder inside the "
            "project, then run the command again.",
        )
    return real


def refuse_read_only(path: Path, display: str) -> None:
    """Refuse to replace a file the user made read-only (even when running as root)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise TargetError(
            f"{display} is read-only (mode {stat.S_IMODE(mode):04o}), so fastasync will "
            "not change it.",
            f"Nothing was written. Make it writable (chmod u+w {display}) if it may be "
            "changed, then run the command again.",
        )
    refuse_locked(path, display)


# Linux inode flags (FS_IOC_GETFLAGS): no process may replace or rename such a file,
# or add or remove names in such a folder, root included.
_FS_IOC_GETFLAGS = 0x80086601 if struct.calcsize("l") == 8 else 0x80046601
_LOCKED_FLAGS = {0x10: ("immutable", "i"), 0x20: ("append-only", "a")}


def refuse_locked(path: Path, display: str, what: str = "") -> None:
    """Refuse a file or folder on a read-only file system, or marked immutable or
    append-only (`chattr +i`, `+a`): writing there failed part-way with a temporary
    file's name in the error."""
    try:
        read_only_fs = bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return
    if read_only_fs:
        raise TargetError(
            f"{what}{display} is on a read-only file system, so fastasync will not write "
            f"{'in' if what else 'to'} it.",
            "Nothing was written. Mount it read-write, then run the command again.",
        )
    flags = _inode_flags(path)
    for flag, (name, letter) in _LOCKED_FLAGS.items():
        if flags & flag:
            raise TargetError(
                f"{what}{display} is {name} (chattr +{letter}), so fastasync will not "
                f"{'write in' if what else 'change'} it.",
                f"Nothing was written. Clear the flag (chattr -{letter} {display}) if it "
                "may be changed, then run the command again.",
            )


def _inode_flags(path: Path) -> int:
    """The file's inode flags; 0 where the system or file system has none."""
    import array
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return 0
    try:
        buffer = array.array("l", [0])
        fcntl.ioctl(fd, _FS_IOC_GETFLAGS, buffer, True)
        return buffer[0]
    except OSError:
        return 0
    finally:
        os.close(fd)


def other_hard_links(path: Path) -> int:
    """How many other names (hard links) the file at `path` has, anywhere on its file
    system; backups apply left beside it (a run killed mid-commit) do not count."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return 0
    others = status.st_nlink - 1
    if others > 0:
        pattern = f".{glob.escape(path.name)}.*{BACKUP_SUFFIX}"
        for backup in path.parent.glob(pattern):
            with contextlib.suppress(OSError):
                if os.path.samestat(backup.stat(), status):
                    others -= 1
    return others


def refuse_hard_linked(paths: list[tuple[Path, str]]) -> None:
    """Refuse to replace files that have other hard links, naming every one of them.

    Replacing such a file (a new file renamed over it, as apply does) would silently
    cut it off from its other names; writing into it instead would change them too,
    wherever they are (outside the project, in a `cp -al` snapshot), and give up the
    old-or-new guarantee. Only the user knows which they meant.
    """
    linked = [(display, n) for path, display in paths if (n := other_hard_links(path)) > 0]
    if not linked:
        return
    names = ", ".join(f"{display} ({n} other name{'s' * (n > 1)})" for display, n in linked)
    one = len(linked) == 1
    it = "it" if one else "them"
    first = shlex.quote(linked[0][0])
    raise TargetError(
        f"{names} {'has' if one else 'have'} other hard links, so fastasync will not "
        f"change {it}: replacing {it} would cut {it} off from those names, and writing "
        f"into {it} would change those too.",
        f"Nothing was written. Give {'it' if one else 'each'} a copy of its own (cp -p "
        f"{first} {first}.own && mv {first}.own {first}), then run the command again; "
        "link the other names again afterwards if they should follow.",
    )


def refuse_read_only_folder(path: Path, root: Path) -> None:
    """Refuse to write into a folder the user made read-only (the nearest existing one)."""
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    mode = folder.stat().st_mode
    shown = folder.relative_to(root) if root in folder.parents else folder
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise TargetError(
            f"The folder {shown} is read-only (mode {stat.S_IMODE(mode):04o}), so "
            "fastasync will not write in it.",
            f"Nothing was written. Make it writable (chmod u+w {shown}) if it may be "
            "changed, then run the command again.",
        )
    refuse_locked(folder, str(shown), what="The folder ")


# fsync where the system or file system cannot do it (a folder on Windows or on some
# network file systems): there is nothing more to do.
_NO_FSYNC_HERE = frozenset(
    {errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EBADF, errno.EACCES, errno.EPERM}
    | {errno.EISDIR}
)


def fsync_paths(paths: Collection[Path]) -> None:
    """Make each file's bytes, and each folder's names (files created, renamed or
    removed in it), last a power cut; an OSError names the path that failed.

    All at once, from threads: concurrent fsyncs share the file system's journal
    commits, so `new`'s 83 files cost a few disk flushes instead of 83 (12 ms instead
    of 135 ms on the machine the figures in docs/design.md come from)."""
    if len(paths) <= 1:
        for path in paths:
            _fsync_path(path)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(16, len(paths))) as pool:
        for _ in pool.map(_fsync_path, paths):
            pass  # re-raises the first failure


def _fsync_path(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except PermissionError:
        try:  # a file its owner may write but not read
            fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
        except OSError as exc:
            if exc.errno in _NO_FSYNC_HERE:
                return
            raise
    except OSError as exc:
        if exc.errno in _NO_FSYNC_HERE:
            return
        raise
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _NO_FSYNC_HERE:
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
    finally:
        os.close(fd)


def keep_owner(path: Path | int, like: os.stat_result) -> None:
    """Give `path` the owner and group of `like` where this process may."""
    if os.geteuid() == 0:
        os.chown(path, like.st_uid, like.st_gid)
    elif like.st_gid != os.getegid():
        with contextlib.suppress(PermissionError):
            os.chown(path, -1, like.st_gid)


@contextmanager
def scratch_folder(prefix: str) -> Iterator[Path]:
    """A temporary folder, removed on the way out even when a signal lands meanwhile."""
    from fastasync_cli import interrupts

    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        with interrupts.held():
            shutil.rmtree(folder, ignore_errors=True)
