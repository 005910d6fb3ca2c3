"""The undo journal: its lines (`engine.journal`), and undoing a killed run from them
(`engine.undo`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fastasync_cli.engine.journal import JOURNAL_NAME, Journal, UndoError, digest, parse
from fastasync_cli.engine.process_identity import (
    ProcessIdentity,
    boot_id,
    gone,
    parse_stat,
    this_process,
)
from fastasync_cli.engine.undo import recover


@pytest.fixture(scope="module")
def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _write(
    root: Path,
    pid: int,
    *steps: dict[str, object],
    tail: bytes = b"",
    writer: dict[str, object] | None = None,
) -> Path:
    """A journal; its writer by `pid` alone (as before start times were recorded)
    unless `writer` adds "start" and "boot"."""
    lines = [{"journal": 1, "pid": pid, **(writer or {})}, *steps]
    path = root / JOURNAL_NAME
    path.write_bytes(b"".join(json.dumps(line).encode() + b"\n" for line in lines) + tail)
    return path


def test_lines_round_trip_odd_names_and_a_cut_last_line_is_ignored(tmp_path: Path) -> None:
    odd = tmp_path / 'a "quoted"\nname \udcff.py'  # a newline, quotes, a non-UTF-8 byte
    journal = Journal(tmp_path)
    journal.open()
    journal.folder(tmp_path / "pkg")
    journal.create(odd, b"new")
    journal.replace(tmp_path / "pkg" / "x.py", b"x")
    journal.backup(tmp_path / "pkg" / "x.py", tmp_path / "pkg" / ".x.py.0.fastasync-backup")
    journal.close()
    path = tmp_path / JOURNAL_NAME
    with path.open("ab") as handle:
        handle.write(b'{"create": "half')  # killed while writing this line
    entries = parse(path.read_bytes(), path)
    assert entries.writer == this_process()
    assert not entries.committed
    assert entries.steps == [
        {"dir": "pkg"},
        {"create": odd.name, "sha256": digest(b"new")},
        {"replace": "pkg/x.py", "sha256": digest(b"x")},
        {"backup": "pkg/x.py", "name": ".x.py.0.fastasync-backup"},
    ]


@pytest.mark.parametrize(
    "text",
    [
        b"not json\n",
        b'{"journal": 2, "pid": 1}\n',
        b'{"journal": 1, "pid": 1}\n[]\n',
        b'{"journal": 1, "pid": 1}\n{"dir": 5}\n',
        b'{"journal": 1, "pid": 0}\n',  # kill(0) would signal the whole process group
        b'{"journal": 1, "pid": -1}\n',
        b'{"journal": 1, "pid": true}\n',
        b'{"journal": 1, "pid": 99999999999}\n',
        b'{"journal": 1, "pid": 1, "start": "soon"}\n',
        b'{"journal": 1, "pid": 1, "start": -5}\n',
        b'{"journal": 1, "pid": 1, "boot": 5}\n',
    ],
)
def test_an_unreadable_journal_stops_with_a_hint(tmp_path: Path, text: bytes) -> None:
    path = tmp_path / JOURNAL_NAME
    path.write_bytes(text)
    with pytest.raises(UndoError) as caught:
        recover(tmp_path)
    assert "repair it by hand" in caught.value.hint
    assert path.exists()


@pytest.mark.parametrize("text", [b"", b'{"journal": 1, "pi', b"garbage without a newline"])
def test_a_journal_without_a_whole_line_recorded_nothing_and_goes(
    tmp_path: Path, text: bytes
) -> None:
    """A writer killed (or a power cut) before the journal's first line, which comes
    before any step, was whole: every later run stopped with "cannot be read (list
    index out of range) ... repair it by hand", with nothing to repair."""
    path = tmp_path / JOURNAL_NAME
    path.write_bytes(text)
    assert recover(tmp_path, dry_run=True) is None
    assert path.read_bytes() == text
    assert recover(tmp_path) is None
    assert not path.exists()


@pytest.mark.parametrize("recorded", ["pid alone", "pid, start and boot"])
def test_a_live_writers_journal_is_left_alone(tmp_path: Path, recorded: str) -> None:
    me = this_process()
    writer = {} if recorded == "pid alone" else {"start": me.start, "boot": me.boot}
    step = {"create": "x.py", "sha256": digest(b"x")}
    path = _write(tmp_path, os.getpid(), step, writer=writer)
    (tmp_path / "x.py").write_bytes(b"x")
    assert recover(tmp_path) is None
    assert path.exists() and (tmp_path / "x.py").exists()


@pytest.fixture
def unrelated_process() -> Iterator[subprocess.Popen[bytes]]:
    """A live process that is not the journal's writer, though it has the writer's pid."""
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as child:
        try:
            yield child
        finally:
            child.kill()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_a_killed_writers_reused_pid_does_not_keep_its_journal(
    tmp_path: Path, unrelated_process: subprocess.Popen[bytes]
) -> None:
    """The writer was killed and its pid reused: the process now holding it started
    at another time, so the journal is undone, the writer's temporary files too."""
    pid = unrelated_process.pid
    started = parse_stat(Path(f"/proc/{pid}/stat").read_bytes()).start
    _half_applied(tmp_path, pid, writer={"start": started - 1, "boot": boot_id()})
    staged = tmp_path / f".old.py.{pid}.abcdefgh.fastasync-tmp"
    staged.write_bytes(b"replaced")
    report = recover(tmp_path)
    assert report is not None and report.pid == pid
    assert (report.restored, report.removed) == (["old.py"], ["pkg/new.py"])
    assert report.cleaned == [staged.name]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.py"]


def test_a_journal_recording_its_writer_by_pid_alone_is_read_so(
    tmp_path: Path, unrelated_process: subprocess.Popen[bytes]
) -> None:
    """A journal written before start times were recorded: a live process with its
    pid, reused or not, keeps it (nothing tells them apart); a pid no process has
    lets it be undone."""
    _half_applied(tmp_path, unrelated_process.pid)
    assert recover(tmp_path) is None
    assert (tmp_path / JOURNAL_NAME).exists()
    unrelated_process.kill()
    unrelated_process.wait()
    report = recover(tmp_path)
    assert report is not None and report.restored == ["old.py"]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_a_killed_writer_not_yet_reaped_is_gone(tmp_path: Path) -> None:
    """A killed run whose parent has not waited for it is a zombie: `kill(pid, 0)`
    still finds it, but it writes nothing more, so its journal is undone."""
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as child:
        try:
            assert not gone(ProcessIdentity(child.pid))
            child.kill()
            for _ in range(500):  # until the kernel has made it a zombie
                if gone(ProcessIdentity(child.pid)):
                    break
                time.sleep(0.01)
            os.kill(child.pid, 0)  # still there: not reaped
            _half_applied(tmp_path, child.pid)
            recovery = recover(tmp_path)
            assert recovery is not None and recovery.pid == child.pid
            assert not (tmp_path / JOURNAL_NAME).exists()
            assert (tmp_path / "old.py").read_bytes() == b"old"
        finally:
            child.kill()


def _half_applied(root: Path, pid: int, writer: dict[str, object] | None = None) -> None:
    """A run killed after creating pkg/new.py and replacing old.py."""
    (root / "pkg").mkdir()
    (root / "pkg" / "new.py").write_bytes(b"created")
    (root / ".old.py.0.fastasync-backup").write_bytes(b"old")
    (root / "old.py").write_bytes(b"replaced")
    _write(
        root,
        pid,
        {"dir": "pkg"},
        {"create": "pkg/new.py", "sha256": digest(b"created")},
        {"replace": "old.py", "sha256": digest(b"replaced")},
        {"backup": "old.py", "name": ".old.py.0.fastasync-backup"},
        writer=writer,
    )


def test_undo_puts_the_old_tree_back(tmp_path: Path, dead_pid: int) -> None:
    _half_applied(tmp_path, dead_pid)
    report = recover(tmp_path)
    assert report is not None
    assert (report.restored, report.removed, report.kept) == (["old.py"], ["pkg/new.py"], [])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.py"]
    assert (tmp_path / "old.py").read_bytes() == b"old"


def test_a_dry_run_changes_nothing(tmp_path: Path, dead_pid: int) -> None:
    _half_applied(tmp_path, dead_pid)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    report = recover(tmp_path, dry_run=True)
    assert report is not None
    assert (report.restored, report.removed) == (["old.py"], ["pkg/new.py"])
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_a_created_file_changed_since_is_kept_and_named(tmp_path: Path, dead_pid: int) -> None:
    _half_applied(tmp_path, dead_pid)
    (tmp_path / "pkg" / "new.py").write_bytes(b"edited by the user meanwhile")
    report = recover(tmp_path)
    assert report is not None
    assert report.kept == ["pkg/new.py (changed since it was written)"]
    assert report.restored == ["old.py"]
    assert (tmp_path / "pkg" / "new.py").read_bytes() == b"edited by the user meanwhile"
    assert not (tmp_path / JOURNAL_NAME).exists()


def test_a_replaced_file_changed_since_keeps_both(tmp_path: Path, dead_pid: int) -> None:
    _half_applied(tmp_path, dead_pid)
    (tmp_path / "old.py").write_bytes(b"edited")
    report = recover(tmp_path)
    assert report is not None
    assert report.kept == [
        "old.py (changed since; its old content is in .old.py.0.fastasync-backup)"
    ]
    assert (tmp_path / "old.py").read_bytes() == b"edited"
    assert (tmp_path / ".old.py.0.fastasync-backup").read_bytes() == b"old"


def test_a_failed_undo_keeps_the_journal_and_names_the_backup(
    tmp_path: Path, dead_pid: int
) -> None:
    _half_applied(tmp_path, dead_pid)
    (tmp_path / "old.py").unlink()
    (tmp_path / "old.py").mkdir()  # a folder now: the backup cannot be renamed over it
    (tmp_path / "old.py" / "inside").write_text("x")
    with pytest.raises(UndoError) as caught:
        recover(tmp_path)
    assert "old.py: " in caught.value.message
    assert "its old content is in .old.py.0.fastasync-backup" in caught.value.message
    assert "is kept so the next command retries" in caught.value.hint
    assert (tmp_path / JOURNAL_NAME).exists()
    assert (tmp_path / ".old.py.0.fastasync-backup").read_bytes() == b"old"


def test_after_the_commit_only_the_backups_go(tmp_path: Path, dead_pid: int) -> None:
    (tmp_path / "new.py").write_bytes(b"created")
    (tmp_path / "old.py").write_bytes(b"replaced")
    (tmp_path / ".old.py.0.fastasync-backup").write_bytes(b"old")
    _write(
        tmp_path,
        dead_pid,
        {"create": "new.py", "sha256": digest(b"created")},
        {"replace": "old.py", "sha256": digest(b"replaced")},
        {"backup": "old.py", "name": ".old.py.0.fastasync-backup"},
        {"committed": True},
    )
    report = recover(tmp_path)
    assert report is not None and report.committed
    assert report.cleaned == [".old.py.0.fastasync-backup"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.py", "old.py"]


def test_a_backup_made_before_its_line_is_removed_when_identical(
    tmp_path: Path, dead_pid: int
) -> None:
    (tmp_path / "old.py").write_bytes(b"old")
    os.link(tmp_path / "old.py", tmp_path / ".old.py.0.fastasync-backup")
    (tmp_path / ".old.py.1.fastasync-backup").write_bytes(b"someone else's")
    _write(tmp_path, dead_pid, {"replace": "old.py", "sha256": digest(b"new")})
    assert recover(tmp_path) is not None
    assert sorted(p.name for p in tmp_path.iterdir()) == [".old.py.1.fastasync-backup", "old.py"]


def test_a_backup_of_a_file_not_renamed_yet_is_removed(tmp_path: Path, dead_pid: int) -> None:
    """Killed after every backup and its line, before the rename: the backup is another
    name of the target (rename() between the two would do nothing), so it is removed
    and the target, never changed, is not reported restored."""
    (tmp_path / "old.py").write_bytes(b"old")
    os.link(tmp_path / "old.py", tmp_path / ".old.py.0.fastasync-backup")
    _write(
        tmp_path,
        dead_pid,
        {"replace": "old.py", "sha256": digest(b"new")},
        {"backup": "old.py", "name": ".old.py.0.fastasync-backup"},
    )
    report = recover(tmp_path)
    assert report is not None
    assert (report.restored, report.cleaned) == ([], [".old.py.0.fastasync-backup"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.py"]
    assert (tmp_path / "old.py").read_bytes() == b"old"


def test_a_path_leading_out_of_the_project_is_refused(tmp_path: Path, dead_pid: int) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "x.py").write_bytes(b"x")
    _write(tmp_path / "p", dead_pid, {"create": "../x.py", "sha256": digest(b"x")})
    with pytest.raises(UndoError):
        recover(tmp_path / "p")
    assert (tmp_path / "x.py").exists()


def test_a_new_under_a_symlinked_folder_records_its_root_as_dot(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    root = tmp_path / "link" / "demo"
    root.mkdir()
    journal = Journal(root)
    journal.open()
    journal.folder(root)
    journal.close()
    path = root / JOURNAL_NAME
    assert parse(path.read_bytes(), path).steps == [{"dir": "."}]
