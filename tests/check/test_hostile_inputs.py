"""`fastasync check` on unusual sources, file systems, configurations and options: what
a hostile or unlucky user gives it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fastasync_cli.cli import app

runner = CliRunner()

SLEEP = b"import time\n\n\nasync def handler():\n"


def check(*args: str):
    return runner.invoke(app, ["check", *args])


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def places(result) -> list[tuple[str, int, int]]:
    return [(f["path"], f["line"], f["column"]) for f in json.loads(result.stdout)]


@pytest.mark.parametrize(
    "source",
    [
        SLEEP + '    s = "\u00e9t\u00e9 \U0001f600"; time.sleep(1)\n'.encode(),
        b"# -*- coding: latin-1 -*-\n"
        + SLEEP[: -len(b"\n")]
        + b'\n    s = "\xe9t\xe9 \xe0"; time.sleep(1)\n',
    ],
    ids=["utf-8", "latin-1"],
)
def test_columns_count_characters_not_bytes(folder: Path, source: bytes) -> None:
    """`ast` gives UTF-8 byte offsets: the column was 4 too far right here (ruff: 18)."""
    (folder / "app.py").write_bytes(source)
    result = check("--format", "json")
    assert result.exit_code == 1
    line = source.count(b"\n")
    assert places(result) == [("app.py", line, 18)]
