"""In a terminal `new` asks for what was not given; without one it never asks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pexpect


def test_a_terminal_is_asked_for_the_options(tmp_path: Path) -> None:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "fastasync_cli", "new", "asked"],
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 200),
    )
    child.expect(r"Add a Dockerfile and compose.yaml\? \[Y/n\]: ")
    child.sendline("n")
    child.expect(r"CI workflow \(github or none\) \[github\]: ")
    child.sendline("none")
    child.expect(r"Add Celery with Redis for jobs that survive restarts\? \[y/N\]: ")
    child.sendline("")
    child.expect(r"Database \(sqlite, postgres or none\) \[sqlite\]: ")
    child.sendline("none")
    child.expect("Created")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    root = tmp_path / "asked"
    assert not (root / "Dockerfile").exists()
    assert not (root / ".github").exists()
    assert (root / "app/main.py").is_file()
    assert not (root / "app/worker.py").exists()
    assert not (root / "app/db").exists()


def test_no_terminal_means_no_questions(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fastasync_cli", "new", "quiet"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "?" not in result.stdout
    assert (tmp_path / "quiet/Dockerfile").is_file()
