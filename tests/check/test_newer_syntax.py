"""Code written for a newer Python than the one running the check: the syntax the
analysis can do without is rewritten (check/downlevel.py) and the file is checked; what
cannot be is FA001 naming the Python the file's own project requires."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fastasync_cli.cli import app

runner = CliRunner()

HEAD = "import time\n\n\n"


def check(*args: str):
    return runner.invoke(app, ["check", "--format", "json", *args])


def found(result) -> list[tuple[str, int, int, str]]:
    return [(f["path"], f["line"], f["column"], f["code"]) for f in json.loads(result.stdout)]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("source", "line", "column"),
    [
        # 3.12: type parameters of a function, on one line and over several.
        ("def f[T](x: T) -> T:\n    time.sleep(1)\n\n\nasync def h():\n    f(1)\n", 9, 5),
        (
            "def f[\n    T,  # the item\n    U: int = int,\n](x: T) -> T:\n"
            "    time.sleep(1)\n\n\nasync def h():\n    f(1)\n",
            12,
            5,
        ),
        # 3.12: a generic class and its method; a `type` alias beside it.
        (
            "type Pair[T] = tuple[T, T]\ntype N = int\n\n\nclass Repo[T: int, *Ts, **P]:\n"
            "    def get(self) -> None:\n        time.sleep(1)\n\n\n"
            "async def h():\n    Repo().get()\n",
            14,
            5,
        ),
        # 3.14: several exception types without brackets, in `except` and `except*`.
        (
            "async def h():\n    try:\n        pass\n    except ValueError, TypeError:\n"
            "        time.sleep(1)\n",
            8,
            9,
        ),
        (
            "async def h():\n    try:\n        pass\n    except* ValueError, TypeError:\n"
            "        time.sleep(1)\n",
            8,
            9,
        ),
        # 3.14: a t-string, whose fields are calls like any others.
        ('async def h():\n    s = t"{time.sleep(1)}"\n', 5, 12),
    ],
    ids=["def", "def-lines", "class-and-type", "except", "except-star", "t-string"],
)
def test_newer_syntax_is_checked_not_refused(folder: Path, source: str, line: int, column: int):
    """Under Python 3.11, 73 files of a FastAPI code base requiring 3.14 (and 15 of one
    requiring 3.12) were FA001 and left unchecked: their blocking calls went unseen."""
    (folder / "app.py").write_text(HEAD + source)
    result = check()
    assert result.exit_code == 1, result.output
    assert found(result)[0] == ("app.py", line, column, "FA101")
    assert "FA001" not in {code for *_, code in found(result)}


def test_a_real_syntax_error_beside_newer_syntax_is_reported_as_python_reports_it(
    folder: Path,
) -> None:
    (folder / "app.py").write_text("type N = int\n\n\ndef f(:\n    pass\n")
    result = check()
    assert result.exit_code == 1
    # As `python -m py_compile` says under this Python: at the first thing it cannot read.
    assert found(result) == [("app.py", 1, 6, "FA001")]


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="3.12 parses these f-strings")
def test_an_f_string_of_3_12_is_still_fa001_naming_the_python_required(folder: Path) -> None:
    """The project's pyproject.toml is the one nearest the file, not the one above the
    folder named: checking a repository whose project is in backend/ did not say that
    the project requires a newer Python."""
    (folder / "backend").mkdir()
    (folder / "backend" / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.99"\n')
    (folder / "backend" / "app.py").write_text('d = {}\ns = f"{d["key"]}"\n')
    (folder / "other.py").write_text("def f(:\n")
    result = runner.invoke(app, ["check", "."])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert lines[0].startswith("backend/app.py:2:")
    assert f"(parsed as Python {version}; the project requires 3.99)" in lines[0]
    assert lines[1].startswith("other.py:1:7: FA001")
    assert f"(parsed as Python {version});" in lines[1]
