"""What the tests of tests/cli share: running `fastasync add` on a project, the files
of a tree, and editing a generated file."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result

from fastasync_cli.cli import app

runner = CliRunner()


def add(project: Path, *args: str) -> Result:
    """`fastasync add ARGS --project PROJECT`, in this process."""
    return runner.invoke(app, ["add", *args, "--project", str(project)])


def add_ok(project: Path, *args: str) -> None:
    """`add`, which must succeed."""
    result = add(project, *args)
    assert result.exit_code == 0, result.output


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file's bytes under `root` (by its path from there), __pycache__ left out."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def replace_in(path: Path, *changes: tuple[str, str]) -> None:
    """Replace the first of each `old` in the file by its `new`; each must be there."""
    text = path.read_text()
    for old, new in changes:
        assert old in text, (path, old)
        text = text.replace(old, new, 1)
    path.write_text(text)


def save_with_crlf(project: Path) -> None:
    """Every text file of the project saved with CRLF line endings."""
    for path in project.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))


def bare_lf(data: bytes) -> int:
    """How many line feeds of `data` end a line without a carriage return."""
    return data.count(b"\n") - data.count(b"\r\n")
