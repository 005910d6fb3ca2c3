"""Usage errors of every command and group: one `error:` line, one `hint:` line, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from fastasync_cli.cli.root import app


@pytest.mark.parametrize(
    ("args", "message", "hint_command", "what"),
    [
        (["bogus"], "No such command 'bogus'.", "fastasync", "commands"),
        (["--bogus"], "No such option: --bogus", "fastasync", "commands"),
        (["add", "bogus"], "No such command 'bogus'.", "fastasync add", "commands"),
        (["new", "a", "b"], "Got unexpected extra argument(s) (b)", "fastasync new", "arguments"),
        (["new", "x", "--db"], "Option '--db' requires an argument.", "fastasync new", "arguments"),
        (
            ["add", "endpoint", "items", "--forse"],
            "No such option: --forse (Possible options: --force, --verbose)",
            "fastasync add endpoint",
            "arguments",
        ),
        (
            ["add", "db", "--kind"],
            "Option '--kind' requires an argument.",
            "fastasync add db",
            "arguments",
        ),
        (
            ["new", ""],
            "Invalid value for 'PATH': the path is empty; to mean the current folder, pass '.'",
            "fastasync new",
            "arguments",
        ),
        (
            ["add", "endpoint", "items", "--project", " "],
            "Invalid value for '--project': the path is empty; to mean the current folder, "
            "pass '.'",
            "fastasync add endpoint",
            "arguments",
        ),
        (
            ["check", "app", ""],
            "Invalid value for 'PATHS...': the path is empty; to mean the current folder, pass '.'",
            "fastasync check",
            "arguments",
        ),
        (
            ["add", "celery", "extra"],
            "Got unexpected extra argument(s) (extra)",
            "fastasync add celery",
            "arguments",
        ),
    ],
)
def test_a_usage_error_is_one_error_line_and_one_hint(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
    hint_command: str,
    what: str,
) -> None:
    """Click drew a box of five lines or more, with no `error:` or `hint:`."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args, prog_name="fastasync")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        f"error: {message}",
        f"hint: Run `{hint_command} -h` for its {what} and options.",
    ]
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize(
    ("args", "usage"),
    [
        ([], "Usage: fastasync [OPTIONS] COMMAND"),
        (["add"], "Usage: fastasync add [OPTIONS] COMMAND"),
        (["new"], "Usage: fastasync new [OPTIONS] PATH"),
        (["add", "endpoint"], "Usage: fastasync add endpoint [OPTIONS] NAME"),
    ],
)
def test_a_command_given_nothing_prints_its_help_and_no_empty_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], usage: str
) -> None:
    """It printed the help, then `error: ` with nothing after it, and a hint."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args, prog_name="fastasync")
    assert result.exit_code == 2
    assert usage in " ".join(result.stdout.split())
    assert result.stderr == ""
    assert list(tmp_path.iterdir()) == []
