"""Temporary files of a killed run: the next run removes its own, and nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from fastasync_cli.engine import apply as apply_module
from fastasync_cli.engine import process_identity
from fastasync_cli.engine.apply import TMP_SUFFIX, apply
from fastasync_cli.engine.leftovers import (
    remove_stale_temporaries,
    stale_temporaries,
    written_by,
)
from fastasync_cli.engine.plan import Plan, plan_file
from fastasync_cli.engine.process_identity import ProcessIdentity


def dead_pid() -> int:
    """The id of a process that has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_only_our_files_whose_writer_is_gone_are_removed(tmp_path: Path) -> None:
    gone = dead_pid()
    (tmp_path / "app").mkdir()
    stale = [
        tmp_path / f".pyproject.toml.{gone}.ab_cd123{TMP_SUFFIX}",
        tmp_path / "app" / f".main.py.{gone}.x9y8z7w6{TMP_SUFFIX}",
    ]
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as alive:
        kept = [
            # A live run's (another command in a nested project, say).
            tmp_path / f".README.md.{alive.pid}.abcdefgh{TMP_SUFFIX}",
            # This process's own, while it applies.
            tmp_path / f".README.md.{os.getpid()}.abcdefgh{TMP_SUFFIX}",
            # Not the shape apply writes: a name of the user's, an older name.
            tmp_path / f"notes{TMP_SUFFIX}",
            tmp_path / f".main.py.abcdefgh{TMP_SUFFIX}",
            tmp_path / f".main.py.{gone}.short{TMP_SUFFIX}",
            tmp_path / f".main.py.{gone}.ABCDEFGH{TMP_SUFFIX}",
            tmp_path / f".main.py.{gone}.abcdefgh{TMP_SUFFIX}.txt",
        ]
        for path in stale + kept:
            path.write_text("x")
        link = tmp_path / f".link.{gone}.abcdefgh{TMP_SUFFIX}"
        link.symlink_to(tmp_path / "notes.fastasync-tmp")
        folder = tmp_path / f".dir.{gone}.abcdefgh{TMP_SUFFIX}"
        folder.mkdir()
        assert stale_temporaries(tmp_path) == sorted(stale)
        removed = remove_stale_temporaries(tmp_path)
        alive.kill()
    assert removed == [
        PurePosixPath(f".pyproject.toml.{gone}.ab_cd123{TMP_SUFFIX}"),
        PurePosixPath(f"app/.main.py.{gone}.x9y8z7w6{TMP_SUFFIX}"),
    ]
    assert not any(path.exists() for path in stale)
    assert all(path.exists() for path in kept)
    assert link.is_symlink()
    assert folder.is_dir()


def test_a_dry_run_lists_them_and_removes_nothing(tmp_path: Path) -> None:
    path = tmp_path / f".main.py.{dead_pid()}.abcdefgh{TMP_SUFFIX}"
    path.write_text("x")
    assert remove_stale_temporaries(tmp_path, dry_run=True) == [PurePosixPath(path.name)]
    assert path.exists()


def test_virtual_environments_and_caches_are_not_searched(tmp_path: Path) -> None:
    name = f".x.py.{dead_pid()}.abcdefgh{TMP_SUFFIX}"
    for folder in (".venv", "env", ".git", "node_modules", "app/__pycache__"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / name).write_text("x")
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / ".venv" / "pyvenv.cfg").write_text("home = /usr\n")
    assert remove_stale_temporaries(tmp_path) == []


BOOT = "0a1b2c3d-1111-4222-8333-444455556666"


def _fake_proc(proc: Path, pid: int, start: int, boot: str = BOOT) -> Path:
    """A /proc that shows `pid` started at `start` (clock ticks) in boot `boot`."""
    line = b"%d (python) S %s %d 3133440 380\n" % (pid, b" ".join([b"1"] * 18), start)
    for entry in ("self", str(pid)):
        (proc / entry).mkdir(parents=True, exist_ok=True)
        (proc / entry / "stat").write_bytes(line)
    (proc / "sys/kernel/random").mkdir(parents=True, exist_ok=True)
    (proc / "sys/kernel/random/boot_id").write_text(boot + "\n")
    return proc


def _left_by_a_killed_apply(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary file `apply` stages `a.py` in, left as a killed run leaves it."""
    names: list[str] = []
    real = apply_module.tempfile.mkstemp

    def spy(*args: Any, **kwargs: Any) -> tuple[int, str]:
        fd, name = real(*args, **kwargs)
        names.append(name)
        return fd, name

    monkeypatch.setattr(apply_module.tempfile, "mkstemp", spy)
    plan = Plan(root=root)
    plan.add(plan_file(root, "a.py", "x = 1\n"))
    apply(plan)
    [name] = names
    Path(name).write_text("x = 1\n")
    return Path(name)


@pytest.mark.parametrize(("start", "boot"), [(200, BOOT), (100, "f" * 8 + BOOT[8:])])
def test_a_killed_run_s_file_is_stale_though_a_process_has_its_pid_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, start: int, boot: str
) -> None:
    """Temporary files named their writer by pid alone: once another process had the
    pid (soon after a reboot, in a container), a killed run's files stayed for good."""
    proc = _fake_proc(tmp_path / "proc", os.getpid(), 100)
    monkeypatch.setattr(process_identity, "PROC", proc)
    root = tmp_path / "project"
    root.mkdir()
    left = _left_by_a_killed_apply(root, monkeypatch)
    assert f".{os.getpid()}-100-0a1b2c3d." in left.name
    assert stale_temporaries(root) == []  # its writer (this process) still runs
    _fake_proc(proc, os.getpid(), start, boot)  # the pid, another process's now
    assert stale_temporaries(root) == [left]


def test_a_killed_run_s_undo_leaves_a_later_process_s_files_with_its_pid(
    tmp_path: Path,
) -> None:
    """The undo of a killed run removed every temporary file with its pid, a live
    process's that reused the pid too."""
    writer = ProcessIdentity(4242, start=100, boot=BOOT)
    assert written_by(f".a.py.4242-100-0a1b2c3d.abcdefgh{TMP_SUFFIX}", writer)
    assert written_by(f".a.py.4242.abcdefgh{TMP_SUFFIX}", writer)  # an older name
    assert not written_by(f".a.py.4242-200-0a1b2c3d.abcdefgh{TMP_SUFFIX}", writer)
    assert not written_by(f".a.py.4242-100-ffffffff.abcdefgh{TMP_SUFFIX}", writer)
    assert not written_by(f".a.py.4243-100-0a1b2c3d.abcdefgh{TMP_SUFFIX}", writer)


def test_names_of_both_shapes_are_read(tmp_path: Path) -> None:
    gone = dead_pid()
    names = [
        f".a.py.{gone}.abcdefgh{TMP_SUFFIX}",
        f".a.py.{gone}-5.abcdefgh{TMP_SUFFIX}",
        f".a.py.{gone}-5-0a1b2c3d.abcdefgh{TMP_SUFFIX}",
    ]
    odd = [
        f".a.py.{gone}-5-0A1B2C3D.abcdefgh{TMP_SUFFIX}",
        f".a.py.{gone}-5-0a1b2c3d-9.abcdefgh{TMP_SUFFIX}",
        f".a.py.{gone}--5.abcdefgh{TMP_SUFFIX}",
    ]
    for name in names + odd:
        (tmp_path / name).write_text("x")
    assert stale_temporaries(tmp_path) == sorted(tmp_path / name for name in names)
