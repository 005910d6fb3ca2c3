"""Code `add` writes follows the project's own ruff settings: line length, quote
style, indentation, for the longest names accepted."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from ruff.__main__ import find_ruff_bin
from typer.testing import CliRunner

from fastasync_cli.cli import app
from fastasync_cli.engine.names import MAX_COMPONENT_NAME

LONGEST = "customer_support_ticket_attachments_and_their_xy"
assert len(LONGEST) + 2 == MAX_COMPONENT_NAME


def adds(long: str) -> list[list[str]]:
    return [
        ["endpoint", f"{long}e1", "title:str", "note:str?"],
        ["endpoint", "tags"],
        ["client", f"{long}c1", "--base-url", "https://api.example.com/v1"],
        ["task", f"{long}t1"],
        ["task", f"{long}t2", "--kind", "cpu"],
        ["celery"],
        ["task", f"{long}t3", "--backend", "celery", "--idempotent"],
        ["task", f"{long}t4", "--backend", "celery", "--kind", "cpu"],
    ]


def ruff(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [find_ruff_bin(), *args], cwd=root, capture_output=True, text=True, check=False
    )


def errors_by_file(root: Path) -> dict[str, int]:
    output = ruff(root, "check", "--output-format", "concise", "--quiet", ".").stdout
    counts: dict[str, int] = {}
    for line in output.splitlines():
        match = re.match(r"(.+?):\d+:\d+: ", line)
        if match:
            counts[match[1]] = counts.get(match[1], 0) + 1
    return counts


STYLES = {
    "generated": ("", LONGEST),
    "single quotes, tabs, 100": (
        'line-length = 100\n\n[tool.ruff.format]\nquote-style = "single"\nindent-style = "tab"\n',
        LONGEST,
    ),
    # `from app.repositories.NAME import (` cannot be split: at 79 columns, names of
    # up to 40 characters fit.
    "79 columns, indent width 2": ("line-length = 79\nindent-width = 2\n", LONGEST[:38]),
}


@pytest.mark.parametrize("style", sorted(STYLES))
def test_adds_follow_the_project_s_ruff_settings_with_the_longest_names(
    project: Path, style: str
) -> None:
    settings, long = STYLES[style]
    if settings:
        pyproject = project / "pyproject.toml"
        pyproject.write_text(
            pyproject.read_text()
            .replace("[tool.ruff]\nline-length = 88\n", "[tool.ruff]\n")
            .replace("[tool.ruff]\n", f"[tool.ruff]\n{settings}\n", 1)
        )
        assert ruff(project, "format", "--quiet", ".").returncode == 0
    before = errors_by_file(project)
    runner = CliRunner()
    for args in adds(long):
        result = runner.invoke(app, ["add", *args, "--project", str(project)])
        assert result.exit_code == 0, (args, result.output)
    formatted = ruff(project, "format", "--check", ".")
    assert formatted.returncode == 0, formatted.stdout
    # A narrower line than the templates' own may make the user's files fail E501
    # already; nothing fastasync writes adds an error.
    after = errors_by_file(project)
    grown = {f: n for f, n in after.items() if n > before.get(f, 0)}
    assert not grown, (grown, ruff(project, "check", "--quiet", ".").stdout[-3000:])
    for args in adds(long):
        again = runner.invoke(app, ["add", *args, "--project", str(project)])
        assert again.exit_code == 0 and "Nothing to do" in again.stdout, (args, again.output)


def test_ruff_layout_never_drops_a_line_the_user_kept(tmp_path: Path) -> None:
    """ruff formats the whole call around added keywords; the user's blank line in it
    (which ruff would remove) stays, and the added lines are still there."""
    from fastasync_cli.engine.python_style import format_edited

    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 88\n")
    old = "settings = Settings(\n    a=1,\n\n    b=2,\n)\n"
    new = "settings = Settings(\n    a=1,\n\n    b=2,\n    c=3,\n)\n"

    assert format_edited(tmp_path, "conf.py", old, new) == new


@pytest.mark.parametrize("name", ["pyproject.toml", "ruff.toml"])
def test_ruff_settings_are_read_through_a_bom(tmp_path: Path, name: str) -> None:
    """A pyproject.toml saved with a BOM (Notepad does) hid its ruff settings from
    fastasync, not from ruff: the comments and docstrings `add` wrote were wrapped
    at 88 in a project whose ruff says 60."""
    from fastasync_cli.engine.python_style import line_length, tab_width

    table = "[tool.ruff]\n" if name == "pyproject.toml" else ""
    text = f"{table}line-length = 60\nindent-width = 2\n"
    (tmp_path / name).write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    assert (line_length(tmp_path), tab_width(tmp_path)) == (60, 2)
