"""`[tool.fastasync.check]` values a user may get wrong, and what the check says."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from fastasync_cli.cli import app

runner = CliRunner()

SLEEPS = b"import time\n\n\nasync def handler():\n    time.sleep(1)\n"
NOTHING_SELECTED = (
    "warning: No rule is selected (see `select` and `ignore`): only files that do not "
    "parse (FA001) are reported."
)


def check(*args: str):
    return runner.invoke(app, ["check", *args])


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_bytes(SLEEPS)
    return tmp_path


def configure(folder: Path, body: str) -> None:
    (folder / "pyproject.toml").write_text(f"[tool.fastasync.check]\n{body}")


def test_an_empty_select_selects_no_rule(folder: Path) -> None:
    """It selected every rule, as if the key were missing (ruff selects none)."""
    configure(folder, "select = []\n")
    result = check()
    assert (result.exit_code, result.stdout) == (0, "All checks passed!\n")
    assert result.stderr.splitlines() == [NOTHING_SELECTED]


def test_with_no_rule_selected_a_file_that_does_not_parse_is_still_reported(
    folder: Path,
) -> None:
    configure(folder, "select = []\n")
    (folder / "broken.py").write_text("def f(:\n")
    result = check()
    assert result.exit_code == 1
    assert result.stdout.startswith("broken.py:1:7: FA001 SyntaxError: ")
    assert result.stderr.splitlines() == [NOTHING_SELECTED]


@pytest.mark.parametrize(
    ("body", "args"),
    [
        ('select = ["FA1"]\nignore = ["FA"]\n', ()),
        ("", ("--select", "FA102", "--ignore", "FA1")),
        ("", ("--ignore", "ALL")),
    ],
)
def test_ignoring_all_that_is_selected_warns(folder: Path, body: str, args: tuple) -> None:
    configure(folder, body)
    result = check(*args)
    assert (result.exit_code, result.stdout) == (0, "All checks passed!\n")
    assert result.stderr.splitlines() == [NOTHING_SELECTED]


def test_select_on_the_command_line_replaces_an_empty_select(folder: Path) -> None:
    configure(folder, "select = []\n")
    result = check("--select", "FA101")
    assert result.exit_code == 1
    assert result.stdout.startswith("app.py:5:5: FA101 ")
    assert result.stderr == ""


def test_a_missing_select_selects_every_rule(folder: Path) -> None:
    configure(folder, 'ignore = ["FA102"]\n')
    result = check()
    assert result.exit_code == 1
    assert result.stdout.startswith("app.py:5:5: FA101 ")
    assert result.stderr == ""
