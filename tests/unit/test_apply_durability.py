"""Apply's writes last a power cut: what is fsynced, and in which order (`engine.apply`).

The order is the guarantee: a step may reach the disk only after the journal line
announcing it, a file's name only after its bytes, "committed" only after every new
name, the journal's removal only after the backups' removal. The calls are recorded
(os.fsync, os.link, os.replace, os.mkdir, os.unlink) and their order checked; what the
disk does is not timed.
"""

from __future__ import annotations

import errno
import os
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from fastasync_cli.engine.apply import apply
from fastasync_cli.engine.fileio import fsync_paths
from fastasync_cli.engine.journal import JOURNAL_NAME
from fastasync_cli.engine.plan import Plan, plan_file, plan_update
from fastasync_cli.errors import TargetError

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/fd").is_dir(), reason="names an fsynced descriptor through /proc"
)


@dataclass(frozen=True)
class Call:
    name: str  # fsync, link, replace, mkdir, unlink
    path: str  # fsync, mkdir, unlink: the path; link, replace: the destination
    source: str = ""  # link, replace
    journal: tuple[str, ...] = ()  # fsync of the journal: its lines then


class Calls:
    """The calls of one apply, in order (fsyncs run from threads: a lock)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        real = {name: getattr(os, name) for name in ("fsync", "link", "replace", "mkdir", "unlink")}

        def fsync(fd: int) -> None:
            path = os.readlink(f"/proc/self/fd/{fd}")
            lines: tuple[str, ...] = ()
            if path.endswith(JOURNAL_NAME):
                lines = tuple(Path(path).read_text().splitlines())
            real["fsync"](fd)
            self._add(Call("fsync", path, journal=lines))

        def two(name: str) -> Callable[..., None]:
            def call(src: object, dst: object, *args: object, **kwargs: object) -> None:
                real[name](src, dst, *args, **kwargs)
                self._add(Call(name, os.fspath(dst), source=os.fspath(src)))  # type: ignore[arg-type]

            return call

        def one(name: str) -> Callable[..., None]:
            def call(path: object, *args: object, **kwargs: object) -> None:
                self._add(Call(name, os.fspath(path)))  # type: ignore[arg-type]
                real[name](path, *args, **kwargs)

            return call

        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "link", two("link"))
        monkeypatch.setattr(os, "replace", two("replace"))
        monkeypatch.setattr(os, "mkdir", one("mkdir"))
        monkeypatch.setattr(os, "unlink", one("unlink"))

    def _add(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def index(self, match: Callable[[Call], bool]) -> int:
        found = [i for i, call in enumerate(self.calls) if match(call)]
        assert len(found) == 1, (found, self.calls)
        return found[0]

    def journal_synced(self, text: str) -> int:
        """The first fsync of the journal with a line holding `text`."""
        return next(
            i
            for i, call in enumerate(self.calls)
            if call.name == "fsync" and any(text in line for line in call.journal)
        )

    def synced_between(self, path: Path, after: int, before: int) -> bool:
        return any(
            call.name == "fsync" and call.path == str(path)
            for call in self.calls[after + 1 : before]
        )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "old.py").write_text("x = 1\n")
    return root.resolve()


def _plan(root: Path) -> Plan:
    plan = Plan(root=root)
    plan.add(plan_file(root, "pkg/new.py", "y = 1\n"))  # a create, in a new folder
    plan.add(plan_update(root, "old.py", "x = 2\n"))  # a replace
    return plan


def test_a_create_is_journalled_and_its_bytes_synced_before_its_link(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = Calls(monkeypatch)
    apply(_plan(tree))
    assert (tree / "pkg" / "new.py").read_text() == "y = 1\n"
    pkg, new = tree / "pkg", tree / "pkg" / "new.py"

    # The folder: its line on the disk before it is made.
    made = calls.index(lambda c: c.name == "mkdir" and c.path == str(pkg))
    assert calls.journal_synced('{"dir": "pkg"}') < made
    # The file: its staged bytes and its line on the disk before its link.
    linked = calls.index(lambda c: c.name == "link" and c.path == str(new))
    staged = calls.calls[linked].source
    assert calls.index(lambda c: c.name == "fsync" and c.path == staged) < linked
    assert calls.journal_synced('"create": "pkg/new.py"') < linked
    # Its name, and the folder's, on the disk before "committed" is.
    committed = calls.journal_synced('"committed"')
    assert linked < committed
    assert calls.synced_between(pkg, linked, committed)
    assert calls.synced_between(tree, made, committed)


def test_a_replace_keeps_a_synced_backup_named_in_the_journal_before_its_rename(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = Calls(monkeypatch)
    apply(_plan(tree))
    assert (tree / "old.py").read_text() == "x = 2\n"
    old = tree / "old.py"

    renamed = calls.index(lambda c: c.name == "replace" and c.path == str(old))
    staged = calls.calls[renamed].source
    assert calls.index(lambda c: c.name == "fsync" and c.path == staged) < renamed
    assert calls.journal_synced('"replace": "old.py"') < renamed
    backed_up = calls.index(lambda c: c.name == "link" and c.source == str(old))
    backup = calls.calls[backed_up].path
    # The backup's name and its line on the disk before the rename.
    assert calls.synced_between(tree, backed_up, renamed)
    assert calls.journal_synced(Path(backup).name) < renamed
    # The rename on the disk before "committed".
    committed = calls.journal_synced('"committed"')
    assert calls.synced_between(tree, renamed, committed)
    # Afterwards: the backup's removal on the disk before the journal's, then that.
    discarded = calls.index(lambda c: c.name == "unlink" and c.path == backup)
    removed = calls.index(lambda c: c.name == "unlink" and c.path.endswith(JOURNAL_NAME))
    assert committed < discarded < removed
    assert calls.synced_between(tree, discarded, removed)
    assert calls.synced_between(tree, removed, len(calls.calls))
    assert not (tree / JOURNAL_NAME).exists()


def test_the_journal_and_its_name_are_synced_before_any_step(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = Calls(monkeypatch)
    apply(_plan(tree))
    first_step = min(i for i, c in enumerate(calls.calls) if c.name in {"mkdir", "link", "replace"})
    header = next(
        i for i, c in enumerate(calls.calls) if c.journal and '"journal": 1' in c.journal[0]
    )
    assert header < first_step
    assert calls.synced_between(tree, -1, first_step)


def test_nothing_is_synced_for_a_scratch_tree(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`new` applies `add` plans to a project in a temporary folder no one sees."""
    calls = Calls(monkeypatch)
    apply(_plan(tree), users_tree=False)
    assert (tree / "old.py").read_text() == "x = 2\n"
    assert (tree / "pkg" / "new.py").read_text() == "y = 1\n"
    assert [call for call in calls.calls if call.name == "fsync"] == []
    assert {call.name for call in calls.calls} >= {"link", "replace", "mkdir", "unlink"}


def test_a_failed_fsync_after_the_renames_rolls_everything_back(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disk error syncing a folder the commit changed: the run is undone, as for any
    failed write, and says which file it could not write."""
    real_fsync = os.fsync
    pkg = str(tree / "pkg")

    def failing(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}") == pkg and (tree / "pkg" / "new.py").exists():
            raise OSError(errno.EIO, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing)
    with pytest.raises(TargetError) as caught:
        apply(_plan(tree))
    assert caught.value.message == f"Could not write {pkg}: Input/output error."
    assert sorted(p.name for p in tree.iterdir()) == ["old.py"]
    assert (tree / "old.py").read_text() == "x = 1\n"


@pytest.mark.parametrize("code", [errno.EINVAL, errno.ENOTSUP])
def test_a_file_system_that_cannot_fsync_is_written_all_the_same(
    tree: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    def cannot(fd: int) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "fsync", cannot)
    apply(_plan(tree))
    assert (tree / "old.py").read_text() == "x = 2\n"
    assert not (tree / JOURNAL_NAME).exists()


def test_fsync_paths_syncs_every_file_and_folder_it_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = [tmp_path / f"f{i}" for i in range(20)]
    for path in paths:
        path.write_text("x")
    calls = Calls(monkeypatch)
    fsync_paths([*paths, tmp_path])
    synced = sorted(call.path for call in calls.calls if call.name == "fsync")
    assert synced == sorted(str(path) for path in [*paths, tmp_path])
    assert all(stat.S_ISREG(path.stat().st_mode) for path in paths)
