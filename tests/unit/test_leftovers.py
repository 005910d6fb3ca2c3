"""Temporary files of a killed run: the next run removes its own, and nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path, PurePosixPath

from fastasync_cli.engine.apply import TMP_SUFFIX
from fastasync_cli.engine.leftovers import remove_stale_temporaries, stale_temporaries


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
