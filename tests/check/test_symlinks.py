"""Symlinks given or met by `fastasync check`: findings are reported under the path as
given or walked (as ruff reports them), a file is checked once however many routes
lead to it, and a dangling or looping link is named, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fastasync_cli.cli import app

runner = CliRunner()

SLEEPS = "import time\n\n\nasync def handler():\n    time.sleep(1)\n"
POINT = "hint: Point the link at a file or folder, or pass another path."


def check(*args: str):
    return runner.invoke(app, ["check", "--format", "json", *args])


def paths(result) -> list[tuple[str, int]]:
    return [(f["path"], f["line"]) for f in json.loads(result.stdout)]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "app.py").write_text(SLEEPS)
    (tmp_path / "project").mkdir()
    monkeypatch.chdir(tmp_path / "project")
    return tmp_path / "project"


def test_a_symlinked_file_named_is_reported_under_the_link(folder: Path) -> None:
    """It was reported under its target, `/tmp/.../real/app.py`."""
    (folder / "app.py").symlink_to("../real/app.py")
    result = runner.invoke(app, ["check", "app.py"])
    assert result.exit_code == 1
    assert result.stdout.startswith("app.py:5:5: FA101 ")


def test_a_symlinked_folder_named_is_reported_under_the_link(folder: Path) -> None:
    (folder / "linked").symlink_to("../real")
    result = check("linked")
    assert (result.exit_code, result.stderr) == (1, "")
    assert paths(result) == [("linked/app.py", 5)]
    assert paths(check("linked/app.py")) == [("linked/app.py", 5)]
    assert paths(check("./linked/./app.py")) == [("linked/app.py", 5)]


def test_a_file_reached_by_two_routes_is_checked_once_under_the_first(folder: Path) -> None:
    (folder / "linked").symlink_to("../real")
    assert paths(check("linked", "../real")) == [("linked/app.py", 5)]
    assert paths(check("../real", "linked")) == [(str(folder.parent / "real" / "app.py"), 5)]
    assert paths(check("linked/app.py", "linked")) == [("linked/app.py", 5)]


def test_a_symlink_beside_its_target_is_checked_once_and_imports_by_both_names(
    folder: Path,
) -> None:
    (folder / "helpers.py").write_text("import time\n\n\ndef pause():\n    time.sleep(1)\n")
    (folder / "zz_helpers.py").symlink_to("helpers.py")
    (folder / "app.py").write_text(
        "from zz_helpers import pause\n\n\nasync def handler():\n    pause()\n"
    )
    result = check()
    assert (result.exit_code, result.stderr) == (1, "")
    [finding] = json.loads(result.stdout)
    assert (finding["path"], finding["line"]) == ("app.py", 5)
    assert finding["chain"] == ["handler", "helpers.pause", "time.sleep"]


def test_a_dangling_symlink_in_a_folder_is_skipped_with_a_warning(folder: Path) -> None:
    """It stopped the check (exit 2, "[Errno 2] No such file or directory: '/tmp/...'"):
    an editor's lock file (`.#app.py`) is one; ruff skips it with a warning too."""
    (folder / "app.py").write_text(SLEEPS)
    (folder / ".#app.py").symlink_to("user@host.1234:1700000000")
    (folder / "sub").mkdir()
    (folder / "sub" / "gone.py").symlink_to("../nowhere.py")
    result = check()
    assert result.exit_code == 1
    assert paths(result) == [("app.py", 5)]
    assert result.stderr.splitlines() == [
        "warning: Skipped .#app.py: a symbolic link to user@host.1234:1700000000, which "
        "does not exist.",
        "warning: Skipped sub/gone.py: a symbolic link to ../nowhere.py, which does not exist.",
    ]


def test_a_symlink_loop_in_a_folder_is_skipped_with_a_warning(folder: Path) -> None:
    (folder / "a.py").symlink_to("b.py")
    (folder / "b.py").symlink_to("a.py")
    (folder / "loop").symlink_to("loop")
    result = check()
    assert (result.exit_code, result.stdout) == (0, "[]\n")
    assert result.stderr.splitlines() == [
        "warning: Skipped a.py: a symbolic link that loops (Too many levels of symbolic links).",
        "warning: Skipped b.py: a symbolic link that loops (Too many levels of symbolic links).",
        "warning: No Python files found under the given paths.",
    ]


def test_a_dangling_symlink_named_exits_2(folder: Path) -> None:
    """It said "gone.py: no such file or folder" of a link the user can see."""
    (folder / "gone.py").symlink_to("nowhere.py")
    result = check("gone.py")
    assert (result.exit_code, result.stdout) == (2, "[]\n")
    assert result.stderr.splitlines() == [
        "error: gone.py: a symbolic link to nowhere.py, which does not exist.",
        POINT,
    ]


def test_a_dangling_symlink_named_beside_a_file_leaves_the_file_checked(folder: Path) -> None:
    """It stopped the check of every other path."""
    (folder / "gone.py").symlink_to("nowhere.py")
    (folder / "app.py").write_text(SLEEPS)
    result = check("gone.py", "app.py")
    assert (result.exit_code, paths(result)) == (2, [("app.py", 5)])
    assert result.stderr.splitlines() == [
        "error: gone.py: a symbolic link to nowhere.py, which does not exist.",
        POINT,
    ]


@pytest.mark.parametrize("pattern", ["linked/generated", "real/generated"])
def test_exclude_matches_a_folder_as_walked_or_as_resolved(folder: Path, pattern: str) -> None:
    (folder / "real").mkdir()
    (folder / "real" / "generated").mkdir()
    (folder / "real" / "generated" / "old.py").write_text(SLEEPS)
    (folder / "real" / "app.py").write_text(SLEEPS)
    (folder / "linked").symlink_to("real")
    (folder / "pyproject.toml").write_text(f'[tool.fastasync.check]\nexclude = ["{pattern}"]\n')
    assert paths(check("linked")) == [("linked/app.py", 5)]


def test_dot_dot_after_a_symlink_is_not_dropped(folder: Path) -> None:
    """`linked/..` is the link target's parent, not this folder: dropping it lexically
    would read another file, or none."""
    (folder / "linked").symlink_to("../real")
    (folder.parent / "outside.py").write_text(SLEEPS)
    assert paths(check("linked/../outside.py")) == [("linked/../outside.py", 5)]


def test_a_symlinked_folder_takes_the_configuration_above_the_link(folder: Path) -> None:
    """The configuration was looked for above the link's target: the project's
    `select`, `ignore` and `exclude` did not apply (ruff applies them)."""
    (folder / "linked").symlink_to("../real")
    (folder / "pyproject.toml").write_text('[tool.fastasync.check]\nselect = ["FA102"]\n')
    for path in ("linked", "linked/app.py"):
        result = check(path)
        assert (result.exit_code, result.stdout, result.stderr) == (0, "[]\n", "")
