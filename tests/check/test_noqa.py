"""`# noqa` comments read as ruff reads them: codes are case-sensitive, and a directive
ruff refuses silences nothing and is reported on stderr, in ruff's words."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fastasync_cli.cli import app

runner = CliRunner()

SLEEP = "import time\n\n\nasync def handler():\n    time.sleep(1)  {}\n"
FINDING = "app.py:5:5: FA101 Sleep `time.sleep` blocks the event loop"
CODES = "expected a comma-separated list of codes (e.g., `# noqa: FA101, FA102`)."
SUFFIX = "expected `:` followed by a comma-separated list of codes (e.g., `# noqa: FA101, FA102`)."
CODE = "expected code to consist of uppercase letters followed by digits only (e.g. `FA101`)"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check_comment(folder: Path, comment: str):
    (folder / "app.py").write_text(SLEEP.format(comment))
    return runner.invoke(app, ["check"])


@pytest.mark.parametrize(
    ("comment", "problem"),
    [
        # A lowercase code silenced its finding (`fa101` was read as FA101).
        ("# noqa: fa101", f"Invalid `# noqa` directive on app.py:5: {CODES}"),
        ("#noqa:fa101", f"Invalid `# noqa` directive on app.py:5: {CODES}"),
        ("# noqa: Fa101", f"Invalid `# noqa` directive on app.py:5: {CODES}"),
        # The first word decides: ruff refuses the whole directive.
        ("# noqa: fa101, FA101", f"Invalid `# noqa` directive on app.py:5: {CODES}"),
        ("# noqa: explained below", f"Invalid `# noqa` directive on app.py:5: {CODES}"),
        ("# noqa:", f"Invalid `# noqa` directive on app.py:5: {CODES}"),
        ("# noqaFA101", f"Invalid `# noqa` directive on app.py:5: {SUFFIX}"),
        # A semicolon in place of the colon silenced every rule.
        ("# noqa; FA101", f"Invalid `# noqa` directive on app.py:5: {SUFFIX}"),
        ("# noqa-FA101", f"Invalid `# noqa` directive on app.py:5: {SUFFIX}"),
        ("# noqa: FA101x", f"Invalid `# noqa` directive on app.py:5: {CODE}"),
        ("# noqa: FA102, FA101:", f"Invalid `# noqa` directive on app.py:5: {CODE}"),
        ("# noqa: FA101FA102x", f"Invalid `# noqa` directive on app.py:5: {CODE}"),
    ],
)
def test_a_directive_ruff_refuses_silences_nothing_and_is_reported(
    folder: Path, comment: str, problem: str
) -> None:
    result = check_comment(folder, comment)
    assert result.exit_code == 1
    assert result.stdout.startswith(FINDING)
    assert result.stderr.splitlines() == [f"warning: {problem}"]


@pytest.mark.parametrize(
    "comment",
    [
        "# noqa: FA101",
        "# NoQA: FA101",
        "# noqa : FA101",
        "# noqa: FA101 fa102",
        "# noqa: FA101, fa102",
        "# noqa: FA101 - the loop is idle here",
        "# noqa: FA101# and another comment",
        "# noqa because the loop is idle here",
        "# noqa",
        "# type: ignore # noqa: FA101",
    ],
)
def test_valid_directives_silence_without_a_word(folder: Path, comment: str) -> None:
    result = check_comment(folder, comment)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "All checks passed!\n", "")


@pytest.mark.parametrize(
    ("comment", "problem"),
    [
        ("# noqa: FA102,, FA101", "expected rule code between commas"),
        ("# noqa: FA102FA101", "expected comma or space delimiter between codes"),
    ],
)
def test_a_missing_or_joined_code_is_reported_but_silences(
    folder: Path, comment: str, problem: str
) -> None:
    result = check_comment(folder, comment)
    assert (result.exit_code, result.stdout) == (0, "All checks passed!\n")
    assert result.stderr.splitlines() == [
        f"warning: Missing or joined rule code(s) at app.py:5: {problem}"
    ]


def test_a_malformed_directive_on_a_line_without_a_finding_is_reported(folder: Path) -> None:
    """ruff warns only in files with a finding; a directive that does nothing is worth
    saying wherever it is."""
    (folder / "app.py").write_text("x = 1  # noqa: unused\n")
    result = runner.invoke(app, ["check"])
    assert (result.exit_code, result.stdout) == (0, "All checks passed!\n")
    assert result.stderr.splitlines() == [
        f"warning: Invalid `# noqa` directive on app.py:1: {CODES}"
    ]


@pytest.mark.skipif(sys.platform != "linux", reason="file names are bytes on Linux only")
def test_a_warning_shows_a_file_name_that_is_not_utf8_as_findings_do(folder: Path) -> None:
    (folder / os.fsdecode(b"bad\xff.py")).write_text("x = 1  # noqa: fa101\n")
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"warning: Invalid `# noqa` directive on bad\ufffd.py:1: {CODES}"
    ]
