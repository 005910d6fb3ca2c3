"""`fastasync add` on a project whose files have their own style: saved with CRLF
line endings (git's `autocrlf`), indented with tabs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from ruff.__main__ import find_ruff_bin

from tests.cli.helpers import add, add_ok, bare_lf, save_with_crlf, snapshot

COMMANDS = [
    ("endpoint", "products", "name:str", "price:float?"),
    ("client", "weather", "--base-url", "https://api.example.com"),
    ("task", "crunch", "--kind", "cpu"),
    ("db", "--kind", "sqlite"),
    ("celery",),
    ("task", "slow", "--backend", "celery"),
]


def ruff(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [find_ruff_bin(), *args], cwd=root, capture_output=True, text=True, check=False
    )


def test_files_add_creates_in_a_crlf_project_are_crlf(project: Path) -> None:
    """Every file was written with LF in a project whose every file has CRLF: each
    one stood out in the editor and in every diff that does not normalise."""
    save_with_crlf(project)
    before = set(snapshot(project))
    for command in COMMANDS:
        add_ok(project, *command)
    after = snapshot(project)
    created = sorted(set(after) - before)
    assert len(created) > 20, created
    assert [rel for rel, data in after.items() if bare_lf(data)] == []
    # Run again, every file is there already, whatever its line ending.
    again = add(project, *COMMANDS[-1])
    assert again.exit_code == 0, again.output
    assert "Nothing to do" in again.stdout
    checked = ruff(project, "check", "--quiet", ".")
    assert checked.returncode == 0, checked.stdout
    formatted = ruff(project, "format", "--check", ".")
    assert formatted.returncode == 0, formatted.stdout


@pytest.mark.parametrize("lf_file", ["app/api/main.py", ".fastasync.toml"])
def test_a_mixed_project_gets_lf_files(project: Path, lf_file: str) -> None:
    """CRLF only when every file the command edits has it: one file the command edits
    with LF, and new files keep LF."""
    save_with_crlf(project)
    path = project / lf_file
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n"))
    before = set(snapshot(project))
    add_ok(project, "endpoint", "products", "name:str")
    after = snapshot(project)
    created = sorted(set(after) - before)
    assert created
    assert all(b"\r\n" not in after[rel] for rel in created), created


def test_code_added_to_files_indented_with_tabs_keeps_tabs(project: Path) -> None:
    """A project indented with tabs, its ruff settings left as they were (so it runs
    `ruff check` only): the lines `add db` put in the lifespan were indented with
    tabs then spaces (`ruff check` failed with E101), and ruff never laid them out
    (E501), since laid out with spaces the whole function changed."""
    tabs = ruff(project, "format", "--quiet", "--config", 'format.indent-style = "tab"', ".")
    assert tabs.returncode == 0, tabs.stderr
    assert ruff(project, "check", "--quiet", ".").returncode == 0
    before = snapshot(project)
    for command in COMMANDS:
        add_ok(project, *command)
    checked = ruff(project, "check", "--quiet", "--output-format", "concise", ".")
    assert checked.returncode == 0, checked.stdout
    for rel, data in snapshot(project).items():
        if rel in before and rel.endswith(".py"):
            text = data.decode()
            compile(text, rel, "exec")
            added = set(text.splitlines()) - set(before[rel].decode().splitlines())
            assert [line for line in added if line.startswith(" ")] == [], rel


def test_new_force_over_a_crlf_project_writes_crlf(project: Path) -> None:
    """`new --force --celery` over a project saved with CRLF: the files it kept got
    CRLF, the files it added LF."""
    from fastasync_cli.cli import app
    from tests.cli.helpers import runner

    save_with_crlf(project)
    before = set(snapshot(project))
    result = runner.invoke(
        app, ["new", str(project), "--yes", "--force", "--db", "none", "--celery"]
    )
    assert result.exit_code == 0, result.output
    after = snapshot(project)
    assert set(after) - before
    assert [rel for rel, data in after.items() if bare_lf(data)] == []
