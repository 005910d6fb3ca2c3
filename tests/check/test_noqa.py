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


FILE = "{}\nimport time\n\n\nasync def handler():\n    time.sleep(1)\n"
FILE_FINDING = "app.py:6:5: FA101 Sleep `time.sleep` blocks the event loop"
PASSED = "All checks passed!\n"


def check_file(folder: Path, first: str, *args: str):
    (folder / "app.py").write_text(FILE.format(first))
    return runner.invoke(app, ["check", *args])


@pytest.mark.parametrize(
    "comment",
    [
        "# fastasync: noqa",
        "#fastasync:NOQA",
        "# fastasync : noqa  # generated code",
        "# fastasync: noqa: FA101",
        "# fastasync: noqa: FA102, FA101",
        "# fastasync: noqa because it is generated",
        "def helper():\n    # fastasync: noqa\n    pass",
    ],
)
def test_a_file_exemption_on_its_own_line_silences_the_file(folder: Path, comment: str) -> None:
    """As `# ruff: noqa` does in ruff: there was no way to leave one file out but
    `exclude`."""
    result = check_file(folder, comment)
    assert (result.exit_code, result.stdout, result.stderr) == (0, PASSED, "")


def test_a_file_exemption_silences_only_the_codes_it_names(folder: Path) -> None:
    result = check_file(folder, "# fastasync: noqa: FA102")
    assert (result.exit_code, result.stderr) == (1, "")
    assert result.stdout.startswith(FILE_FINDING)


NOT_ALONE = (
    "warning: Unexpected `# fastasync: noqa` directive at app.py:1. File-level "
    "suppression comments must appear on their own line. For line-level suppression, "
    "omit the `fastasync:` prefix."
)
FILE_INVALID = "warning: Invalid `# fastasync: noqa` directive at app.py:1: "


@pytest.mark.parametrize(
    ("comment", "warning"),
    [
        # After code it silenced nothing, without a word (ruff warns).
        ("x = 1  # fastasync: noqa", NOT_ALONE),
        ('"""A module."""  # fastasync: noqa: FA101', NOT_ALONE),
        ("# fastasync: noqa: fa101", FILE_INVALID + CODES),
        ("# fastasync: noqa:", FILE_INVALID + CODES),
        ("# fastasync: noqa: generated", FILE_INVALID + CODES),
        ("# fastasync: noqaFA101", FILE_INVALID + SUFFIX),
        ("# fastasync: noqa; FA101", FILE_INVALID + SUFFIX),
        ("# fastasync: noqa: FA101x", FILE_INVALID + CODE),
        ("# noqa # fastasync: noqa: fa1", FILE_INVALID + CODES),
        (
            "# fastasync: noqa: FA999",
            "warning: Invalid rule code provided to `# fastasync: noqa` at app.py:1: FA999",
        ),
    ],
)
def test_a_file_exemption_ruff_would_refuse_silences_nothing_and_is_reported(
    folder: Path, comment: str, warning: str
) -> None:
    result = check_file(folder, comment)
    assert result.exit_code == 1
    assert result.stdout.startswith(FILE_FINDING)
    assert result.stderr.splitlines() == [warning]


@pytest.mark.parametrize(
    ("comment", "warning"),
    [
        ("# fastasync: noqa: FA101,,FA102", "expected rule code between commas"),
        ("# fastasync: noqa: FA102FA101", "expected comma or space delimiter between codes"),
    ],
)
def test_a_file_exemption_with_a_missing_or_joined_code_is_reported_but_silences(
    folder: Path, comment: str, warning: str
) -> None:
    result = check_file(folder, comment)
    assert (result.exit_code, result.stdout) == (0, PASSED)
    assert result.stderr.splitlines() == [
        f"warning: Missing or joined rule code(s) at app.py:1: {warning}"
    ]


def test_a_file_exemption_naming_an_unknown_code_keeps_the_known_ones(folder: Path) -> None:
    result = check_file(folder, "# fastasync: noqa: FA999, FA101")
    assert (result.exit_code, result.stdout) == (0, PASSED)
    assert result.stderr.splitlines() == [
        "warning: Invalid rule code provided to `# fastasync: noqa` at app.py:1: FA999"
    ]


@pytest.mark.parametrize("comment", ["# ruff: noqa", "x = 1  # ruff: noqa", "# FASTASYNC: noqa"])
def test_another_tools_file_exemption_is_not_ours(folder: Path, comment: str) -> None:
    """`# ruff: noqa` exempts a file from ruff's rules (ruff warns of a misplaced one),
    and ruff's own prefix is case-sensitive."""
    result = check_file(folder, comment)
    assert (result.exit_code, result.stderr) == (1, "")
    assert result.stdout.startswith(FILE_FINDING)


BROKEN = "{}\nasync def handler(:\n    pass\n"


def broken_finding(line: int) -> str:
    return f"app.py:{line}:19: FA001 SyntaxError: invalid syntax"


@pytest.mark.parametrize(
    ("comment", "line"),
    [
        ("# fastasync: noqa", 2),
        ("# fastasync: noqa: FA001", 2),
        ("# noqa: FA001\nx = 1", 3),
        ("async def handler(:  # noqa: FA001\n    pass", 1),
        ("async def handler(:  # noqa\n    pass", 1),
    ],
)
def test_no_directive_silences_a_file_that_does_not_parse(
    folder: Path, comment: str, line: int
) -> None:
    """As in ruff, whose `# ruff: noqa`, `# ruff: noqa: E999` and `# noqa` leave
    invalid-syntax reported (its parse errors join the findings after `noqa` is
    applied): code that does not parse cannot run, and nothing else in it was
    checked. A file not meant to parse (a template) is left out with `exclude`."""
    (folder / "app.py").write_text(BROKEN.format(comment))
    result = runner.invoke(app, ["check"])
    assert (result.exit_code, result.stderr) == (1, "")
    assert result.stdout.startswith(broken_finding(line))
    result = runner.invoke(app, ["check", "--exclude", "app.py"])
    assert result.exit_code == 0


@pytest.mark.parametrize(
    ("comment", "warning"),
    [
        ("x = 1  # noqa: fx", f"Invalid `# noqa` directive on app.py:1: {CODES}"),
        ("x = 1  # fastasync: noqa", NOT_ALONE.removeprefix("warning: ")),
        ("# fastasync: noqa: fa001", FILE_INVALID.removeprefix("warning: ") + CODES),
        (
            "# fastasync: noqa: FA999",
            "Invalid rule code provided to `# fastasync: noqa` at app.py:1: FA999",
        ),
    ],
)
def test_a_malformed_directive_in_a_file_that_does_not_parse_is_reported(
    folder: Path, comment: str, warning: str
) -> None:
    """ruff reads the directives of a file with a syntax error too (from its tokens),
    and warns of a malformed one; they were not read at all."""
    (folder / "app.py").write_text(BROKEN.format(comment))
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 1
    assert result.stdout.startswith(broken_finding(2))
    assert result.stderr.splitlines() == [f"warning: {warning}"]


def test_a_directive_in_a_string_of_a_file_that_does_not_parse_is_no_directive(
    folder: Path,
) -> None:
    """Up to where the file stops being Python, only comments count, as in a file
    that parses."""
    (folder / "app.py").write_text(
        'NOTE = "# fastasync: noqa"\nx = 1  # noqa: fx\nasync def handler(:\n    pass\n'
    )
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 1
    assert result.stdout.startswith("app.py:3:19: FA001 SyntaxError: invalid syntax")
    assert result.stderr.splitlines() == [
        f"warning: Invalid `# noqa` directive on app.py:2: {CODES}"
    ]
